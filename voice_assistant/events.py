"""Frozen value types that travel through the assistant's single event queue.

This module imports nothing of ours so every other module can depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

PlanSteps = tuple[tuple[str, float], ...]
"""A timed plan: (phase, minutes) in order, e.g. (("ice", 15),)."""


@dataclass(frozen=True)
class Recommendation:
    """What to use, how urgently to get help, and the timed plan."""

    kind: str
    urgency: str | None
    plan: PlanSteps
    advice_id: str
    row: int

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "urgency": self.urgency,
            "plan": [{"phase": phase, "minutes": minutes} for phase, minutes in self.plan],
        }


@dataclass(frozen=True)
class Turn:
    """One thing the assistant says, and what it waits for afterwards.

    Made by the triage conversation and by the timed session; printed and
    spoken by the assistant loop.
    """

    state: str
    say: str
    expects: tuple[str, ...] = ()
    recommendation: Recommendation | None = None
    start_timer: bool = False
    minutes: float | None = None
    end: bool = False
    chime: bool = False
    event: str | None = None  # a TimerEventKind (or "red_flag"), during a session
    phase: str | None = None


@dataclass(frozen=True)
class Transcript:
    """What the user said (typed or recognised).

    ``text`` is empty when the recogniser rejected the audio (silence or
    out-of-vocabulary speech). ``confidence`` is 0..1; typed text is 1.0.
    ``sure`` is the engine's own verdict on ``confidence``: false when the
    engine's measured error rate at that confidence means a safety answer must
    be read back before it is used. Each engine owns its threshold (its
    ``low_confidence`` setting); typed text is always sure.
    """

    text: str
    confidence: float = 1.0
    source: str = "text"  # "text" | "audio"
    sure: bool = True


@dataclass(frozen=True)
class InputClosed:
    """The input ended (stdin EOF, last scripted WAV used)."""


@dataclass(frozen=True)
class DeviceProblem:
    """An input or output device failed; ``message`` is for the user."""

    message: str
    fatal: bool = False


class TimerEventKind(StrEnum):
    """What a timer announcement is; the value is what the JSON output and journal show."""

    START = "start"
    REST_START = "rest_start"
    HALFWAY = "halfway"
    ONE_MINUTE = "one_minute"
    TIMES_UP = "times_up"
    TIMES_UP_REPEAT = "times_up_repeat"
    FINAL_CHIME = "final_chime"
    PHASE_NEXT = "phase_next"
    PUT_ON_REMINDER = "put_on_reminder"
    PUT_ON_TIMEOUT = "put_on_timeout"
    PLAN_DONE = "plan_done"
    PAUSED = "paused"
    PAUSE_REMINDER = "pause_reminder"
    PAUSE_TIMEOUT = "pause_timeout"
    RESUMED = "resumed"
    STOPPED = "stopped"
    REMAINING = "remaining"
    CHANGED = "changed"
    REPEAT = "repeat"
    HELP = "help"
    INFO = "info"


@dataclass(frozen=True)
class TimerEvent:
    """Something the session timer wants said (or done) at ``due`` seconds.

    ``kind`` compares equal to its plain string ("times_up"), which is what the
    JSON output and the journal show.
    """

    kind: TimerEventKind
    due: float
    text: str
    phase: str = ""
    phase_index: int = 0
    needs_confirmation: bool = False


@dataclass(frozen=True)
class Vocabulary:
    """The phrases the recogniser should listen for right now.

    ``phrases`` are whole phrases in lower case ("yes", "not sure",
    "two days ago"); anything else must come back as not understood.
    """

    phrases: tuple[str, ...]
    meanings: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Phrase -> what it means to the dialog ("no thanks" -> "no"); may be empty."""
    sentences: bool = False
    """The dialog can judge a free sentence here; an engine that hears sentences may return one.

    When true, a recogniser that transcribes whole sentences (Whisper) may return
    a confident free sentence that is not one of ``phrases`` ("no but i've wet the
    bed"); the dialog's safety-first understanding then judges it. When false,
    only ``phrases`` or "" come back.
    """

    def is_complete(self, phrase: str) -> bool:
        """Can ``phrase`` be taken as the whole answer the moment the talker pauses?

        Not when a longer phrase starting with it means something else: "i do"
        (yes) may be going on to "i do not" (no), "no" to "no idea" (unsure).
        Without ``meanings`` every longer phrase counts as different.
        """
        prefix = phrase + " "
        meaning = self.meanings.get(phrase)
        return not any(
            other.startswith(prefix) and (meaning is None or self.meanings.get(other) != meaning)
            for other in self.phrases
        )


@dataclass(frozen=True)
class Silence:
    """Nobody spoke before the listening limit (the question is asked again)."""


@dataclass(frozen=True)
class Shutdown:
    """SIGINT/SIGTERM: say goodbye, record any session as interrupted, exit 0."""

    reason: str = "signal"


@dataclass(frozen=True)
class Scheduled:
    """An input that should only be delivered when the assistant's clock reaches ``at``.

    Scripted input (``--text`` lines or ``--audio-in`` files) may carry a time
    ("@90 how long left") to act out a conversation during a timed session.
    """

    at: float
    event: object


@dataclass(frozen=True)
class AudioClip:
    """A recorded answer (``--audio-in``), recognised when the assistant gets to it."""

    pcm: bytes
    name: str


DeliveredEvent = Transcript | Silence | InputClosed | DeviceProblem | Shutdown
"""What the assistant loop acts on (a clip is recognised first; scheduled input waits)."""

InboxEvent = DeliveredEvent | AudioClip | Scheduled
"""Everything the assistant loop's queue carries (see ``Assistant.handle``)."""
