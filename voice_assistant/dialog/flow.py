"""Where the triage conversation is, and what comes next.

The ``transitions`` machine holds the state; the decision table chooses where
the ``advance`` trigger goes, so questions are asked only while the decision
still needs them. Turns are made here so each one carries what the state it
leaves the conversation in awaits. Understanding replies is the
conversation's job (:mod:`.conversation`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from voice_assistant.dialog.answers import TriageAnswers, advise
from voice_assistant.dialog.listening import Listening
from voice_assistant.dialog.offer import TimerOffer
from voice_assistant.dialog.onset import FollowUp
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
from voice_assistant.events import PlanSteps, Recommendation, Turn


@dataclass
class Pending:
    """An answer heard unclearly, waiting for "yes, that's right"."""

    question: Question
    answer: str


class TriageFlow:
    """The state, the answers so far, and the turns that move the conversation on."""

    def __init__(
        self,
        script: DialogScript,
        plans: Mapping[str, PlanSteps],
        check_gap: Callable[[Recommendation], str | None],
        check_minutes: Callable[[float], str | None],
    ) -> None:
        self.script = script
        self.plans = plans
        self.check_gap = check_gap
        self.answers = TriageAnswers(script)
        self.listening = Listening(script)
        self.timer_offer = TimerOffer(script, check_minutes)
        self.recommendation: Recommendation | None = None
        self.pending: Pending | None = None
        self.follow_up: FollowUp | None = None  # onset: asked "more than three days?"
        self._target = ""
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

    def _heads_to(self, dest: str) -> Callable[[], bool]:
        return lambda: self._target == dest

    def question(self) -> Question | None:
        """The question being asked (or whose answer is being confirmed)."""
        if self.state == CONFIRMING and self.pending:
            return self.pending.question
        for question in self.script.questions:
            if question.id == self.state:
                return question
        return None

    def expects(self) -> tuple[str, ...]:
        return self.listening.expects(self.state, self.question())

    def turn(self, state: str, say: str, **extra: Any) -> Turn:
        """A turn said in ``state``; it awaits what that state expects if we are in it."""
        return Turn(
            state=state, say=say, expects=self.expects() if state == self.state else (), **extra
        )

    def ask(self, question: Question, text: str | None = None) -> Turn:
        return self.turn(question.id, text or question.ask)

    def help(self, question: Question) -> Turn:
        """The question's own help, or the answers it takes."""
        if question.help:
            return self.ask(question, question.help)
        answers = self.listening.answer_list(self.expects())
        return self.ask(question, self.script.message("help_question", answers=answers))

    def ask_to_confirm(self, question: Question, answer: str) -> Turn:
        """ "I heard yes, is that right?" before an unclear safety answer counts."""
        self.pending = Pending(question, answer)
        self.confirm()
        return self.turn(CONFIRMING, self.confirm_text())

    def confirm_text(self) -> str:
        pending = self.pending
        return self.script.message(
            "confirm_low_confidence",
            answer=self.script.answers[pending.answer].say_as if pending else "",
        )

    def advice_text(self) -> str | None:
        """The advice given (for "repeat" at the timer offer), if any."""
        if self.recommendation is None:
            return None
        return self.script.advice_text(self.script.advice[self.recommendation.advice_id])

    def go_to(self, question: Question) -> None:
        self._target = question.id
        self.advance()

    def next(self, rule: Rule | None = None) -> list[Turn]:
        """Move to the next needed question, or to the advice (``rule`` decides at once)."""
        if rule is None:
            decision = decide(self.script.rules, self.answers.facts)
            if decision.rule is None:
                question = self.answers.first_question_for(decision.missing)
                self.go_to(question)
                return [self.ask(question)]
            rule = decision.rule
        self._target = RECOMMENDATION
        self.advance()
        step = advise(self.script, rule, self.plans, self.check_gap, self.recommendation)
        self.recommendation = step.recommendation
        said = self.turn(RECOMMENDATION, step.text, recommendation=step.recommendation)
        if step.goodbye is not None:
            return [said, *self.end(step.goodbye)]
        self.offer()
        return [said, self.turn(OFFER_TIMER, self.timer_offer.prompt())]

    def keeps_advice(self) -> bool:
        """At the timer offer, after a correction: does the advice given still hold?"""
        decision = decide(self.script.rules, self.answers.facts)
        given = self.recommendation
        return (
            self.state == OFFER_TIMER
            and given is not None
            and decision.rule is not None
            and decision.rule.advice == given.advice_id
        )

    def start_timing(self) -> Turn:
        """Hand over to the timed session, with the minutes asked for (if any)."""
        self.begin_timing()
        return Turn(state=TIMING, say="", start_timer=True, minutes=self.timer_offer.minutes)

    def end(self, text: str | None = None) -> list[Turn]:
        self.finish()
        return [self.turn(DONE, text or self.script.message("goodbye"), end=True)]

    def start_over(self) -> Turn:
        """Forget the answers and go back to the greeting (the caller asks again)."""
        self.answers.start_over()
        self.pending = None
        self.timer_offer.minutes = None
        self.restart()
        return self.turn(GREETING, self.script.message("start_over"))
