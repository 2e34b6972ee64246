"""Small interfaces for everything that touches the outside world.

The dialog and timer logic only ever see these; real adapters live in
``adapters/`` and fakes in ``testing.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from voice_assistant.events import Transcript, Vocabulary


class Clock(Protocol):
    speed: float

    def now(self) -> float:
        """Seconds on this clock (monotonic, may be sped up or fake)."""

    def real_seconds(self, clock_seconds: float) -> float:
        """Real seconds to wait for ``clock_seconds`` of this clock."""

    def wall_time(self) -> float:
        """Unix time (journal timestamps only)."""


class Speaker(Protocol):
    def say(self, text: str) -> None:
        """Speak ``text``; return only when playback has ended."""

    def chime(self) -> None:
        """Play a short attention sound (or its stand-in)."""


class AudioSource(Protocol):
    """16 kHz mono int16 audio, delivered in blocks."""

    sample_rate: int

    def blocks(self) -> Iterator[bytes]:
        """Yield raw little-endian int16 blocks until the source ends."""

    def mute(self, muted: bool) -> None:
        """While muted, captured audio is dropped (half-duplex)."""

    def close(self) -> None: ...


class Recognizer(Protocol):
    @property
    def name(self) -> str:
        """The engine's name, for logs and ``doctor``."""

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        """Decode one utterance (16 kHz mono int16) against ``vocabulary``.

        Returns an empty ``text`` when the audio is silence or not one of the
        phrases.
        """
