"""A running session as the assistant loop sees it: words in, announcements out.

Glues the pure ``SessionTimer`` to the journal (every announcement is written
before it is spoken, so a crash loses nothing already said) and to the session
vocabulary ("how long left", "pause", "done", ...).
"""

from __future__ import annotations

from collections.abc import Callable

from voice_assistant.dialog.answers import flagged_facts
from voice_assistant.dialog.offer import minutes_in
from voice_assistant.dialog.rules import decide
from voice_assistant.dialog.script import DialogScript
from voice_assistant.dialog.states import TIMING
from voice_assistant.dialog.understanding import Context, understand
from voice_assistant.events import Recommendation, TimerEvent, Transcript, Turn, Vocabulary
from voice_assistant.ports import Clock, JournalPort
from voice_assistant.session.plans import SessionConfig
from voice_assistant.session.timer.timer import SessionTimer
from voice_assistant.session.timer.timer_state import Status

# Answer names (answers.yaml) understood during a session. Each counts only as
# the whole reply (polite words aside); "done" also by the pack-off phrases in
# understanding.yaml.
SESSION_ANSWERS = ("done", "start", "time_left", "pause", "resume")
SESSION_COMMANDS = ("start", "time_left", "pause", "resume")
CHIME_BEFORE = frozenset({"times_up", "final_chime", "phase_next"})
UNHEARD_BEFORE_HELP = 2  # utterances not understood in a row, while timing, before help


def session_context(script: DialogScript) -> Context:
    """What can be meant during a session: whole commands, or the pack is off."""
    commands = {name: answer.phrases for name, answer in script.commands.items()}
    commands.update({name: script.answers[name].phrases for name in SESSION_COMMANDS})
    return Context(
        "session",
        kind="session",
        answers={"done": script.answers["done"].phrases},
        commands=commands,
    )


class SessionController:
    """Runs one timed plan: announcements on schedule, voice commands, journal writes."""

    def __init__(
        self,
        recommendation: Recommendation,
        minutes: float | None,
        *,
        script: DialogScript,
        config: SessionConfig,
        journal: JournalPort,
        clock: Clock,
        conversation_id: str | None = None,
        notify: Callable[[str], None] = lambda text: None,
    ) -> None:
        plan = config.plan_for(recommendation.kind)
        if plan is None:
            raise ValueError(f"no plan for {recommendation.kind}")
        if minutes is not None:
            plan = plan.with_minutes(minutes)
        self.plan = plan
        self.script = script
        self.config = config
        self.journal = journal
        self.clock = clock
        self.conversation_id = conversation_id
        self.notify = notify
        self.timer = SessionTimer(plan, config, tz=clock.zone)
        self.session_id: int | None = None
        self._last_beat = 0.0
        self._unheard = 0  # utterances in a row not understood
        phrases: dict[str, tuple[str, ...]] = {
            name: answer.phrases for name, answer in script.commands.items()
        }
        for name in SESSION_ANSWERS:
            phrases[name] = script.answers[name].phrases
        self._context = session_context(script)
        meanings = {p: name for name, group in phrases.items() for p in group}
        self._vocabulary = Vocabulary(tuple(sorted(meanings)), meanings=meanings, sentences=True)

    # --- TimedSession -------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.timer.finished

    def begin(self, now: float) -> list[Turn]:
        wall = self.clock.wall_time()
        self.session_id = self.journal.begin_session(
            self.plan.kind, self.plan, wall, self.conversation_id
        )
        self._last_beat = now
        return self._speak(self.timer.start(now, wall), now)

    def due(self, now: float) -> list[Turn]:
        turns = self._speak(self.timer.due_events(now), now)
        if (
            not self.timer.finished
            and self.session_id is not None
            and now - self._last_beat >= self.config.heartbeat_seconds
        ):
            self._last_beat = now
            self.journal.heartbeat(
                self.session_id, self.timer.to_snapshot(now), self.clock.wall_time()
            )
        return turns

    def next_due(self) -> float | None:
        due = self.timer.next_due()
        if self.timer.finished:
            return due
        beat = self._last_beat + self.config.heartbeat_seconds
        return beat if due is None else min(due, beat)

    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def hear(self, transcript: Transcript, now: float) -> list[Turn]:
        if not transcript.text.strip():
            if transcript.source == "audio" and not self._unheard_needs_help():
                return self._speak(self.timer.due_events(now), now)  # noise: stay quiet
            self._unheard = 0
            return self._speak(self.timer.help(now), now)
        self._unheard = 0
        meaning = understand(transcript.text, self._context, self.script.lexicon)
        if meaning.kind == "red_flag":
            return self._red_flag(meaning.screens, now)
        timer = self.timer
        name = meaning.name if meaning.kind in ("command", "answer") else ""
        minutes = minutes_in(transcript.text)
        if name == "stop":
            events = timer.stop(now)
        elif name == "pause":
            events = timer.pause(now)
        elif name == "resume":
            events = timer.resume(now)
        elif name == "time_left":
            events = timer.how_long_left(now)
        elif name == "repeat":
            events = timer.repeat(now)
        elif name == "done":
            events = timer.confirm(now)
        elif name == "start" and timer.state.status == Status.AWAITING:
            # "It's on", "ok", "yes": starts the next pack after a rest, but is
            # never taken as "the pack is off" (help says again to take it off).
            on = timer.state.awaiting == "on"
            events = timer.confirm(now) if on else timer.help(now)
        elif name == "start" and timer.state.status == Status.PAUSED:
            events = timer.resume(now)
        elif minutes is not None and "minute" in transcript.text.lower():
            events = timer.change_minutes(now, minutes)
        else:
            events = timer.help(now)
        return self._speak(events, now)

    def _unheard_needs_help(self) -> bool:
        """Speech not understood during a session: help when the timer waits for the
        person (paused, or time's up / the next pack), where silence would leave a pack
        on or a session stuck; while timing, at the second in a row (once is often
        noise, or talk to someone else)."""
        self._unheard += 1
        waiting = self.timer.state.status in (Status.PAUSED, Status.AWAITING)
        return waiting or self._unheard >= UNHEARD_BEFORE_HELP

    def _red_flag(self, screens: tuple[str, ...], now: float) -> list[Turn]:
        """A red flag mentioned mid-session: stop (journalled as stopped), pack off, advice.

        The stop is journalled but not said: its words ("the next heat can start at
        ...") must never come before emergency advice, which is said first and alone.
        """
        self._speak(self.timer.stop(now), now)
        turns: list[Turn] = []
        facts = flagged_facts(self.script, screens)
        advice_id = next(
            (rule.advice for rule in self.script.rules if decide([rule], facts).rule is not None),
            None,
        )
        parts = [self.script.message("red_flag_session")]
        if advice_id is not None:
            parts.append(self.script.advice[advice_id].say.strip())
        turns.append(Turn(state=TIMING, say=" ".join(parts), expects=(), event="red_flag"))
        return turns

    def interrupt(self, now: float) -> list[Turn]:
        """Ctrl-C, SIGTERM or SIGHUP: tell the user to take the pack off; journal it as
        interrupted, with the timer as it was, for the next start to report."""
        before = self.timer.to_snapshot(now)
        events = self.timer.stop(now)
        turns = self._speak(events, now, record=False)
        if self.session_id is not None:
            self.journal.end_session(
                self.session_id,
                self.timer.to_snapshot(now),
                self.clock.wall_time(),
                "interrupted",
                last_seen=before,
            )
        return turns

    def input_closed(self, now: float) -> list[Turn]:
        """Typed input ended: keep timing to the end, the pack may be on."""
        self.notify(self.script.message("input_closed_timing"))
        return []

    def expects(self) -> tuple[str, ...]:
        state = self.timer.state
        if state.status == Status.AWAITING:
            return ("done",) if state.awaiting == "off" else ("start",)
        if state.status == Status.PAUSED:
            return ("resume", "time_left")
        if state.status == Status.FINISHED:
            return ()
        return ("time_left", "pause")

    # --- internals ------------------------------------------------------------------------

    def _speak(self, events: list[TimerEvent], now: float, record: bool = True) -> list[Turn]:
        turns = []
        for event in events:
            if record and self.session_id is not None:
                self.journal.record_event(
                    self.session_id, self.timer.to_snapshot(now), self.clock.wall_time(), event
                )
            turns.append(
                Turn(
                    state=TIMING,
                    say=event.text,
                    expects=self.expects(),
                    chime=event.kind in CHIME_BEFORE,
                    event=event.kind,
                    phase=event.phase or None,
                )
            )
        return turns
