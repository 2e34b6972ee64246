"""WAV reading and writing: any PCM WAV becomes 16 kHz mono int16; bad files are explained."""

from __future__ import annotations

import struct
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from voice_assistant.adapters.audio import wav as wav_module
from voice_assistant.adapters.audio.wav import (
    SILENT_DBFS,
    WavError,
    frame_levels,
    read_wav,
    resample,
    rms_dbfs,
    write_wav,
)
from voice_assistant.errors import AssistantError


def sine(freq: float, rate: int, seconds: float = 1.0, amplitude: float = 8000.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def write_pcm(
    path: Path, samples: np.ndarray, rate: int, width: int = 2, channels: int = 1
) -> Path:
    """Write int samples (already interleaved) with the given sample width."""
    if width == 1:
        data = (np.clip(samples / 256 + 128, 0, 255)).astype(np.uint8).tobytes()
    elif width == 2:
        data = samples.astype("<i2").tobytes()
    elif width == 3:
        ints = (samples * 256).astype("<i4")
        data = b"".join(int(v).to_bytes(4, "little", signed=True)[:3] for v in ints)
    else:
        data = (samples * 65536).astype("<i4").tobytes()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(data)
    return path


def spectrum_peak(pcm: bytes) -> tuple[float, np.ndarray]:
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    magnitude = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    freqs = np.fft.rfftfreq(samples.size, 1 / 16000)
    return float(freqs[int(np.argmax(magnitude))]), magnitude


def test_round_trip_is_exact(tmp_path: Path) -> None:
    pcm = sine(440, 16000).astype(np.int16).tobytes()
    path = write_wav(tmp_path / "a.wav", pcm)
    assert path == tmp_path / "a.wav"
    assert read_wav(path) == pcm
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000])
def test_resampled_tone_keeps_pitch_length_and_level(tmp_path: Path, rate: int) -> None:
    pcm = read_wav(write_pcm(tmp_path / "t.wav", sine(1000, rate).astype(np.int16), rate))
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    assert abs(samples.size - 16000) <= 1
    peak, _ = spectrum_peak(pcm)
    assert abs(peak - 1000) <= 2
    middle = samples[2000:-2000]  # away from the edges
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(8000 / np.sqrt(2), rel=0.02)


def test_downsampling_removes_what_16k_cannot_hold(tmp_path: Path) -> None:
    """A 10 kHz tone at 22 050 Hz must vanish, not alias down to 6 kHz."""
    mix = sine(1000, 22050) + sine(10000, 22050)
    pcm = read_wav(write_pcm(tmp_path / "m.wav", mix.astype(np.int16), 22050))
    _, magnitude = spectrum_peak(pcm)
    freqs = np.fft.rfftfreq((len(pcm) // 2), 1 / 16000)
    kept = magnitude[np.abs(freqs - 1000) < 20].max()
    alias = magnitude[np.abs(freqs - 6050) < 100].max()
    assert alias < kept / 1000  # at least 60 dB down


def test_resample_of_speech_like_noise_keeps_its_band() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1000, 22050)
    out = resample(noise, 22050, 16000)
    assert out.size == 16000
    # White noise band-limited to 8 kHz keeps 8000/11025 of its power.
    assert np.mean(out**2) / np.mean(noise**2) == pytest.approx(8000 / 11025, rel=0.05)


def test_stereo_is_mixed_down(tmp_path: Path) -> None:
    left, right = sine(440, 16000), -0.5 * sine(440, 16000)
    interleaved = np.column_stack([left, right]).ravel().astype(np.int16)
    pcm = read_wav(write_pcm(tmp_path / "s.wav", interleaved, 16000, channels=2))
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    assert samples.size == 16000
    assert np.max(np.abs(samples - 0.25 * sine(440, 16000))) <= 1.0


@pytest.mark.parametrize("width", [1, 3, 4])
def test_other_sample_widths_are_scaled_to_16_bit(tmp_path: Path, width: int) -> None:
    pcm = read_wav(write_pcm(tmp_path / "w.wav", sine(440, 16000), 16000, width=width))
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    tolerance = 300 if width == 1 else 1.5  # 8-bit is coarse
    assert np.max(np.abs(samples - sine(440, 16000))) <= tolerance


def test_missing_file_and_folder_are_explained(tmp_path: Path) -> None:
    with pytest.raises(WavError, match=r"missing\.wav: no such file"):
        read_wav(tmp_path / "missing.wav")
    with pytest.raises(WavError, match="is a folder"):
        read_wav(tmp_path)


def test_not_a_wav_is_explained_with_a_fix(tmp_path: Path) -> None:
    junk = tmp_path / "notes.wav"
    junk.write_text("these are my notes, not audio")
    with pytest.raises(WavError, match=r"notes\.wav: not a usable WAV file.*sox"):
        read_wav(junk)


def test_cut_short_file_is_called_corrupt(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "cut.wav", sine(440, 16000).astype(np.int16).tobytes())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 4])
    with pytest.raises(WavError, match="cut short"):
        read_wav(path)


_KSDATAFORMAT_TAIL = bytes.fromhex(
    "000000001000800000aa00389b71"
)  # ...-0000-0010-8000-00aa00389b71


def extensible_wav(
    path: Path, data: bytes, *, bits: int, sub_format: int, rate: int = 16000, channels: int = 1
) -> Path:
    """A WAVE_FORMAT_EXTENSIBLE file laid out as sox writes it (40-byte fmt chunk, fact chunk)."""
    width = bits // 8
    fmt = (
        struct.pack(
            "<HHIIHHHHI",
            0xFFFE,
            channels,
            rate,
            rate * width * channels,
            width * channels,
            bits,
            22,  # cbSize
            bits,  # valid bits per sample
            4 if channels == 1 else 3,  # channel mask: front centre / front left+right
        )
        + struct.pack("<H", sub_format)
        + _KSDATAFORMAT_TAIL
    )
    fact = b"fact" + struct.pack("<II", 4, len(data) // (width * channels))
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + fact
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def plain_wav(path: Path, data: bytes, *, tag: int, bits: int, rate: int, channels: int) -> Path:
    width = bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * width * channels,
                      width * channels, bits)  # fmt: skip
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def int_bytes(samples: np.ndarray, bits: int) -> bytes:
    """Samples on the int16 scale as little-endian integers of ``bits`` bits."""
    scaled = np.round(samples * 2 ** (bits - 16)).astype("<i8")
    return b"".join(int(v).to_bytes(8, "little", signed=True)[: bits // 8] for v in scaled)


@pytest.mark.parametrize(
    ("bits", "sub_format", "encode"),
    [
        (24, 1, lambda s: int_bytes(s, 24)),
        (32, 1, lambda s: int_bytes(s, 32)),
        (32, 3, lambda s: (s / 32768).astype("<f4").tobytes()),
        (16, 1, lambda s: s.astype("<i2").tobytes()),
    ],
)
def test_extensible_header_is_read_like_sox_writes_it(
    tmp_path: Path, bits: int, sub_format: int, encode: Callable[[np.ndarray], bytes]
) -> None:
    """Fault: sox -b 24/-b 32/-e float writes WAVE_FORMAT_EXTENSIBLE, which wave refuses."""
    tone = np.round(sine(440, 48000))
    path = extensible_wav(tmp_path / "x.wav", encode(tone), bits=bits, sub_format=sub_format,
                          rate=48000)  # fmt: skip
    pcm = read_wav(path)
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    assert abs(samples.size - 16000) <= 1
    peak, _ = spectrum_peak(pcm)
    assert abs(peak - 440) <= 2
    assert np.sqrt(np.mean(samples[2000:-2000] ** 2)) == pytest.approx(8000 / np.sqrt(2), rel=0.02)


def test_extensible_stereo_float_is_mixed_down(tmp_path: Path) -> None:
    left, right = sine(440, 16000), -0.5 * sine(440, 16000)
    floats = (np.column_stack([left, right]).ravel() / 32768).astype("<f4").tobytes()
    path = extensible_wav(tmp_path / "s.wav", floats, bits=32, sub_format=3, channels=2)
    samples = np.frombuffer(read_wav(path), dtype=np.int16).astype(np.float64)
    assert np.max(np.abs(samples - 0.25 * sine(440, 16000))) <= 1.0


def test_plain_float_wav_is_read(tmp_path: Path) -> None:
    samples = (sine(440, 16000) / 32768).astype("<f4").tobytes()
    path = plain_wav(tmp_path / "float.wav", samples, tag=3, bits=32, rate=16000, channels=1)
    pcm = np.frombuffer(read_wav(path), dtype=np.int16).astype(np.float64)
    assert np.max(np.abs(pcm - sine(440, 16000))) <= 1.0


def test_compressed_wav_is_refused_in_words(tmp_path: Path) -> None:
    path = plain_wav(tmp_path / "alaw.wav", bytes(800), tag=6, bits=8, rate=8000, channels=1)
    with pytest.raises(WavError, match=r"alaw\.wav: not a usable WAV file \(compressed.*sox"):
        read_wav(path)


@pytest.mark.parametrize(
    ("rate", "channels", "message"),
    [
        (4_000_000_000, 1, "sample rate of 4000000000 Hz"),
        (16000, 0, "0 channels"),
        (16000, 65535, "65535 channels"),
        (0, 1, "sample rate of 0 Hz"),
    ],
)
def test_absurd_header_is_refused_in_words(
    tmp_path: Path, rate: int, channels: int, message: str
) -> None:
    """Fault: a header claiming 4 GHz or 0 channels used to reach numpy (MemoryError)."""
    path = tmp_path / "absurd.wav"
    body = b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, 0, 2, 16)
    body += b"data" + struct.pack("<I", 3200) + bytes(3200)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(WavError, match=rf"absurd\.wav: not a usable WAV file \(.*{message}"):
        read_wav(path)


def test_huge_declared_sizes_are_refused_without_reading_them(tmp_path: Path) -> None:
    """Fault: data/chunk sizes of 4 GB in a small file; no MemoryError, no huge read."""
    samples = sine(440, 16000).astype("<i2").tobytes()
    path = plain_wav(tmp_path / "huge.wav", samples, tag=1, bits=16, rate=16000, channels=1)
    data = bytearray(path.read_bytes())
    data[40:44] = struct.pack("<I", 0xFFFFFFF0)  # the data chunk's size
    path.write_bytes(bytes(data))
    with pytest.raises(WavError, match="cut short"):
        read_wav(path)
    data[16:20] = struct.pack("<I", 0xFFFFFFF0)  # the fmt chunk's size
    path.write_bytes(bytes(data))
    with pytest.raises(WavError, match="format chunk claims"):
        read_wav(path)
    junk = b"WAVE" + b"LIST" + struct.pack("<I", 0xFFFFFFF0) + bytes(100)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(junk)) + junk)
    with pytest.raises(WavError, match="no format chunk"):
        read_wav(path)


def test_streamed_wav_with_unknown_size_is_read_to_the_end(tmp_path: Path) -> None:
    samples = sine(440, 16000).astype("<i2").tobytes()
    path = plain_wav(tmp_path / "stream.wav", samples, tag=1, bits=16, rate=16000, channels=1)
    data = bytearray(path.read_bytes())
    data[40:44] = struct.pack("<I", 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    assert read_wav(path) == samples


def test_too_long_recording_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wav_module, "MAX_SECONDS", 0.4)
    path = write_wav(tmp_path / "long.wav", sine(440, 16000).astype(np.int16).tobytes())
    with pytest.raises(
        WavError, match=r"long\.wav: 1 seconds of audio is too long to use \(at most 0;"
    ):
        read_wav(path)


def test_unsupported_sample_width_is_named(tmp_path: Path) -> None:
    frames = bytes(5 * 100)
    header = b"RIFF" + struct.pack("<I", 36 + len(frames)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 80000, 5, 40)
    path = tmp_path / "forty.wav"
    path.write_bytes(header + fmt + b"data" + struct.pack("<I", len(frames)) + frames)
    with pytest.raises(WavError, match="40-bit samples are not supported"):
        read_wav(path)


def test_errors_are_assistant_errors_and_writing_fails_in_words(tmp_path: Path) -> None:
    assert issubclass(WavError, AssistantError)
    with pytest.raises(WavError, match="cannot be written"):
        write_wav(tmp_path / "no" / "such" / "dir.wav", b"\0\0")


def test_levels() -> None:
    assert rms_dbfs(b"") == SILENT_DBFS
    assert rms_dbfs(bytes(3200)) == SILENT_DBFS
    full = sine(440, 16000, amplitude=32767).astype(np.int16).tobytes()
    assert rms_dbfs(full) == pytest.approx(-3.0, abs=0.1)
    quiet = (sine(440, 16000, amplitude=32767) / 100).astype(np.int16).tobytes()
    levels = frame_levels(quiet)
    assert levels.size == 100
    assert np.allclose(levels, -43.0, atol=0.3)


def test_a_sparse_wav_of_many_channels_is_refused_by_its_samples(tmp_path: Path) -> None:
    """F27: a legal header (64 channels, 768 kHz, 64-bit float) over 500 MB of holes is
    1.4 s of audio, within the ten minutes: refused by its decoded samples, unread."""
    channels, rate, width = 64, 768_000, 8
    size = 500_000_000 // (channels * width) * (channels * width)
    fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * channels * width, channels * width, 64)
    path = tmp_path / "sparse.wav"
    with path.open("wb") as out:
        out.write(b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE" + b"fmt ")
        out.write(struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", size))
        out.truncate(44 + size)
    with pytest.raises(WavError, match=r"62,499,968 samples \(64 channels at 768000 Hz\)"):
        read_wav(path)


def test_many_channels_are_mixed_down_a_slice_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wav_module, "_DECODE_FRAMES", 1000)
    tone = sine(440, 16000).astype("<i2")
    stereo = np.stack([tone, tone], axis=1).tobytes()
    path = plain_wav(tmp_path / "stereo.wav", stereo, tag=1, bits=16, rate=16000, channels=2)
    assert read_wav(path) == tone.tobytes()


def test_a_fifo_as_audio_in_is_refused_at_once(tmp_path: Path) -> None:
    """F26: --audio-in naming a FIFO no one writes hung the start for ever."""
    import os

    fifo = tmp_path / "answer.wav"
    os.mkfifo(fifo)
    with pytest.raises(WavError, match=r"named pipe \(FIFO\), not a WAV file"):
        read_wav(fifo)
