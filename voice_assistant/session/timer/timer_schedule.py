"""The timer's schedule: what is due when in each phase, and what happens then.

Each phase keeps its own small schedule of offsets from an anchor time. Pausing
freezes the offsets; late wake-ups fire each due item exactly once, dropping
announcements that a later one in the same batch makes pointless, so two
sentences are never due at once. Sentences come from timer_phrases.py.
"""

from __future__ import annotations

from dataclasses import replace

from voice_assistant.clock import Zone
from voice_assistant.events import TimerEvent, TimerEventKind
from voice_assistant.session.numbers import spoken_duration
from voice_assistant.session.plans import Plan, Schedule, SessionConfig
from voice_assistant.session.timer.timer_phrases import TimerPhrases
from voice_assistant.session.timer.timer_state import DueItem, Fire, Status, TimerProgress

EPSILON = 1e-9
# Dropped when a later event is due in the same batch (it says more, or the same).
_SUPERSEDED = frozenset(
    {"halfway", "one_minute", "times_up_repeat", "put_on_reminder", "pause_reminder"}
)
# Also dropped when they come later than min_spacing_seconds: their numbers would be wrong.
_PERISHABLE = frozenset({"halfway", "one_minute"})
# A reminder is pointless right after the announcement it repeats.
_REPEATS = {"times_up_repeat": "times_up", "put_on_reminder": "phase_next"}


def drop_pointless(fired: list[TimerEvent], now: float, spacing: float) -> list[TimerEvent]:
    """The events of one late batch worth saying (see the module docstring)."""
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


def repeat_offsets(every: float, until: float) -> list[float]:
    """``every``, twice that, ... while clearly before ``until``."""
    offsets = []
    k = 1
    while k * every < until - EPSILON:
        offsets.append(k * every)
        k += 1
    return offsets


def application_offsets(seconds: float, elapsed: float, sched: Schedule) -> list[tuple[float, str]]:
    """time's up / one minute left / halfway for a pack phase of ``seconds``, from
    ``elapsed`` on; an announcement closer than min_spacing to a more important one
    is left out."""
    kept = [elapsed, seconds]
    offsets = [(seconds, "times_up")]
    for offset, kind in (
        (seconds - sched.one_minute_before_seconds, "one_minute"),
        (seconds / 2, "halfway"),
    ):
        if offset <= elapsed or any(abs(offset - k) < sched.min_spacing_seconds for k in kept):
            continue
        kept.append(offset)
        offsets.append((offset, kind))
    return offsets


class PhaseSchedule(TimerProgress):
    """Runs the phases of one plan: announcements on time, reminders, pause and its
    cap, the end. The voice commands on top are in timer.py."""

    def __init__(self, plan: Plan, config: SessionConfig, *, tz: Zone = None) -> None:
        super().__init__(plan, config)
        self._words = TimerPhrases(plan, config, tz)

    def _say(self, key: str, at: float, **values: str) -> str:
        """Fill in a sentence about the current phase at ``at``."""
        index = self._index
        return self._words.say(key, index, self._planned[index], self.remaining(at), **values)

    def _pack(self) -> str:
        return self._words.pack(self._index)

    def _event(self, kind: str, due: float, text: str, *, confirm: bool = False) -> TimerEvent:
        return TimerEvent(TimerEventKind(kind), due, text, self._phase.kind, self._index, confirm)

    def _next_allowed_text(self, t: float) -> str:
        return self._words.next_allowed(self._records, t, self._wall_origin)

    def _advance(self, now: float) -> list[TimerEvent]:
        """Fire every item due by ``now`` (at its own due time), then drop the
        announcements that later ones in the same batch make pointless."""
        fired: list[TimerEvent] = []
        while self._pending:
            due = self._anchor + self._pending[0].offset
            if due > now + EPSILON:
                break
            item = self._pending.pop(0)
            fired.extend(item.fire(due, now))
        return drop_pointless(fired, now, self.config.schedule.min_spacing_seconds)

    def _freeze(self, now: float) -> None:
        """Pause the running phase: its items wait, the pause reminders start."""
        self._paused_elapsed = now - self._anchor
        self._stash, self._pending = self._pending, self._pause_items(now)
        self._anchor, self._segment, self._status = now, "paused", Status.PAUSED

    def _thaw(self, now: float) -> bool:
        """Resume the paused phase; True when the cap shortened it (see ``pause``)."""
        on = self._paused_elapsed
        planned = self._planned[self._index]
        allowed = self._capped(planned, now)  # see pause()
        capped = allowed < planned - EPSILON
        self._anchor = now - on
        self._pending, self._stash = self._stash, []
        if capped:
            self._planned[self._index] = allowed  # the record keeps the plan
            self._pending = self._application_items(allowed, on)
        self._segment, self._status = "active", Status.RUNNING
        return capped

    def _begin_phase(self, index: int, t: float, prefix: str = "") -> list[TimerEvent]:
        self._index = index
        self._records[index] = replace(self._records[index], started=t)
        self._status, self._awaiting = Status.RUNNING, ""
        self._segment, self._anchor = "active", t
        self._set_planned(index, self._capped(self._planned[index], t))
        seconds = self._planned[index]
        join = self._words.join
        if self.plan.phases[index].is_application:
            self._pending = self._application_items(seconds, 0.0)
            text = self._say("announcements.start", t)
            return [self._event("start", t, join(prefix, text))]
        self._pending = [DueItem(seconds, "rest_over", self._fire_rest_over)]
        text = self._say("announcements.rest_start", t)
        return [self._event("rest_start", t, join(prefix, text))]

    def _application_items(self, seconds: float, elapsed: float) -> list[DueItem]:
        items = [
            DueItem(
                offset, kind, self._fire_times_up if kind == "times_up" else self._fire_info(kind)
            )
            for offset, kind in application_offsets(seconds, elapsed, self.config.schedule)
        ]
        return sorted(items, key=lambda item: item.offset)

    def _fire_for(self, kind: str) -> Fire:
        return self._fire_times_up if kind == "times_up" else self._fire_info(kind)

    def _fire_info(self, kind: str) -> Fire:
        def fire(due: float, now: float) -> list[TimerEvent]:
            left = spoken_duration(max(0.0, self._planned[self._index] - (due - self._anchor)))
            text = self._say(f"announcements.{kind}", due, remaining=left)
            return [self._event(kind, due, text)]

        return fire

    def _fire_times_up(self, due: float, now: float) -> list[TimerEvent]:
        """Time's up. Its reminders run their full span from when it is said (``now``,
        later than ``due`` after a late wake-up), not from when it was due."""
        sched = self.config.schedule
        self._status, self._awaiting = Status.AWAITING, "off"
        self._segment, self._anchor, self._over_since = "over", max(due, now), due
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
        self, every: float, for_seconds: float, kind: str, key: str, last: Fire
    ) -> list[DueItem]:
        def fire(due: float, now: float) -> list[TimerEvent]:
            return [self._event(kind, due, self._say(key, due), confirm=True)]

        items = [DueItem(offset, kind, fire) for offset in repeat_offsets(every, for_seconds)]
        items.append(DueItem(for_seconds, kind + "_end", last))
        return items

    def _fire_final(self, due: float, now: float) -> list[TimerEvent]:
        self._close_phase(due, "unconfirmed")
        final = self._event("final_chime", due, self._say("announcements.final", due))
        return [final, *self._next_phase(due, said=now)]

    def _fire_rest_over(self, due: float, now: float) -> list[TimerEvent]:
        self._close_phase(due, "completed")
        return self._next_phase(due, said=now)

    def _next_phase(
        self, t: float, prefix: str = "", said: float | None = None
    ) -> list[TimerEvent]:
        """The phase after the current one, from ``t``; the put-on reminders run their
        full span from ``said`` (when the prompt is really said, if later)."""
        following = self._index + 1
        join = self._words.join
        if following >= len(self.plan.phases):
            text = join(prefix, self._say("announcements.plan_done", t), self._next_allowed_text(t))
            return self._finish("completed", t, text, "plan_done")
        if not self.plan.phases[following].is_application:
            return self._begin_phase(following, t, prefix)
        sched = self.config.schedule
        self._index = following
        self._status, self._awaiting = Status.AWAITING, "on"
        self._segment, self._anchor = "put_on", max(t, said if said is not None else t)
        self._pending = self._repeats(
            sched.put_on_repeat_seconds,
            sched.put_on_wait_seconds,
            "put_on_reminder",
            "announcements.put_on_repeat",
            self._fire_put_on_timeout,
        )
        text = join(prefix, self._say("announcements.put_on", t))
        return [self._event("phase_next", t, text, confirm=True)]

    def _fire_put_on_timeout(self, due: float, now: float) -> list[TimerEvent]:
        text = self._words.join(
            self._say("announcements.put_on_timeout", due), self._next_allowed_text(due)
        )
        return self._finish("cancelled", due, text, "put_on_timeout")

    def _pause_items(self, now: float) -> list[DueItem]:
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

        items = [
            DueItem(offset, "pause_reminder", remind)
            for offset in repeat_offsets(sched.pause_reminder_seconds, limit)
        ]
        if application:
            items.append(DueItem(limit, "pause_limit", self._fire_pause_limit))
        else:
            items.append(DueItem(limit, "pause_timeout", self._fire_pause_timeout))
        return items

    def _fire_pause_limit(self, due: float, now: float) -> list[TimerEvent]:
        """A pack phase paused too long: the time's-up flow, with the pack time kept."""
        self._planned[self._index] = self._paused_elapsed
        self._stash = []
        first = self._say("commands.pause_limit", due)
        events = self._fire_times_up(due, now)
        return [replace(events[0], text=self._words.join(first, events[0].text))]

    def _fire_pause_timeout(self, due: float, now: float) -> list[TimerEvent]:
        self._close_phase(due, "stopped")
        text = self._words.join(
            self._say("commands.pause_timeout", due, duration=spoken_duration(due - self._anchor)),
            self._next_allowed_text(due),
        )
        return self._finish("stopped", due, text, "pause_timeout")

    def _change_current(self, now: float, asked: float) -> list[TimerEvent]:
        """ "Make it N minutes" for the pack on now (or paused): at most the cap allows."""
        elapsed = self._elapsed(now)
        seconds = self._capped(asked, now)
        self._set_planned(self._index, max(seconds, elapsed))
        accepted = self._say(
            "requests.accepted_running"
            if seconds >= asked - EPSILON
            else "requests.accepted_capped",
            now,
            duration=spoken_duration(asked),
            remaining=spoken_duration(self.remaining(now)),
        )
        if seconds <= elapsed + EPSILON:
            # Already had that long: time's up now (a pause ends with it).
            self._stash = []
            first = self._say("requests.accepted", now, duration=spoken_duration(asked))
            events = self._fire_times_up(now, now)
            return [replace(events[0], text=self._words.join(first, events[0].text))]
        items = self._application_items(seconds, elapsed)
        if self._status is Status.PAUSED:
            self._stash = items
        else:
            self._pending = items
        return [self._event("changed", now, accepted)]

    def _finish(self, how: str, t: float, text: str, kind: str) -> list[TimerEvent]:
        self._status, self._awaiting, self._ended_how = Status.FINISHED, "", how
        self._pending, self._stash, self._segment = [], [], ""
        self._records = [
            replace(r, ended_how="skipped") if r.started is None else r for r in self._records
        ]
        return [self._event(kind, t, text)]
