"""WAV files in and out: everything inside the assistant is 16 kHz mono int16."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from voice_assistant.errors import AssistantError

SAMPLE_RATE = 16000


class WavError(AssistantError):
    """A WAV file is missing, unreadable or in a format we can't use."""


def resample(samples: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """FFT resampling (band-limited, no aliasing for speech) of float samples."""
    if rate_in == rate_out or samples.size == 0:
        return samples
    count = round(samples.size * rate_out / rate_in)
    spectrum = np.fft.rfft(samples)
    keep = min(spectrum.size, count // 2 + 1)
    out = np.fft.irfft(spectrum[:keep], n=count)
    return out * (count / samples.size)


def read_wav(path: Path) -> bytes:
    """16 kHz mono int16 PCM from any 8/16/32-bit PCM WAV."""
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except FileNotFoundError:
        raise WavError(f"{path}: no such file. Check the name and try again.") from None
    except (wave.Error, EOFError, OSError) as exc:
        raise WavError(f"{path}: not a usable WAV file ({exc}). Use a PCM .wav file.") from None
    dtypes = {1: np.uint8, 2: np.int16, 4: np.int32}
    if width not in dtypes:
        raise WavError(f"{path}: {8 * width}-bit samples are not supported; use 16-bit PCM.")
    samples = np.frombuffer(frames[: len(frames) // width * width], dtype=dtypes[width])
    data = samples.astype(np.float64)
    if width == 1:
        data = (data - 128) * 256
    elif width == 4:
        data = data / 65536
    if channels > 1:
        data = data[: data.size // channels * channels].reshape(-1, channels).mean(axis=1)
    data = resample(data, rate)
    return np.clip(np.round(data), -32768, 32767).astype(np.int16).tobytes()


def write_wav(path: Path, pcm: bytes, rate: int = SAMPLE_RATE) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path
