"""The assistant loop: one event queue in, speech, printed turns and journal out.

Transcripts, silences, timer deadlines, device problems and signals all pass
through :meth:`Assistant.handle` / :meth:`Assistant.tick` on one thread, so a
timer expiring can never race an answer arriving.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol, assert_never

from voice_assistant.dialog.conversation import Conversation
from voice_assistant.errors import AssistantError
from voice_assistant.events import (
    AudioClip,
    DeliveredEvent,
    DeviceProblem,
    InputClosed,
    Recommendation,
    Scheduled,
    Shutdown,
    Silence,
    Transcript,
    Turn,
    Vocabulary,
)
from voice_assistant.ports import Clock, Speaker
from voice_assistant.runtime.output import TurnRecord, TurnSink

log = logging.getLogger(__name__)

_STOP = object()
MAX_INTERNAL_ERRORS = 5
INTERNAL_ERROR = (
    "Sorry, something went wrong inside me; I'm carrying on. "
    "If it keeps happening, run heat-or-ice --verbose and report what it prints."
)


class TimedSession(Protocol):
    """A running heat/ice session as the loop sees it (see session/controller.py)."""

    @property
    def finished(self) -> bool: ...

    def begin(self, now: float) -> list[Turn]: ...

    def hear(self, transcript: Transcript, now: float) -> list[Turn]: ...

    def due(self, now: float) -> list[Turn]: ...

    def next_due(self) -> float | None: ...

    def vocabulary(self) -> Vocabulary: ...

    def interrupt(self, now: float) -> list[Turn]: ...

    def input_closed(self, now: float) -> list[Turn]: ...


SessionFactory = Callable[[Recommendation, "float | None"], TimedSession]


class Gate(Protocol):
    """Half-duplex: the microphone is muted while the assistant speaks."""

    def mute(self, muted: bool) -> None: ...


class Assistant:
    """Runs one conversation (and the session it leads to) to the end."""

    def __init__(
        self,
        conversation: Conversation,
        speaker: Speaker,
        clock: Clock,
        sink: TurnSink,
        *,
        session_factory: SessionFactory | None = None,
        on_answers: Callable[[Conversation], None] | None = None,
        preamble: Sequence[str] = (),
        gate: Gate | None = None,
        transcribe: Callable[[bytes, Vocabulary], Transcript | Silence] | None = None,
    ) -> None:
        self.conversation = conversation
        self.speaker = speaker
        self.clock = clock
        self.sink = sink
        self.session_factory = session_factory
        self.on_answers = on_answers
        self.preamble = list(preamble)
        self.gate = gate
        self.transcribe = transcribe
        self.session: TimedSession | None = None
        self.done = False
        self.input_ended = False
        self.shutdown = False
        self._held: deque[Scheduled] = deque()
        self._heard: str | None = None
        self._lock = threading.Lock()
        self._answers_saved = False

    # --- what the listener needs ------------------------------------------------------

    def vocabulary(self) -> Vocabulary:
        """Phrases to listen for right now (thread-safe snapshot)."""
        with self._lock:
            if self.session is not None:
                return self.session.vocabulary()
            return self.conversation.vocabulary()

    # --- the loop ---------------------------------------------------------------------

    def run(self, inbox: queue.Queue[object]) -> int:
        """Process events until the conversation and any session are over."""
        self.begin()
        failures = 0
        while not self.done:
            try:
                event = self._next_event(inbox)
                if event is _STOP:
                    break
                if event is not None:
                    self.handle(event)
                failures = 0
            except Exception:  # a bug must not silence a running timer
                failures += 1
                log.exception("internal error while handling an event")
                self.sink.notice(INTERNAL_ERROR)
                if failures >= MAX_INTERNAL_ERRORS:
                    return 1
        return 0

    def _next_event(self, inbox: queue.Queue[object]) -> object | None:
        self.tick()
        if self.done:
            return _STOP
        self._release_held()
        if self.done:
            return _STOP
        wake = self.next_wake()
        timeout = None if wake is None else self.clock.real_seconds(wake - self.clock.now())
        if timeout is None and self.input_ended and not self._held:
            return _STOP  # nothing can happen any more
        try:
            return inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def begin(self) -> None:
        for line in self.preamble:
            self._speak(Turn(state="notice", say=line))
        self._speak_all(self.conversation.start())

    def next_wake(self) -> float | None:
        """Clock time at which :meth:`tick` has something to do, if any."""
        times = []
        if self.session is not None and not self.session.finished:
            due = self.session.next_due()
            if due is not None:
                times.append(due)
        if self._held:
            times.append(self._held[0].at)
        return min(times) if times else None

    def tick(self) -> None:
        """Say whatever the session timer has due by now."""
        if self.session is None:
            return
        now = self.clock.now()
        turns = self.session.due(now)
        self._speak_all(turns)
        self._check_session_end()

    def handle(self, event: object) -> None:
        """Deliver one event from the queue."""
        if isinstance(event, Scheduled):
            self._held.append(event)
            self._release_held()
            return
        if self._held and not isinstance(event, DeviceProblem | Shutdown):
            self._held.append(Scheduled(at=self._held[-1].at, event=event))
            return
        self._deliver(event)

    # --- internals --------------------------------------------------------------------

    def _release_held(self) -> None:
        while self._held and self._held[0].at <= self.clock.now():
            item = self._held.popleft()
            self.tick()
            self._deliver(item.event)

    def _deliver(self, event: object) -> None:
        if self.done:
            return
        if isinstance(event, AudioClip):
            if self.transcribe is None:
                log.warning("no recogniser for %s", event.name)
                return
            event = self.transcribe(event.pcm, self.vocabulary())
        if not isinstance(event, DeliveredEvent):
            log.warning("ignored unknown event %r", event)
            return
        now = self.clock.now()
        match event:
            case Transcript():
                self._heard = event.text
                if self.session is not None:
                    self._speak_all(self.session.hear(event, now))
                    self._check_session_end()
                else:
                    self._after_conversation(self.conversation.hear(event))
            case Silence():
                self._heard = ""
                if self.session is None:
                    self._after_conversation(self.conversation.silence())
            case InputClosed():
                self.input_ended = True
                if self.session is not None:
                    self._speak_all(self.session.input_closed(now))
                    self._check_session_end()
                else:
                    self._after_conversation(self.conversation.input_closed())
            case DeviceProblem():
                self.sink.notice(event.message)
                self._speak(Turn(state="notice", say=event.message), print_turn=False)
            case Shutdown():
                self.shutdown = True
                turns = self.session.interrupt(now) if self.session is not None else []
                self._speak_all(turns or self.conversation.stop())
                self._save_answers()
                self.done = True
            case _:
                assert_never(event)

    def _after_conversation(self, turns: list[Turn]) -> None:
        start: Turn | None = None
        spoken = []
        for turn in turns:
            if turn.start_timer:
                start = turn
            else:
                spoken.append(turn)
        self._speak_all(spoken)
        if any(turn.recommendation is not None for turn in turns) or any(t.end for t in turns):
            self._save_answers()
        if start is not None:
            self._start_session(start)
        elif any(turn.end for turn in turns):
            self.done = True

    def _start_session(self, turn: Turn) -> None:
        recommendation = self.conversation.recommendation
        if self.session_factory is None or recommendation is None:
            self._speak_all(self.conversation.end())
            self.done = True
            return
        with self._lock:
            self.session = self.session_factory(recommendation, turn.minutes)
        self._speak_all(self.session.begin(self.clock.now()))
        self._check_session_end()

    def _check_session_end(self) -> None:
        if self.session is not None and self.session.finished:
            self.done = True

    def _save_answers(self) -> None:
        if self._answers_saved or self.on_answers is None:
            return
        self._answers_saved = True
        try:
            self.on_answers(self.conversation)
        except AssistantError as exc:
            self.sink.notice(str(exc))

    def _speak_all(self, turns: Sequence[Turn]) -> None:
        for turn in turns:
            self._speak(turn)

    def _speak(self, turn: Turn, print_turn: bool = True) -> None:
        if print_turn and turn.say:
            record = TurnRecord(
                t=self.clock.now(),
                state=turn.state,
                say=turn.say,
                expects=turn.expects,
                recommendation=turn.recommendation.as_json() if turn.recommendation else None,
                heard=self._heard,
                extra={
                    key: value
                    for key, value in (("event", turn.event), ("phase", turn.phase))
                    if value is not None
                },
            )
            self._heard = None
            self.sink.turn(record)
        if self.gate is not None:
            self.gate.mute(True)
        try:
            if turn.chime:
                self.speaker.chime()
            if turn.say:
                self.speaker.say(turn.say)
        finally:
            if self.gate is not None:
                self.gate.mute(False)
