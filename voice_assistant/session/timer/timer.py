"""The session timer: phases, spoken announcements on schedule, and voice control.

Pure: it never reads a clock or sleeps. Every method takes ``now`` (seconds on the
assistant's Clock) and returns the TimerEvents to speak, in order. The assistant
loop wakes at ``next_due()``, calls ``due_events(now)``, and speaks what comes back;
a faster clock simply makes the same schedule run faster.

Built in layers, one job each: timer_state.py (what the timer knows: status,
records, countdown), timer_schedule.py (what is due when, pause and its cap,
reminders), timer_phrases.py (the sentences from session.yaml), and here the
voice commands that a person can say at any moment.
"""

from __future__ import annotations

from dataclasses import replace

from voice_assistant.events import TimerEvent, TimerEventKind
from voice_assistant.session.timer.timer_schedule import PhaseSchedule
from voice_assistant.session.timer.timer_state import Status

# Kinds "repeat" repeats; replies such as help are not worth repeating.
_NOT_REPEATED = frozenset({"repeat", "help", "info"})


class SessionTimer(PhaseSchedule):
    """Runs one plan: ``SessionTimer(plan, config, tz=None)``; the voice commands and
    ``due_events``. See the module docstring for the calling contract."""

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
            self._freeze(now)
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
        capped = self._thaw(now)
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
        text = self._words.join(
            self._say(key, now, pack=self._pack()), self._next_allowed_text(now)
        )
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
        return [replace(self._last, kind=TimerEventKind.REPEAT, due=now)]

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
            upcoming = self.plan.next_application(self._index) if upcoming is None else upcoming
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

    def _no_session(self) -> bool:
        return self._status in (Status.IDLE, Status.FINISHED)

    def _info(self, now: float, key: str) -> TimerEvent:
        return self._event("info", now, self._say(key, now))

    def _said(self, events: list[TimerEvent]) -> list[TimerEvent]:
        for event in events:
            if event.kind not in _NOT_REPEATED:
                self._last = event
        return events
