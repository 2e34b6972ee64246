"""WAV files in and out: everything inside the assistant is 16 kHz mono int16.

espeak-ng and pyttsx3 write 22 050 Hz, phones and other recorders 44.1/48 kHz,
sometimes stereo, 24-bit or float, and sox or Audacity use the
WAVE_FORMAT_EXTENSIBLE header (which Python's ``wave`` module can't read in
3.11): ``read_wav`` parses the RIFF chunks itself and turns all of them into the one format
the recognisers take, and says in words what is wrong with a file it can't use.
"""

from __future__ import annotations

import math
import os
import stat
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice_assistant.errors import AssistantError

SAMPLE_RATE = 16000
FRAME_S = 0.01  # 10 ms analysis frames for the level helpers
SILENT_DBFS = -120.0  # the level reported for empty or all-zero audio

_FIX_HINT = "Use a PCM .wav file (for example: sox in.wav -r 16000 -c 1 -b 16 out.wav)."


class WavError(AssistantError):
    """A WAV file is missing, unreadable or in a format we can't use."""


def resample(samples: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited FFT resampling of float samples (no aliasing, no scipy needed).

    The spectrum is cut at the lower Nyquist frequency with a short raised-cosine
    taper (the top 5 %), which avoids the ringing of a brick-wall cut. The signal
    is padded before the FFT so the end does not wrap around onto the start.
    """
    if rate_in == rate_out or samples.size == 0:
        return samples.astype(np.float64, copy=False)
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError("sample rates must be positive")
    count = max(1, round(samples.size * rate_out / rate_in))
    pad = min(samples.size, max(64, rate_in // 20))  # 50 ms of silence after the end
    padded = np.concatenate([samples.astype(np.float64), np.zeros(pad)])
    padded_out = round(padded.size * rate_out / rate_in)
    spectrum = np.fft.rfft(padded)
    keep = min(spectrum.size, padded_out // 2 + 1)
    spectrum = spectrum[:keep].copy()
    if rate_out < rate_in:
        taper = max(1, keep // 20)
        spectrum[keep - taper :] *= 0.5 * (1 + np.cos(np.linspace(0, math.pi, taper)))
    out = np.fft.irfft(spectrum, n=padded_out) * (padded_out / padded.size)
    return out[:count]


_PCM, _FLOAT, _EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
_RATE_RANGE = (1000, 768_000)  # Hz: below this is no speech, above it no real recorder
_MAX_CHANNELS = 64
MAX_SECONDS = 600.0
"""Longest WAV read (ten minutes): an answer takes a few seconds, a scripted demo minutes."""
MAX_SAMPLES = 30_000_000
"""Most samples (frames x channels) decoded from one file: ten minutes of 48 kHz mono. A
legal header can announce 64 channels at 768 kHz, so seconds alone do not bound memory."""
_DECODE_FRAMES = 1 << 20  # frames decoded and mixed down at a time
_UNKNOWN_SIZE = 0xFFFFFFFF  # streaming writers and RF64 files: the data runs to the end


@dataclass(frozen=True)
class _Format:
    tag: int  # _PCM or _FLOAT (the sub-format, for WAVE_FORMAT_EXTENSIBLE)
    channels: int
    rate: int
    width: int  # bytes per sample
    block: int  # bytes per frame (all channels)


def _bad(path: Path, why: str) -> WavError:
    return WavError(f"{path}: not a usable WAV file ({why}). " + _FIX_HINT)


def _parse_format(chunk: bytes, path: Path) -> _Format:
    """The fmt chunk, including WAVE_FORMAT_EXTENSIBLE (sox, Audacity, ffmpeg above 16 bits)."""
    if len(chunk) < 16:
        raise _bad(path, "its format chunk is too short")
    tag, channels, rate, _, block, bits = struct.unpack("<HHIIHH", chunk[:16])
    if tag == _EXTENSIBLE:
        if len(chunk) < 40:
            raise _bad(path, "its extensible format chunk is too short")
        tag = struct.unpack("<H", chunk[24:26])[0]  # first two bytes of the sub-format GUID
    if not 1 <= channels <= _MAX_CHANNELS:
        raise _bad(path, f"the header says {channels} channels; 1 to {_MAX_CHANNELS} can be read")
    low, high = _RATE_RANGE
    if not low <= rate <= high:
        raise _bad(
            path, f"the header says a sample rate of {rate} Hz; {low} to {high} Hz can be read"
        )
    width = (bits + 7) // 8
    if tag == _FLOAT:
        if width not in (4, 8):
            raise WavError(f"{path}: {bits}-bit float samples are not supported. " + _FIX_HINT)
    elif tag == _PCM:
        if width not in (1, 2, 3, 4):
            raise WavError(
                f"{path}: {bits}-bit samples are not supported (8, 16, 24 or 32-bit PCM are). "
                + _FIX_HINT
            )
    else:
        raise _bad(path, f"compressed audio (format code {tag:#06x}); plain PCM is needed")
    if block != width * channels:
        block = width * channels  # some writers get this field wrong; the samples decide
    return _Format(tag, channels, rate, width, block)


def _open_regular(path: Path) -> int:
    """A descriptor of ``path`` when it is a regular file; a FIFO or device is refused at
    once (opened without blocking, so a FIFO with no writer never hangs the start)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "not a regular file"
        raise WavError(f"{path}: is {kind}, not a WAV file. Give the path of a .wav file.")
    os.set_blocking(fd, True)
    return fd


def _read_chunks(path: Path) -> tuple[_Format, bytes]:
    """Format and sample bytes of a RIFF/WAVE file, reading no more than the data itself."""
    fd = _open_regular(path)
    size = os.fstat(fd).st_size
    with os.fdopen(fd, "rb") as file:
        head = file.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
            raise _bad(path, "it does not start with a RIFF/WAVE header")
        fmt: _Format | None = None
        while True:
            header = file.read(8)
            if len(header) < 8:
                raise _bad(path, "no audio data chunk" if fmt else "no format chunk")
            name, length = header[:4], struct.unpack("<I", header[4:])[0]
            if name == b"fmt ":
                if length > 4096:
                    raise _bad(path, f"its format chunk claims {length} bytes")
                fmt = _parse_format(file.read(length), path)
                file.seek(length & 1, 1)
            elif name == b"data":
                if fmt is None:
                    raise _bad(path, "the audio data comes before the format chunk")
                available = size - file.tell()
                declared = available if length in (0, _UNKNOWN_SIZE) else length
                if available < declared // 2:
                    raise WavError(
                        f"{path}: the file is cut short (corrupt): it holds less than half of "
                        "the audio its header announces. Record or copy it again."
                    )
                frames = min(declared, available) // fmt.block
                seconds = frames / fmt.rate
                if seconds > MAX_SECONDS:
                    raise WavError(
                        f"{path}: {seconds:.0f} seconds of audio is too long to use (at most "
                        f"{MAX_SECONDS:.0f}; an answer takes a few seconds). Cut out the part "
                        "you need."
                    )
                if frames * fmt.channels > MAX_SAMPLES:
                    raise WavError(
                        f"{path}: {frames * fmt.channels:,} samples ({fmt.channels} channels at "
                        f"{fmt.rate} Hz) is too much audio to use (at most {MAX_SAMPLES:,}). "
                        + _FIX_HINT
                    )
                return fmt, file.read(frames * fmt.block)
            else:
                file.seek(length + (length & 1), 1)


def _decode_samples(frames: bytes, fmt: _Format) -> np.ndarray:
    """Raw frames as float64 on the int16 scale (-32768..32767)."""
    width = fmt.width
    usable = len(frames) // width * width
    if fmt.tag == _FLOAT:
        floats = np.frombuffer(frames[:usable], dtype="<f4" if width == 4 else "<f8")
        return np.nan_to_num(floats.astype(np.float64), posinf=1.0, neginf=-1.0) * 32768
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(frames[:usable], dtype=np.uint8).astype(np.float64) - 128) * 256
    if width == 2:
        return np.frombuffer(frames[:usable], dtype="<i2").astype(np.float64)
    if width == 3:
        raw = np.frombuffer(frames[:usable], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float64) / 256
    return np.frombuffer(frames[:usable], dtype="<i4").astype(np.float64) / 65536


def _mono(frames: bytes, fmt: _Format) -> np.ndarray:
    """The samples mixed down to one channel, a slice at a time (memory: the mono result
    and one slice, not every channel as float64)."""
    step = _DECODE_FRAMES * fmt.block
    parts = []
    for start in range(0, len(frames), step):
        data = _decode_samples(frames[start : start + step], fmt)
        if fmt.channels > 1:
            usable = data.size // fmt.channels * fmt.channels
            data = data[:usable].reshape(-1, fmt.channels).mean(axis=1)
        parts.append(data)
    return np.concatenate(parts) if parts else np.zeros(0)


def read_wav(path: Path | str) -> bytes:
    """16 kHz mono int16 PCM from a WAV file.

    Reads 8/16/24/32-bit integer and 32/64-bit float samples, plain or with the
    WAVE_FORMAT_EXTENSIBLE header (as sox and Audacity write them), at any rate
    and channel count. Anything else raises WavError saying what is wrong.
    """
    path = Path(path)
    if not path.exists():
        raise WavError(f"{path}: no such file. Check the name and try again.")
    if path.is_dir():
        raise WavError(f"{path}: is a folder, not a WAV file. Give the path of a .wav file.")
    try:
        fmt, frames = _read_chunks(path)
    except OSError as exc:
        raise WavError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    try:
        data = _mono(frames, fmt)
        del frames
        data = resample(data, fmt.rate, SAMPLE_RATE)
        return np.clip(np.round(data), -32768, 32767).astype(np.int16).tobytes()
    except MemoryError:
        raise WavError(
            f"{path}: too much audio to fit in memory. Cut out the part you need."
        ) from None


def write_wav(path: Path | str, pcm: bytes, rate: int = SAMPLE_RATE) -> Path:
    """Write mono int16 PCM as a WAV file; returns the path."""
    path = Path(path)
    try:
        with path.open("wb") as file, wave.open(file, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(pcm[: len(pcm) // 2 * 2])
    except OSError as exc:
        raise WavError(f"{path}: cannot be written ({exc.strerror or exc}).") from None
    return path


def pcm_samples(pcm: bytes) -> np.ndarray:
    """int16 PCM bytes as a float64 array on the int16 scale."""
    return np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)


def rms_dbfs(pcm: bytes) -> float:
    """Overall level in dB relative to full scale (``SILENT_DBFS`` for silence)."""
    samples = pcm_samples(pcm)
    if samples.size == 0:
        return SILENT_DBFS
    rms = math.sqrt(float(np.mean(samples**2))) / 32768.0
    return max(SILENT_DBFS, 20 * math.log10(rms)) if rms > 0 else SILENT_DBFS


def frame_levels(pcm: bytes, rate: int = SAMPLE_RATE, frame_s: float = FRAME_S) -> np.ndarray:
    """Level of each ``frame_s`` frame in dBFS (the basis of simple silence checks)."""
    samples = pcm_samples(pcm)
    size = max(1, int(rate * frame_s))
    count = samples.size // size
    if count == 0:
        return np.full(1, rms_dbfs(pcm))
    power = np.mean(samples[: count * size].reshape(count, size) ** 2, axis=1) / 32768.0**2
    levels: np.ndarray = np.maximum(SILENT_DBFS, 10 * np.log10(np.maximum(power, 1e-30)))
    return levels


def is_silence(audio: bytes, quiet_dbfs: float, min_contrast_db: float) -> bool:
    """True when nothing in ``audio`` stands out as speech (every recogniser checks this first).

    Silence = the loudest 30 ms stretch is quieter than ``quiet_dbfs``, or
    it is less than ``min_contrast_db`` above the clip's own background level
    (steady noise: fans, hum, hiss, at any volume).
    """
    levels = frame_levels(audio)
    if levels.size < 3:
        return True
    smooth = np.convolve(levels, np.ones(3) / 3, mode="valid")  # 30 ms
    loudest = float(np.max(smooth))
    floor = float(np.percentile(levels, 10))
    return loudest < quiet_dbfs or loudest - floor < min_contrast_db
