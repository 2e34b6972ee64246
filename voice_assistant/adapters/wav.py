"""WAV files in and out: everything inside the assistant is 16 kHz mono int16.

espeak-ng and pyttsx3 write 22 050 Hz, phones and other recorders 44.1/48 kHz,
sometimes stereo or 24-bit: ``read_wav`` turns all of them into the one format
the recognisers take, and says in words what is wrong with a file it can't use.
"""

from __future__ import annotations

import math
import wave
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


def _decode_samples(frames: bytes, width: int, path: Path) -> np.ndarray:
    """Raw PCM frames as float64 on the int16 scale (-32768..32767)."""
    usable = len(frames) // width * width
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(frames[:usable], dtype=np.uint8).astype(np.float64) - 128) * 256
    if width == 2:
        return np.frombuffer(frames[:usable], dtype="<i2").astype(np.float64)
    if width == 3:
        raw = np.frombuffer(frames[:usable], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float64) / 256
    if width == 4:
        return np.frombuffer(frames[:usable], dtype="<i4").astype(np.float64) / 65536
    raise WavError(
        f"{path}: {8 * width}-bit samples are not supported (8, 16, 24 or 32-bit PCM are). "
        + _FIX_HINT
    )


def read_wav(path: Path | str) -> bytes:
    """16 kHz mono int16 PCM from any 8/16/24/32-bit PCM WAV (any rate, any channels)."""
    path = Path(path)
    if not path.exists():
        raise WavError(f"{path}: no such file. Check the name and try again.")
    if path.is_dir():
        raise WavError(f"{path}: is a folder, not a WAV file. Give the path of a .wav file.")
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            declared = wav.getnframes()
            frames = wav.readframes(declared)
    except (wave.Error, EOFError) as exc:
        raise WavError(f"{path}: not a usable WAV file ({exc}). " + _FIX_HINT) from None
    except OSError as exc:
        raise WavError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if channels < 1 or rate < 1000:
        raise WavError(f"{path}: not a usable WAV file (bad header). " + _FIX_HINT)
    if declared and len(frames) < declared * width * channels // 2:
        raise WavError(
            f"{path}: the file is cut short (corrupt): it holds less than half of the "
            "audio its header announces. Record or copy it again."
        )
    data = _decode_samples(frames, width, path)
    if channels > 1:
        data = data[: data.size // channels * channels].reshape(-1, channels).mean(axis=1)
    data = resample(data, rate, SAMPLE_RATE)
    return np.clip(np.round(data), -32768, 32767).astype(np.int16).tobytes()


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
