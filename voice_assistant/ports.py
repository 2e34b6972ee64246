"""Small interfaces for everything that touches the outside world.

The dialog and timer logic only ever see these; real adapters live in
``adapters/`` and fakes in ``testing.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import tzinfo
from typing import TYPE_CHECKING, Protocol

from voice_assistant.events import Transcript, Vocabulary


class Clock(Protocol):
    speed: float

    def now(self) -> float:
        """Seconds on this clock (counts suspend; may be sped up or fake)."""

    def real_seconds(self, clock_seconds: float) -> float:
        """Real seconds to wait for ``clock_seconds`` of this clock."""

    def wall_time(self) -> float:
        """Unix time (journal timestamps, clock times said aloud)."""

    def zone(self) -> tzinfo | None:
        """The time zone as it is now, for clock times said aloud (None: local)."""


class Speaker(Protocol):
    def say(self, text: str) -> None:
        """Speak ``text``; return only when playback has ended."""

    def chime(self, kind: str = "times_up") -> None:
        """Play a short attention sound (or its stand-in): ``kind`` is "times_up" (the
        pack must come off) or "listening" (say your answer now)."""


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


# --- the session journal ------------------------------------------------------------------
# Only this block is about the journal; its types are imported for type checking only, so
# ports.py stays free of import cycles with the session package.

if TYPE_CHECKING:
    from voice_assistant.events import TimerEvent
    from voice_assistant.session.journal.journal_queries import InterruptedSession
    from voice_assistant.session.plans import Plan
    from voice_assistant.session.timer.timer_state import TimerSnapshot


class JournalPort(Protocol):
    """What the running assistant needs from the session journal: the session
    controller writes through it, the app checks gaps and interrupted sessions.
    ``Journal`` and ``SafeJournal`` (which survives a full disk) both implement it."""

    def begin_session(
        self, kind: str, plan: Plan, wall: float, conversation_id: str | None = None
    ) -> int:
        """Create the session and return its id."""

    def record_event(
        self,
        session_id: int,
        snapshot: TimerSnapshot,
        wall: float,
        event: TimerEvent | None = None,
    ) -> None:
        """Save progress, and what was just said."""

    def heartbeat(self, session_id: int, snapshot: TimerSnapshot, wall: float) -> None:
        """Save progress only."""

    def end_session(
        self,
        session_id: int,
        snapshot: TimerSnapshot,
        wall: float,
        how: str | None = None,
        last_seen: TimerSnapshot | None = None,
    ) -> None:
        """Close the session ("completed", "stopped", "interrupted", "cancelled")."""

    def record_answers(
        self,
        conversation_id: str,
        answers: Mapping[str, str] | Iterable[tuple[str, str]],
        wall: float,
        session_id: int | None = None,
    ) -> None:
        """Store the user's answers (question id -> answer) for one conversation."""

    def gap_check(self, kind: str, now_wall: float, plan: Plan | None = None) -> str | None:
        """None when a session of ``kind`` may start now, else the refusal to say."""

    def find_interrupted(self, now_wall: float) -> InterruptedSession | None:
        """The last session if it never ended (or ended by a signal, not yet said)."""

    def interrupted_message(self, info: InterruptedSession) -> str:
        """What to say at start-up about an interrupted session."""

    def mark_interrupted(self, session_id: int, now_wall: float) -> None:
        """Close an interrupted session, so it is said only once."""
