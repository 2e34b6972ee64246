"""The session timer: phases, spoken announcements on schedule, and voice control.

Pure: it never reads a clock or sleeps. Every method takes ``now`` (seconds on the
assistant's Clock) and returns the TimerEvents to speak, in order. The assistant
loop wakes at ``next_due()``, calls ``due_events(now)``, and speaks what comes back;
a faster clock simply makes the same schedule run faster.

Each phase keeps its own small schedule of offsets from an anchor time. Pausing
freezes the offsets; late wake-ups fire each due item exactly once, dropping
announcements that a later one in the same batch makes pointless, so two
sentences are never due at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import tzinfo
from enum import StrEnum

from voice_assistant.events import TimerEvent
from voice_assistant.session.numbers import (
    ceil_to_minute,
    spoken_clock_time,
    spoken_duration,
    spoken_number,
)
from voice_assistant.session.plans import Plan, SessionConfig

_EPSILON = 1e-9
# Dropped when a later event is due in the same batch (it says more, or the same).
_SUPERSEDED = frozenset(
    {"halfway", "one_minute", "times_up_repeat", "put_on_reminder", "pause_reminder"}
)
# Also dropped when they come later than min_spacing_seconds: their numbers would be wrong.
_PERISHABLE = frozenset({"halfway", "one_minute"})
# A reminder is pointless right after the announcement it repeats.
_REPEATS = {"times_up_repeat": "times_up", "put_on_reminder": "phase_next"}
# Kinds "repeat" repeats; replies such as help are not worth repeating.
_NOT_REPEATED = frozenset({"repeat", "help", "info"})


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


@dataclass
class _Item:
    offset: float
    kind: str
    fire: Callable[[float, float], list[TimerEvent]]  # (due, now) -> events


class SessionTimer:
    """Runs one plan. See the module docstring for the calling contract."""

    def __init__(self, plan: Plan, config: SessionConfig, *, tz: tzinfo | None = None) -> None:
        if not plan.phases:
            raise ValueError("a plan without phases has no timer (seek_care)")
        self.plan = plan
        self.config = config
        self._tz = tz
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
        self._pending: list[_Item] = []
        self._paused_elapsed = 0.0
        self._stash: list[_Item] = []
        self._last: TimerEvent | None = None
        self._ended_how: str | None = None
        self._wall_origin: tuple[float, float] | None = None

    # ------------------------------------------------------------------ queries
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

    # ------------------------------------------------------------------ commands
    def start(self, now: float, wall: float | None = None) -> list[TimerEvent]:
        """Begin the plan (the pack is on). ``wall`` (Unix time at ``now``) lets the end
        of the session say the clock time of the next allowed application.
        While waiting for the next pack to go on, this is the same as ``confirm``.
        """
        if self._status is Status.IDLE:
            if wall is not None:
                self._wall_origin = (now, wall)
            return self._said(self._begin_phase(0, now))
        events = self._advance(now)
        if self._awaiting == "on":
            return self._said(events + self._begin_phase(self._index, now))
        if self._status is Status.FINISHED:
            return self._said([*events, self._info(now, "commands.no_session")])
        text = self._say("commands.already_running", now)
        return self._said([*events, self._event("info", now, text)])

    def due_events(self, now: float) -> list[TimerEvent]:
        """Events whose time has come, in order, each exactly once."""
        return self._said(self._advance(now))

    def confirm(self, now: float) -> list[TimerEvent]:
        """The user said the pack is off ("done") or, after a rest, on ("start")."""
        events = self._advance(now)
        if self._awaiting == "off":
            self._close_phase(now, "completed")
            ack = self._say("announcements.off_ack", now, pack=self._pack())
            return self._said(events + self._next_phase(now, prefix=ack))
        if self._awaiting == "on":
            return self._said(events + self._begin_phase(self._index, now))
        if self._status is Status.RUNNING:
            key = (
                "commands.confirm_early" if self._phase.is_application else "commands.confirm_rest"
            )
            text = self._say(key, now)
            return self._said([*events, self._event("info", now, text)])
        if self._status is Status.PAUSED:
            return self._said([*events, self._info(now, "commands.confirm_paused")])
        return self._said([*events, self._info(now, "commands.no_session")])

    def pause(self, now: float) -> list[TimerEvent]:
        """Freeze the current phase; reminders follow while paused.

        Pausing ice or heat means the pack comes off, and the user is told so. The
        pack time so far is kept. Because nobody can check the pack really came
        off, the pause still counts toward the cap (``max_minutes`` from when the
        phase started): when it is used up, the phase ends with the time's-up
        flow; a resume before that gets at most what is left of it.
        """
        events = self._advance(now)
        if self._status is Status.RUNNING:
            self._paused_elapsed = now - self._anchor
            self._stash, self._pending = self._pending, self._pause_items(now)
            self._anchor, self._segment, self._status = now, "paused", Status.PAUSED
            key = "commands.pause_pack_off" if self._phase.is_application else "commands.pause"
            text = self._say(key, now)
            return self._said([*events, self._event("paused", now, text)])
        key = {
            Status.PAUSED: "commands.already_paused",
            Status.AWAITING: f"commands.pause_awaiting_{self._awaiting}",
        }.get(self._status, "commands.no_session")
        return self._said([*events, self._info(now, key)])

    def resume(self, now: float) -> list[TimerEvent]:
        events = self._advance(now)
        if self._status is not Status.PAUSED:
            key = "commands.no_session" if self._no_session() else "commands.not_paused"
            return self._said([*events, self._info(now, key)])
        on = self._paused_elapsed
        allowed = self.remaining(now)  # capped: see pause()
        capped = self._phase.is_application and on + allowed < self._planned[self._index] - _EPSILON
        self._anchor = now - on
        self._pending, self._stash = self._stash, []
        if capped:
            self._planned[self._index] = on + allowed
            self._pending = self._application_items(on + allowed, on)
        self._segment, self._status = "active", Status.RUNNING
        if not self._phase.is_application:
            key = "commands.resume"
        else:
            key = "commands.resume_capped" if capped else "commands.resume_pack_on"
        text = self._say(key, now)
        return self._said([*events, self._event("resumed", now, text)])

    def stop(self, now: float) -> list[TimerEvent]:
        """End the session now (recorded as "stopped"; "cancelled" before it started)."""
        events = self._advance(now)
        if self._status is Status.FINISHED:
            return self._said([*events, self._info(now, "commands.no_session")])
        if self._status is Status.IDLE:
            text = self._say("commands.cancel_not_started", now)
            return self._said(events + self._finish("cancelled", now, text, "stopped"))
        pack_on = self._phase.is_application and self._awaiting != "on"
        if self._records[self._index].started is not None:
            self._close_phase(now, "stopped")
        key = "commands.stop_pack_on" if pack_on else "commands.stop_no_pack"
        text = self._join(self._say(key, now, pack=self._pack()), self._next_allowed_text(now))
        return self._said(events + self._finish("stopped", now, text, "stopped"))

    def how_long_left(self, now: float) -> list[TimerEvent]:
        """Answer "how long left" with the current phase's remaining time in words."""
        events = self._advance(now)
        if self._status is Status.RUNNING:
            key = (
                "commands.remaining_running"
                if self._phase.is_application
                else "commands.remaining_rest"
            )
        elif self._status is Status.PAUSED:
            key = "commands.remaining_paused"
        elif self._status is Status.AWAITING:
            key = f"commands.remaining_awaiting_{self._awaiting}"
        else:
            key = "commands.no_session"
        text = self._say(key, now)
        return self._said([*events, self._event("remaining", now, text)])

    def repeat(self, now: float) -> list[TimerEvent]:
        """Say the last thing again (a "how long left" answer is recomputed)."""
        events = self._advance(now)
        if events:
            return self._said(events)
        if self._last is None:
            return [self._info(now, "commands.nothing_to_repeat")]
        if self._last.kind == "remaining":
            return self.how_long_left(now)
        return [replace(self._last, kind="repeat", due=now)]

    def help(self, now: float) -> list[TimerEvent]:
        events = self._advance(now)
        if self._status is Status.RUNNING:
            key = "commands.help_running" if self._phase.is_application else "commands.help_rest"
        elif self._status is Status.AWAITING:
            key = f"commands.help_awaiting_{self._awaiting}"
        else:
            key = {
                Status.PAUSED: "commands.help_paused",
                Status.IDLE: "commands.help_idle",
            }.get(self._status, "commands.no_session")
        return self._said([*events, self._event("help", now, self._say(key, now))])

    def change_minutes(self, now: float, minutes: float) -> list[TimerEvent]:
        """ "Make it N minutes": set every current and coming ice/heat phase to N
        minutes in all (5..20; refused otherwise, with the reason).
        """
        events = self._advance(now)
        target = self.plan.kind
        if self._status is not Status.IDLE:
            upcoming = self._index if self._phase.is_application else None
            upcoming = self._next_application(self._index) if upcoming is None else upcoming
            target = self.plan.phases[upcoming].kind if upcoming is not None else target
        check = self.config.check_minutes(minutes, target)
        if not check.ok:
            return self._said([*events, self._event("info", now, check.text)])
        if self._status is Status.FINISHED:
            return self._said([*events, self._info(now, "commands.no_session")])
        if self._awaiting == "off":
            return self._said([*events, self._info(now, "commands.remaining_awaiting_off")])
        seconds = minutes * 60.0
        current_active = self._phase.is_application and self._status in (
            Status.RUNNING,
            Status.PAUSED,
        )
        for i, phase in enumerate(self.plan.phases):
            if phase.is_application and i >= self._index:
                if i == self._index and current_active:
                    continue  # handled below: it is already counting down
                self._set_planned(i, seconds)
        if not current_active:
            return self._said([*events, self._event("changed", now, check.text)])
        return self._said(events + self._change_current(now, seconds))

    # ------------------------------------------------------------------ internals
    @property
    def _phase(self) -> _PhaseView:
        p = self.plan.phases[self._index]
        return _PhaseView(p.kind, p.is_application)

    def _no_session(self) -> bool:
        return self._status in (Status.IDLE, Status.FINISHED)

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
            return self._planned[self._index] + max(0.0, now - self._anchor)
        return self._elapsed(now)

    def _set_planned(self, index: int, seconds: float) -> None:
        self._planned[index] = seconds
        self._records[index] = replace(self._records[index], planned_seconds=seconds)

    def _say(self, key: str, at: float, **values: str) -> str:
        """Fill in a sentence; every placeholder the YAML may use has a value."""
        index = self._index
        base = {
            "remaining": self._spoken_left(at),
            "time": "",
            "gap": "",
            "phase": self.config.phase_name(self.plan.phases[index].kind),
            "pack": self._pack(),
            "duration": spoken_duration(self._planned[index]),
            "next_phase": "",
            "next_pack": self.config.pack_name("rest"),
            "max": spoken_number(self.config.max_minutes),
        }
        upcoming = self._next_application(index)
        if upcoming is not None:
            base["next_phase"] = self.config.phase_name(self.plan.phases[upcoming].kind)
            base["next_pack"] = self.config.pack_name(self.plan.phases[upcoming].kind)
        base.update(values)
        return self.config.say(key, **base)

    def _pack(self) -> str:
        return self.config.pack_name(self.plan.phases[self._index].kind)

    def _next_application(self, index: int) -> int | None:
        for i in range(index + 1, len(self.plan.phases)):
            if self.plan.phases[i].is_application:
                return i
        return None

    def _spoken_left(self, now: float) -> str:
        return spoken_duration(self.remaining(now))

    @staticmethod
    def _join(*parts: str) -> str:
        return " ".join(p for p in parts if p)

    def _event(self, kind: str, due: float, text: str, *, confirm: bool = False) -> TimerEvent:
        return TimerEvent(kind, due, text, self._phase.kind, self._index, confirm)

    def _info(self, now: float, key: str) -> TimerEvent:
        return self._event("info", now, self._say(key, now))

    def _said(self, events: list[TimerEvent]) -> list[TimerEvent]:
        for event in events:
            if event.kind not in _NOT_REPEATED:
                self._last = event
        return events

    def _advance(self, now: float) -> list[TimerEvent]:
        """Fire every item due by ``now`` (at its own due time), then drop the
        announcements that later ones in the same batch make pointless."""
        fired: list[TimerEvent] = []
        while self._pending:
            due = self._anchor + self._pending[0].offset
            if due > now + _EPSILON:
                break
            item = self._pending.pop(0)
            fired.extend(item.fire(due, now))
        spacing = self.config.schedule.min_spacing_seconds
        kept = []
        for i, event in enumerate(fired):
            if event.kind in _SUPERSEDED and i < len(fired) - 1:
                continue
            if event.kind in _PERISHABLE and now - event.due > spacing:
                continue
            if event.kind in _REPEATS and any(e.kind == _REPEATS[event.kind] for e in fired[:i]):
                continue
            kept.append(event)
        return kept

    # -- phases
    def _begin_phase(self, index: int, t: float, prefix: str = "") -> list[TimerEvent]:
        self._index = index
        self._records[index] = replace(self._records[index], started=t)
        self._status, self._awaiting = Status.RUNNING, ""
        self._segment, self._anchor = "active", t
        seconds = self._planned[index]
        if self.plan.phases[index].is_application:
            self._pending = self._application_items(seconds, 0.0)
            text = self._say("announcements.start", t)
            return [self._event("start", t, self._join(prefix, text))]
        self._pending = [_Item(seconds, "rest_over", self._fire_rest_over)]
        text = self._say("announcements.rest_start", t)
        return [self._event("rest_start", t, self._join(prefix, text))]

    def _application_items(self, seconds: float, elapsed: float) -> list[_Item]:
        """halfway / one minute left / time's up, from ``elapsed`` on; an announcement
        closer than min_spacing to a more important one is left out."""
        sched = self.config.schedule
        kept = [elapsed, seconds]
        items = [_Item(seconds, "times_up", self._fire_times_up)]
        for offset, kind in (
            (seconds - sched.one_minute_before_seconds, "one_minute"),
            (seconds / 2, "halfway"),
        ):
            if offset <= elapsed or any(abs(offset - k) < sched.min_spacing_seconds for k in kept):
                continue
            kept.append(offset)
            items.append(_Item(offset, kind, self._fire_info(kind)))
        return sorted(items, key=lambda item: item.offset)

    def _fire_info(self, kind: str) -> Callable[[float, float], list[TimerEvent]]:
        def fire(due: float, now: float) -> list[TimerEvent]:
            left = spoken_duration(max(0.0, self._planned[self._index] - (due - self._anchor)))
            text = self._say(f"announcements.{kind}", due, remaining=left)
            return [self._event(kind, due, text)]

        return fire

    def _fire_times_up(self, due: float, now: float) -> list[TimerEvent]:
        sched = self.config.schedule
        self._status, self._awaiting = Status.AWAITING, "off"
        self._segment, self._anchor = "over", due
        self._pending = self._repeats(
            sched.times_up_repeat_seconds,
            sched.times_up_repeat_for_seconds,
            "times_up_repeat",
            "announcements.times_up_repeat",
            self._fire_final,
        )
        return [
            self._event("times_up", due, self._say("announcements.times_up", due), confirm=True)
        ]

    def _repeats(
        self,
        every: float,
        for_seconds: float,
        kind: str,
        key: str,
        last: Callable[[float, float], list[TimerEvent]],
    ) -> list[_Item]:
        def fire(due: float, now: float) -> list[TimerEvent]:
            return [self._event(kind, due, self._say(key, due), confirm=True)]

        items = []
        k = 1
        while k * every < for_seconds - _EPSILON:
            items.append(_Item(k * every, kind, fire))
            k += 1
        items.append(_Item(for_seconds, kind + "_end", last))
        return items

    def _fire_final(self, due: float, now: float) -> list[TimerEvent]:
        self._close_phase(due, "unconfirmed")
        final = self._event("final_chime", due, self._say("announcements.final", due))
        return [final, *self._next_phase(due)]

    def _fire_rest_over(self, due: float, now: float) -> list[TimerEvent]:
        self._close_phase(due, "completed")
        return self._next_phase(due)

    def _next_phase(self, t: float, prefix: str = "") -> list[TimerEvent]:
        following = self._index + 1
        if following >= len(self.plan.phases):
            text = self._join(
                prefix, self._say("announcements.plan_done", t), self._next_allowed_text(t)
            )
            return self._finish("completed", t, text, "plan_done")
        if not self.plan.phases[following].is_application:
            return self._begin_phase(following, t, prefix)
        sched = self.config.schedule
        self._index = following
        self._status, self._awaiting = Status.AWAITING, "on"
        self._segment, self._anchor = "put_on", t
        self._pending = self._repeats(
            sched.put_on_repeat_seconds,
            sched.put_on_wait_seconds,
            "put_on_reminder",
            "announcements.put_on_repeat",
            self._fire_put_on_timeout,
        )
        text = self._join(prefix, self._say("announcements.put_on", t))
        return [self._event("phase_next", t, text, confirm=True)]

    def _fire_put_on_timeout(self, due: float, now: float) -> list[TimerEvent]:
        text = self._join(
            self._say("announcements.put_on_timeout", due), self._next_allowed_text(due)
        )
        return self._finish("cancelled", due, text, "put_on_timeout")

    def _pause_items(self, now: float) -> list[_Item]:
        """Reminders while paused, then the end of the pause: for ice or heat the
        time's-up flow once the cap (or pause_max_seconds) is reached; for a rest,
        the end of the session after pause_max_seconds."""
        sched = self.config.schedule
        application = self._phase.is_application
        limit = sched.pause_max_seconds
        if application:
            limit = min(limit, self._cap_left(now))
        key = "commands.pause_reminder_pack_off" if application else "commands.pause_reminder"

        def remind(due: float, now: float) -> list[TimerEvent]:
            return [self._event("pause_reminder", due, self._say(key, due))]

        items = []
        k = 1
        while k * sched.pause_reminder_seconds < limit - _EPSILON:
            items.append(_Item(k * sched.pause_reminder_seconds, "pause_reminder", remind))
            k += 1
        if application:
            items.append(_Item(limit, "pause_limit", self._fire_pause_limit))
        else:
            items.append(_Item(limit, "pause_timeout", self._fire_pause_timeout))
        return items

    def _fire_pause_limit(self, due: float, now: float) -> list[TimerEvent]:
        """A pack phase paused too long: the time's-up flow, with the pack time kept."""
        self._planned[self._index] = self._paused_elapsed
        self._stash = []
        first = self._say("commands.pause_limit", due)
        events = self._fire_times_up(due, now)
        return [replace(events[0], text=self._join(first, events[0].text))]

    def _fire_pause_timeout(self, due: float, now: float) -> list[TimerEvent]:
        self._close_phase(due, "stopped")
        text = self._join(
            self._say("commands.pause_timeout", due, duration=spoken_duration(due - self._anchor)),
            self._next_allowed_text(due),
        )
        return self._finish("stopped", due, text, "pause_timeout")

    def _change_current(self, now: float, seconds: float) -> list[TimerEvent]:
        elapsed = self._elapsed(now)
        self._set_planned(self._index, max(seconds, elapsed))
        accepted = self._say(
            "requests.accepted_running",
            now,
            duration=spoken_duration(seconds),
            remaining=self._spoken_left(now),
        )
        if seconds <= elapsed + _EPSILON:
            # Already had that long: time's up now (a pause ends with it).
            self._stash = []
            first = self._say("requests.accepted", now, duration=spoken_duration(seconds))
            events = self._fire_times_up(now, now)
            return [replace(events[0], text=self._join(first, events[0].text))]
        items = self._application_items(seconds, elapsed)
        if self._status is Status.PAUSED:
            self._stash = items
        else:
            self._pending = items
        return [self._event("changed", now, accepted)]

    def _close_phase(self, t: float, how: str) -> None:
        record = self._records[self._index]
        self._records[self._index] = replace(
            record, ended=t, ended_how=how, seconds=self._phase_seconds(t)
        )

    def _finish(self, how: str, t: float, text: str, kind: str) -> list[TimerEvent]:
        self._status, self._awaiting, self._ended_how = Status.FINISHED, "", how
        self._pending, self._stash, self._segment = [], [], ""
        self._records = [
            replace(r, ended_how="skipped") if r.started is None else r for r in self._records
        ]
        return [self._event(kind, t, text)]

    def _next_allowed_text(self, t: float) -> str:
        """ "The next ice can start at 4:35 pm." for each kind used so far."""
        last_end: dict[str, float] = {}
        for record in self._records:
            if record.phase == "rest" or record.started is None:
                continue
            end = record.ended if record.ended is not None else t
            last_end[record.phase] = max(end, last_end.get(record.phase, end))
        sentences = []
        for phase, end in last_end.items():
            name = self.config.phase_name(phase)
            gap = self.config.gap_seconds(phase)
            if self._wall_origin is None:
                sentences.append(
                    self.config.say(
                        "announcements.next_allowed_no_clock",
                        phase=name,
                        gap=self.config.spoken_gap(phase),
                    )
                )
                continue
            clock0, wall0 = self._wall_origin
            when = spoken_clock_time(
                ceil_to_minute(wall0 + (end + gap - clock0)),
                self._tz,
                reference=wall0 + (t - clock0),
            )
            sentences.append(self.config.say("announcements.next_allowed", phase=name, time=when))
        return " ".join(sentences)


@dataclass(frozen=True)
class _PhaseView:
    kind: str
    is_application: bool
