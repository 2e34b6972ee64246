"""WAV reading and writing: any PCM WAV becomes 16 kHz mono int16; bad files are explained."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from voice_assistant.adapters.wav import (
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


def write_pcm(path: Path, samples: np.ndarray, rate: int, width: int = 2, channels: int = 1):
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


def test_float_wav_is_refused_in_words(tmp_path: Path) -> None:
    samples = (sine(440, 16000) / 32768).astype("<f4").tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 3, 1, 16000, 64000, 4, 32)
    path = tmp_path / "float.wav"
    path.write_bytes(header + fmt + b"data" + struct.pack("<I", len(samples)) + samples)
    with pytest.raises(WavError, match="not a usable WAV file"):
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
