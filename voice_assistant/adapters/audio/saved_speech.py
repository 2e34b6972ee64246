"""``--save-speech DIR``: each utterance as a numbered WAV ("003-use-ice-it-helps.wav").

Shared by every voice, so a folder holds one numbering whichever engine spoke.
"""

from __future__ import annotations

import re
import wave
from pathlib import Path

from voice_assistant.errors import SpeakerError


def first_free_number(folder: Path | None) -> int:
    """The number after the highest one already in ``folder`` (1 in a new folder)."""
    if folder is None:
        return 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SpeakerError(
            f"Cannot create the folder {folder} for saved speech: {exc.strerror}."
        ) from exc
    numbers = [int(m.group(1)) for p in folder.glob("*.wav") if (m := re.match(r"(\d+)-", p.name))]
    return max(numbers, default=0) + 1


def slug(text: str) -> str:
    """The first words of ``text``, for a file name a person can recognise."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:6]
    return "-".join(words)[:40] or "speech"


def save_speech(folder: Path, number: int, text: str, pcm: bytes, sample_rate: int) -> Path:
    """Write ``pcm`` as ``folder/NNN-slug.wav``; SpeakerError in words when it can't."""
    path = folder / f"{number:03d}-{slug(text)}.wav"
    try:
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(pcm)
    except OSError as exc:
        raise SpeakerError(f"Cannot write speech to {path}: {exc.strerror}.") from exc
    return path
