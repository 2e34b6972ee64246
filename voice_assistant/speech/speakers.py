"""Speakers that need no audio hardware, and the wrapper that survives a failing one.

The real text-to-speech speaker lives in ``adapters/tts_pyttsx3.py``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from voice_assistant.errors import AssistantError
from voice_assistant.ports import Speaker

log = logging.getLogger(__name__)


class SilentSpeaker:
    """``--mute``: the text is printed by the turn sink; nothing is played."""

    def say(self, text: str) -> None:
        return None

    def chime(self, kind: str = "times_up") -> None:
        return None


class RecordingSpeaker:
    """Keeps every utterance in a list (tests)."""

    def __init__(self) -> None:
        self.spoken: list[str] = []
        self.chimes = 0
        self.chime_kinds: list[str] = []

    def say(self, text: str) -> None:
        self.spoken.append(text)

    def chime(self, kind: str = "times_up") -> None:
        self.chimes += 1
        self.chime_kinds.append(kind)


class TeeSpeaker:
    """Speaks through several speakers in turn (e.g. loudspeaker and --save-speech)."""

    def __init__(self, speakers: Sequence[Speaker]) -> None:
        self.speakers = list(speakers)

    def say(self, text: str) -> None:
        for speaker in self.speakers:
            speaker.say(text)

    def chime(self, kind: str = "times_up") -> None:
        for speaker in self.speakers:
            speaker.chime(kind)


class FallbackSpeaker:
    """Wraps the real speaker: on failure, tell the user once and carry on printing.

    Speech that fails is retried once on the next utterance; after that the
    assistant keeps printing and ringing the terminal bell for chimes, so time's
    up is never silent.
    """

    def __init__(
        self,
        speaker: Speaker,
        notify: Callable[[str], None],
        message: Callable[[str], str],
        bell: TextIO | None = None,
        retries: int = 1,
    ) -> None:
        self.speaker: Speaker | None = speaker
        self.notify = notify
        self.message = message
        self.bell = bell if bell is not None else sys.stderr
        self.retries = retries
        self.failures = 0
        self.told = False

    def say(self, text: str) -> None:
        self._attempt(lambda speaker: speaker.say(text))

    def chime(self, kind: str = "times_up") -> None:
        if self.speaker is None:
            self._ring()
            return
        self._attempt(lambda speaker: speaker.chime(kind), ring=True)

    def _attempt(self, action: Callable[[Speaker], None], ring: bool = False) -> None:
        if self.speaker is None:
            if ring:
                self._ring()
            return
        try:
            action(self.speaker)
            self.failures = 0
        except (AssistantError, OSError, RuntimeError) as exc:
            self.failures += 1
            log.warning("speech output failed: %s", exc)
            if not self.told:
                self.told = True
                self.notify(self.message(str(exc)))
            if self.failures > self.retries:
                self.speaker = None
            if ring:
                self._ring()

    def _ring(self) -> None:
        try:
            self.bell.write("\a")
            self.bell.flush()
        except (OSError, ValueError):
            pass
