"""``--save-speech DIR``: each utterance as a numbered WAV ("003.wav"), private.

What is said (the advice included) is health data, so the folder is 0700 and ours, each
file 0600 and new (never written through a planted link), and the names are neutral: the
words said are listed only inside the folder, in ``said.txt`` (also 0600), one
"003.wav<TAB>text" line per file. Shared by every voice, so a folder holds one numbering
whichever engine spoke.
"""

from __future__ import annotations

import os
import re
import wave
from pathlib import Path

from voice_assistant.errors import SpeakerError
from voice_assistant.runtime.privacy import open_private, private_folder

INDEX = "said.txt"


def first_free_number(folder: Path | None) -> int:
    """The number after the highest one already in ``folder`` (1 in a new folder)."""
    if folder is None:
        return 1
    try:
        private_folder(folder)
    except OSError as exc:
        raise SpeakerError(f"Cannot use the folder {folder} for saved speech: {exc}.") from exc
    numbers = [int(m.group(1)) for p in folder.glob("*.wav") if (m := re.match(r"(\d+)", p.name))]
    return max(numbers, default=0) + 1


def slug(text: str) -> str:
    """The first words of ``text``, lower case and joined by dashes (tests compare these)."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:6]
    return "-".join(words)[:40] or "speech"


def save_speech(folder: Path, number: int, text: str, pcm: bytes, sample_rate: int) -> Path:
    """Write ``pcm`` as a new private ``folder/NNN.wav`` (the first free number from
    ``number`` on) and list it with its words in ``said.txt``; SpeakerError in words."""
    path = folder / f"{number:03d}.wav"
    try:
        fd, path = _new_file(folder, number)
        with os.fdopen(fd, "wb") as stream, wave.open(stream, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(pcm)
        index = open_private(folder / INDEX, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        with os.fdopen(index, "a", encoding="utf-8") as listing:
            listing.write(f"{path.name}\t{' '.join(text.split())}\n")
    except OSError as exc:
        raise SpeakerError(f"Cannot write speech to {path}: {exc.strerror or exc}.") from exc
    return path


def number_of(path: Path) -> int:
    """The number in a saved file's name ("003.wav": 3)."""
    return int(path.stem)


def _new_file(folder: Path, number: int) -> tuple[int, Path]:
    """A new file at the first free number from ``number`` (another speaker may share
    the folder); never an existing file or link."""
    for candidate in range(number, number + 1000):
        path = folder / f"{candidate:03d}.wav"
        try:
            return open_private(path, os.O_WRONLY | os.O_CREAT, exclusive=True), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free file name in {folder}")


def saved_texts(folder: Path) -> list[tuple[str, str]]:
    """(file name, words said) for each file listed in ``folder/said.txt``, in order."""
    try:
        lines = (folder / INDEX).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [(name, text) for name, _, text in (line.partition("\t") for line in lines)]
