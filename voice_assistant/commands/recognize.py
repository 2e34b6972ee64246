"""``heat-or-ice recognize``: FILE<TAB>TEXT<TAB>CONFIDENCE per WAV file (a user's check
of recognition, and our measuring tool). TEXT is empty when the audio was rejected."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from voice_assistant.adapters.audio.wav import read_wav
from voice_assistant.errors import AssistantError
from voice_assistant.events import Vocabulary
from voice_assistant.ports import Recognizer
from voice_assistant.settings.config import Settings

# Without --choices: the answers of a yes/no question plus the global commands
# that are always active (bench/recognition.py measures these same phrases).
DEFAULT_CHOICES = (
    "yes",
    "yeah",
    "yep",
    "no",
    "nope",
    "not sure",
    "maybe",
    "i don't know",
    "repeat",
    "help",
    "stop",
    "quit",
    "cancel",
    "start over",
    "pause",
    "resume",
    "how long left",
)


def run_recognize(
    files: Sequence[Path],
    choices: Sequence[str] | None,
    recognizer: Recognizer,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    """Print ``FILE<TAB>TEXT<TAB>CONFIDENCE`` per file; 1 if any file could not be used.

    TEXT is one of ``choices`` (``DEFAULT_CHOICES`` when None or empty) or empty
    when the recogniser rejected the audio; CONFIDENCE has two decimals. A file
    that can't be read gets a line on ``err`` and the others are still done.
    """
    err = err or sys.stderr
    phrases = tuple(c.strip().lower() for c in choices or () if c.strip())
    vocabulary = Vocabulary(phrases or DEFAULT_CHOICES)
    status = 0
    for path in files:
        try:
            transcript = recognizer.recognize(read_wav(path), vocabulary)
        except AssistantError as exc:
            print(str(exc), file=err)
            status = 1
            continue
        print(f"{path}\t{transcript.text}\t{transcript.confidence:.2f}", file=out, flush=True)
    return status


def run(settings: Settings, files: Sequence[Path], choices: str | None) -> int:
    """Open the engine the settings choose, say any fallback once, recognise ``files``.

    ``choices`` is the ``--choices`` text: phrases separated by "|".
    """
    from voice_assistant.speech import engines

    phrases = [c.strip() for c in choices.split("|") if c.strip()] if choices else None
    recognizer, choice = engines.open_recognizer(engines.context_for(settings))
    for note in choice.notes:
        print(note, file=sys.stderr)
    return run_recognize(files, phrases, recognizer, sys.stdout)
