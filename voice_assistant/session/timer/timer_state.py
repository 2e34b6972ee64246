"""What the timer knows: its status, each phase as it went, snapshots, and the
countdown bookkeeping under the schedule.

The journal stores the snapshots; the assistant and the controller read the state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from voice_assistant.events import TimerEvent
from voice_assistant.session.plans import Phase, Plan, SessionConfig


class Status(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    AWAITING = "awaiting_confirmation"
    FINISHED = "finished"


@dataclass(frozen=True)
class TimerState:
    """Where the session is. ``awaiting`` is "off" (time's up: take the pack off) or
    "on" (put the next pack on and say start) while ``status`` is AWAITING, else "".
    ``ended_how`` is "completed", "stopped" or "cancelled" once FINISHED.
    """

    status: Status
    phase: str
    phase_index: int
    awaiting: str
    ended_how: str | None


@dataclass(frozen=True)
class PhaseRecord:
    """One phase as it happened, in clock seconds (the journal converts to wall time).

    ``ended_how``: "completed" (confirmed off, or rest over), "unconfirmed" (reminders
    ran out), "stopped", "skipped" (never started), or None while running.
    ``seconds``: for ice/heat, time the pack was on (pauses excluded, waiting for
    "done" included); for rest, the rest taken.
    """

    index: int
    phase: str
    planned_seconds: float
    started: float | None
    ended: float | None
    ended_how: str | None
    seconds: float


@dataclass(frozen=True)
class TimerSnapshot:
    """Everything the journal stores on each heartbeat; times are clock seconds."""

    now: float
    status: str
    phase: str
    phase_index: int
    awaiting: str
    planned_seconds: float
    elapsed: float
    remaining: float
    phase_started: float | None
    ended_how: str | None
    last_text: str
    phases: tuple[PhaseRecord, ...]


class TimerProgress:
    """Where one plan is: the current phase, its countdown, and each phase's record.

    The bookkeeping under the schedule (timer_schedule.py): it answers questions
    about ``now`` and never decides what happens next.
    """

    def __init__(self, plan: Plan, config: SessionConfig) -> None:
        if not plan.phases:
            raise ValueError("a plan without phases has no timer (seek_care)")
        self.plan = plan
        self.config = config
        self._planned = [p.seconds for p in plan.phases]
        self._records = [
            PhaseRecord(i, p.kind, p.seconds, None, None, None, 0.0)
            for i, p in enumerate(plan.phases)
        ]
        self._status = Status.IDLE
        self._index = 0
        self._awaiting = ""
        self._segment = ""  # "active" | "over" | "put_on" | "paused"
        self._anchor = 0.0
        self._over_since = 0.0  # when time's up was due (the pack time counts from there)
        self._pending: list[DueItem] = []
        self._paused_elapsed = 0.0
        self._stash: list[DueItem] = []
        self._last: TimerEvent | None = None
        self._ended_how: str | None = None
        self._wall_origin: tuple[float, float] | None = None

    @property
    def state(self) -> TimerState:
        """State as of the last call (call ``due_events`` first for the latest)."""
        return TimerState(
            self._status, self._phase.kind, self._index, self._awaiting, self._ended_how
        )

    @property
    def finished(self) -> bool:
        return self._status is Status.FINISHED

    def next_due(self) -> float | None:
        """Clock time of the next scheduled event; None when nothing is scheduled."""
        if not self._pending:
            return None
        return self._anchor + self._pending[0].offset

    def remaining(self, now: float) -> float:
        """Seconds left in the current phase (0 while waiting for a confirmation)."""
        if self._status is Status.IDLE:
            return self._planned[0]
        if self._status in (Status.RUNNING, Status.PAUSED):
            left = max(0.0, self._planned[self._index] - self._elapsed(now))
            if self._status is Status.PAUSED and self._phase.is_application:
                left = min(left, self._cap_left(now))
            return left
        return 0.0

    def _capped(self, seconds: float, now: float) -> float:
        """The session rule every path that sets the current pack's length goes
        through (start, change, resume, pause): never past ``max_minutes`` from when
        this pack first went on, pauses counted as pack time."""
        if not self._phase.is_application:
            return seconds
        return min(seconds, self._elapsed(now) + self._cap_left(now))

    def _cap_left(self, now: float) -> float:
        """Seconds until the current pack would have been on for the cap, counting
        every pause as if the pack had stayed on (the conservative reading)."""
        started = self._records[self._index].started
        if started is None:
            return self.config.max_minutes * 60.0
        return max(0.0, started + self.config.max_minutes * 60.0 - now)

    def to_snapshot(self, now: float) -> TimerSnapshot:
        """The journal's view of the timer at ``now``."""
        records = list(self._records)
        current = records[self._index]
        if current.started is not None and current.ended is None:
            records[self._index] = replace(current, seconds=self._phase_seconds(now))
        elapsed = (
            self._planned[self._index]
            if self._awaiting == "off"
            else min(self._elapsed(now), self._planned[self._index])
        )
        return TimerSnapshot(
            now=now,
            status=self._status.value,
            phase=self._phase.kind,
            phase_index=self._index,
            awaiting=self._awaiting,
            planned_seconds=self._planned[self._index],
            elapsed=elapsed,
            remaining=self.remaining(now),
            phase_started=current.started,
            ended_how=self._ended_how,
            last_text=self._last.text if self._last else "",
            phases=tuple(records),
        )

    @property
    def _phase(self) -> Phase:
        return self.plan.phases[self._index]

    def _elapsed(self, now: float) -> float:
        """Seconds of the current phase's countdown used so far (pauses excluded)."""
        if self._segment == "active":
            return max(0.0, now - self._anchor)
        if self._segment == "paused":
            return self._paused_elapsed
        if self._segment == "over":
            return self._planned[self._index]
        return 0.0

    def _phase_seconds(self, now: float) -> float:
        if self._segment == "over":
            return self._planned[self._index] + max(0.0, now - self._over_since)
        return self._elapsed(now)

    def _set_planned(self, index: int, seconds: float) -> None:
        self._planned[index] = seconds
        self._records[index] = replace(self._records[index], planned_seconds=seconds)

    def _close_phase(self, t: float, how: str) -> None:
        record = self._records[self._index]
        self._records[self._index] = replace(
            record, ended=t, ended_how=how, seconds=self._phase_seconds(t)
        )


Fire = Callable[[float, float], list[TimerEvent]]
"""(due, now) -> the events of a scheduled item that has come due."""


@dataclass
class DueItem:
    """Something scheduled ``offset`` seconds after the current phase's anchor."""

    offset: float
    kind: str
    fire: Fire
