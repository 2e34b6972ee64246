"""The triage conversation as a state machine built from ``dialogs/``.

Pure logic: answers in, turns (what to say, what is awaited) out. The
``transitions`` machine holds the state; the decision table chooses where the
``advance`` trigger goes, so questions are asked only while the decision still
needs them. What is listened for lives in :mod:`.listening`, the answers so far
in :mod:`.answers`, and the timer offer after the advice in :mod:`.offer`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, assert_never

from voice_assistant.dialog.answers import TriageAnswers, recommend
from voice_assistant.dialog.listening import Listening
from voice_assistant.dialog.offer import OfferAction, TimerOffer
from voice_assistant.dialog.onset import FollowUp
from voice_assistant.dialog.replies import read_correction, read_onset_reply
from voice_assistant.dialog.rules import decide
from voice_assistant.dialog.script import DialogScript, Question, Rule
from voice_assistant.dialog.states import (
    CONFIRMING,
    DONE,
    GREETING,
    OFFER_TIMER,
    RECOMMENDATION,
    TIMING,
    triage_machine,
)
from voice_assistant.dialog.understanding import Context, Understanding, understand
from voice_assistant.events import PlanSteps, Recommendation, Transcript, Turn, Vocabulary

_NOT_LISTENING = (DONE, TIMING, GREETING, RECOMMENDATION)


@dataclass
class _Pending:
    question: Question
    answer: str


@dataclass
class ConversationOptions:
    """Hooks into the rest of the product, all optional for plain triage."""

    plans: Mapping[str, PlanSteps] = field(default_factory=dict)
    # Refusal text when the requested minutes are not allowed, else None.
    check_minutes: Callable[[float], str | None] = lambda minutes: None
    # Refusal text when the last application of this kind was too recent.
    check_gap: Callable[[Recommendation], str | None] = lambda rec: None
    low_confidence: float = 0.5
    # Today's date, for "since Monday" and "the weekend" (None: ask instead).
    today: Callable[[], date | None] = lambda: None


class Conversation:
    """Drives one triage conversation from greeting to advice and timer offer."""

    def __init__(self, script: DialogScript, options: ConversationOptions | None = None) -> None:
        self.script = script
        self.options = options or ConversationOptions()
        self._answers = TriageAnswers(script)
        self.facts = self._answers.facts
        self.answers = self._answers.log  # (question id, answer, heard text)
        self.recommendation: Recommendation | None = None
        self._listening = Listening(script)
        self._offer = TimerOffer(script, self.options.check_minutes)
        self._misses = 0
        self._silences = 0
        self._pending: _Pending | None = None
        self._follow_up: FollowUp | None = None  # onset: asked "more than three days?"
        self._target = ""
        self._last_turn: Turn | None = None
        question_ids = [q.id for q in script.questions]
        self.machine = triage_machine(self, question_ids, self._heads_to)

    # Set by the transitions machine (triggers are bound onto the model).
    state: str
    advance: Callable[[], bool]
    confirm: Callable[[], bool]
    offer: Callable[[], bool]
    begin_timing: Callable[[], bool]
    restart: Callable[[], bool]
    finish: Callable[[], bool]

    # --- public API -----------------------------------------------------------------

    def start(self) -> list[Turn]:
        """The greeting and the first question."""
        return [self._turn(GREETING, self.script.greeting), *self._advance()]

    @property
    def finished(self) -> bool:
        return self.state in (DONE, TIMING)

    def expects(self) -> tuple[str, ...]:
        return self._listening.expects(self.state, self._current_question())

    def vocabulary(self) -> Vocabulary:
        """Phrases the recogniser should listen for in the current state."""
        return self._listening.vocabulary(self.expects(), self._current_question())

    def question_contexts(self) -> dict[str, Context]:
        return self._listening.question_contexts()

    def hear(self, transcript: Transcript) -> list[Turn]:
        """React to one reply (typed or recognised; empty text = not understood)."""
        if self.state in _NOT_LISTENING:
            return []
        self._silences = 0
        if not transcript.text.strip():
            return self._miss()
        meaning = understand(
            transcript.text, self._context(), self.script.lexicon, self.question_contexts()
        )
        if meaning.kind == "red_flag":
            return self._red_flag(meaning.screens, transcript.text)
        if meaning.kind == "command":
            return self._command(meaning.name)
        if meaning.kind == "correction":
            return self._correct(meaning, transcript.text)
        if self.state == CONFIRMING:
            return self._hear_confirmation(meaning)
        if self.state == OFFER_TIMER:
            return self._hear_offer(transcript.text)
        question = self._current_question()
        assert question is not None
        if question.kind == "onset":
            return self._hear_onset(question, transcript, meaning)
        if meaning.kind != "answer" or meaning.name not in question.values:
            return self._miss()
        answer = meaning.name
        if (
            transcript.source == "audio"
            and transcript.confidence < self.options.low_confidence
            and answer in question.confirm_if_unclear
        ):
            self._pending = _Pending(question, answer)
            self.confirm()
            return [self._turn(CONFIRMING, self._confirm_text())]
        self._answers.record(question, answer, question.values[answer], transcript.text)
        return self._advance()

    def silence(self) -> list[Turn]:
        """Nothing was said before the listening limit; give up politely after a while."""
        if self.state in _NOT_LISTENING:
            return []
        silences = self._silences + 1
        if silences >= int(self.script.messages["silent_prompts_before_goodbye"]):
            return self.end(self.script.message("no_answer"))
        turns = self._miss(silence=True)
        self._silences = silences
        return turns

    def stop(self) -> list[Turn]:
        self.finish()
        return [self._turn(DONE, self.script.message("stopped"), end=True)]

    def input_closed(self) -> list[Turn]:
        if self.state == DONE:
            return []
        self.finish()
        return [self._turn(DONE, self.script.message("input_closed"), end=True)]

    def end(self, text: str | None = None) -> list[Turn]:
        self.finish()
        return [self._turn(DONE, text or self.script.message("goodbye"), end=True)]

    def repeat_last(self) -> Turn | None:
        return self._last_turn

    # --- internals ------------------------------------------------------------------

    def _heads_to(self, dest: str) -> Callable[[], bool]:
        return lambda: self._target == dest

    def _current_question(self) -> Question | None:
        if self.state == CONFIRMING and self._pending:
            return self._pending.question
        for question in self.script.questions:
            if question.id == self.state:
                return question
        return None

    def _context(self) -> Context:
        """What the reply is judged against in the current state."""
        previous = self._answers.previous_question()
        if self.state == CONFIRMING and self._pending is not None:
            return self._listening.confirm_context(self._pending.question.fact)
        if self.state == OFFER_TIMER:
            return self._listening.offer_context(previous)
        question = self._current_question()
        assert question is not None
        return replace(self.question_contexts()[question.id], previous=previous)

    def _turn(self, state: str, say: str, **extra: Any) -> Turn:
        turn = Turn(
            state=state, say=say, expects=self.expects() if state == self.state else (), **extra
        )
        if not extra.get("end") and turn.expects:
            self._last_turn = turn
        return turn

    def _ask(self, question: Question, text: str | None = None) -> Turn:
        return self._turn(question.id, text or question.ask)

    def _advance(self, rule: Rule | None = None) -> list[Turn]:
        """Move to the next needed question, or to the advice (``rule`` decides at once)."""
        self._misses = 0
        self._follow_up = None
        if rule is None:
            decision = decide(self.script.rules, self.facts)
            if decision.rule is None:
                question = self._answers.first_question_for(decision.missing)
                self._target = question.id
                self.advance()
                return [self._ask(question)]
            rule = decision.rule
        previous = self.recommendation
        self._target = RECOMMENDATION
        self.advance()
        advice = self.script.advice[rule.advice]
        recommendation = recommend(rule, advice, self.options.plans)
        self.recommendation = recommendation
        text = self.script.advice_text(advice)
        if previous is not None and previous.advice_id != rule.advice:
            text = f"{self.script.message('advice_changed')} {text}"
        if advice.kind == "seek_care" or not recommendation.plan:
            return [self._turn(RECOMMENDATION, text, recommendation=recommendation), *self.end()]
        # Too soon since the last pack: say so first, so the advice is heard as
        # "for later", and offer no timer.
        refusal = self.options.check_gap(recommendation)
        if refusal:
            return [
                self._turn(RECOMMENDATION, f"{refusal} {text}", recommendation=recommendation),
                *self.end(self.script.message("gap_goodbye")),
            ]
        turns = [self._turn(RECOMMENDATION, text, recommendation=recommendation)]
        self.offer()
        turns.append(self._turn(OFFER_TIMER, self._offer.prompt()))
        return turns

    def _red_flag(self, screens: tuple[str, ...], heard: str) -> list[Turn]:
        """A symptom volunteered at any point: its screen is yes; urgent advice at once."""
        self._answers.record_red_flags(screens, heard)
        self._pending = None
        rule = self._answers.urgent_rule()
        if rule is not None:
            return self._advance(rule)
        turns = self._advance()
        if turns and turns[0].recommendation is None:
            turns[0] = replace(turns[0], say=f"{self.script.message('noted')} {turns[0].say}")
        return turns

    def _command(self, name: str) -> list[Turn]:
        if name == "stop":
            return self.stop()
        if name == "start_over":
            return self._start_over()
        if self.state == OFFER_TIMER:
            if name == "help":
                return [self._turn(OFFER_TIMER, self._offer.help())]
            return [self._turn(OFFER_TIMER, self._offer.repeat(self._advice_text()))]
        if self.state == CONFIRMING:
            return [self._turn(CONFIRMING, self._confirm_text())]
        question = self._current_question()
        assert question is not None
        if name != "help":
            return [self._ask(question)]
        if question.help:
            return [self._ask(question, question.help)]
        answers = self._listening.answer_list(self.expects())
        return [self._ask(question, self.script.message("help_question", answers=answers))]

    def _correct(self, meaning: Understanding, heard: str) -> list[Turn]:
        """ "Actually yes", "wait, it is swollen": revise that answer and decide again."""
        assert meaning.about is not None
        question = self.script.question(meaning.about)
        reading = read_correction(meaning, question, self.script, self.options.today())
        if reading is None:
            return self._miss()
        self._pending = None
        self._answers.record(question, reading.answer, reading.value, heard)
        noted = self.script.message("correction_noted")
        decision = decide(self.script.rules, self.facts)
        given = self.recommendation
        if (
            self.state == OFFER_TIMER
            and given is not None
            and decision.rule is not None
            and decision.rule.advice == given.advice_id
        ):
            same = self.script.message("correction_same_advice")
            return [self._turn(OFFER_TIMER, f"{noted} {same} {self._offer.reprompt()}")]
        turns = self._advance()
        first = turns[0]
        return [replace(first, say=f"{noted} {first.say}"), *turns[1:]]

    def _confirm_text(self) -> str:
        return self.script.message(
            "confirm_low_confidence",
            answer=self.script.answers[self._pending.answer].say_as if self._pending else "",
        )

    def _advice_text(self) -> str | None:
        """The advice given (for "repeat" at the timer offer), if any."""
        if self.recommendation is None:
            return None
        return self.script.advice_text(self.script.advice[self.recommendation.advice_id])

    def _miss(self, silence: bool = False) -> list[Turn]:
        self._misses += 1
        prefix = (
            self.script.device_messages.get("silence", "")
            if silence
            else self.script.message("not_understood")
        )
        limit = int(self.script.messages["misses_before_listing"])
        if self._misses >= limit:
            answers = self._listening.answer_list(self.expects())
            body = self.script.message("list_answers", answers=answers)
        elif self.state == OFFER_TIMER:
            body = self._offer.reprompt()
        elif self.state == CONFIRMING:
            body = self._confirm_text()
        elif self._follow_up is not None and self.state == "onset":
            body = self.script.message(f"onset_{self._follow_up}")
        else:
            question = self._current_question()
            body = question.reprompt if question else ""
        return [self._turn(self.state, f"{prefix} {body}".strip())]

    def _start_over(self) -> list[Turn]:
        self._answers.start_over()
        self._pending = None
        self._offer.minutes = None
        self.restart()
        first = self._turn(GREETING, self.script.message("start_over"))
        return [first, *self._advance()]

    def _hear_confirmation(self, meaning: Understanding) -> list[Turn]:
        pending = self._pending
        assert pending is not None
        answer = meaning.name if meaning.kind == "answer" else None
        if answer == "yes":
            self._pending = None
            question = pending.question
            value = question.values[pending.answer]
            self._answers.record(question, pending.answer, value, "confirmed")
            return self._advance()
        if answer in ("no", "unsure"):
            self._pending = None
            self._target = pending.question.id
            self.advance()
            again = self.script.message("confirm_again") + " " + pending.question.ask
            return [self._ask(pending.question, again)]
        return self._miss()

    def _hear_onset(
        self, question: Question, transcript: Transcript, meaning: Understanding
    ) -> list[Turn]:
        text = transcript.text
        matcher = self._listening.matcher(self.state, self.expects())
        reply = read_onset_reply(
            text,
            question,
            self.script,
            today=self.options.today(),
            follow_up=self._follow_up,
            unsure=meaning.hedged or "unsure" in matcher.find(text).names,
            yes_no=self._listening.yes_no_context(),
        )
        if reply.reading is not None:
            self._answers.record(question, reply.reading.answer, reply.reading.value, text)
            return self._advance()
        if reply.follow_up is not None:
            self._follow_up = reply.follow_up
            return [self._ask(question, self.script.message(f"onset_{reply.follow_up}"))]
        return self._miss()

    def _hear_offer(self, text: str) -> list[Turn]:
        reply = self._offer.hear(text)
        match reply.action:
            case OfferAction.SAY:
                return [self._turn(OFFER_TIMER, reply.text)]
            case OfferAction.START:
                self.begin_timing()
                return [Turn(state=TIMING, say="", start_timer=True, minutes=self._offer.minutes)]
            case OfferAction.DECLINE:
                return self.end(reply.text)
            case OfferAction.WAIT:
                return []
            case OfferAction.MISS:
                return self._miss()
            case _:
                assert_never(reply.action)
