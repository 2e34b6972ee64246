"""WAV reading (any rate, clear errors) and the recognize command's output."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from voice_assistant.adapters.audio.wav import WavError, read_wav, write_wav
from voice_assistant.commands.recognize import run_recognize
from voice_assistant.events import Transcript, Vocabulary


def tone(rate: int, seconds: float = 1.0, channels: int = 1) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    mono = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    return np.repeat(mono, channels).tobytes()


def write(path: Path, pcm: bytes, rate: int, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path


@pytest.mark.parametrize(("rate", "channels"), [(16000, 1), (22050, 1), (44100, 2), (8000, 1)])
def test_any_rate_becomes_16k_mono(tmp_path: Path, rate: int, channels: int) -> None:
    pcm = read_wav(write(tmp_path / "a.wav", tone(rate, channels=channels), rate, channels))
    samples = np.frombuffer(pcm, dtype=np.int16)
    assert abs(samples.size - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(int(np.argmax(spectrum)) - 440) <= 2  # the tone survives at 440 Hz


def test_round_trip(tmp_path: Path) -> None:
    pcm = tone(16000)
    assert read_wav(write_wav(tmp_path / "b.wav", pcm)) == pcm


def test_bad_files_are_explained(tmp_path: Path) -> None:
    with pytest.raises(WavError, match="no such file"):
        read_wav(tmp_path / "missing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav at all")
    with pytest.raises(WavError, match="not a usable WAV"):
        read_wav(junk)


class FixedRecognizer:
    name = "fixed"

    def __init__(self) -> None:
        self.vocabularies: list[Vocabulary] = []

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        self.vocabularies.append(vocabulary)
        return Transcript("yes" if len(audio) > 16000 else "", 0.876, "audio")


def test_recognize_prints_tab_separated_and_goes_on_after_a_bad_file(tmp_path: Path) -> None:
    good = write(tmp_path / "good.wav", tone(16000), 16000)
    short = write(tmp_path / "short.wav", tone(16000, 0.2), 16000)
    out, err = io.StringIO(), io.StringIO()
    recognizer = FixedRecognizer()
    code = run_recognize([good, tmp_path / "none.wav", short], ["yes", "No"], recognizer, out, err)
    assert code == 1
    assert out.getvalue().splitlines() == [f"{good}\tyes\t0.88", f"{short}\t\t0.88"]
    assert "none.wav" in err.getvalue()
    assert recognizer.vocabularies[0].phrases == ("yes", "no")
