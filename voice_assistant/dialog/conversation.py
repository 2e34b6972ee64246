"""The triage conversation: replies in, turns (what to say, what is awaited) out.

Pure logic built from ``dialogs/``. Each reply is understood safety first (a
red flag, then a command, then a correction, then an answer) and handed to
the state it is for: a question, the confirmation of an unclear answer, or the
timer offer after the advice. Where the conversation goes next is
:mod:`.flow`'s job; what is listened for, :mod:`.listening`'s; what to
do with a reply not understood (never a loop), :mod:`.repair_turns`'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import assert_never

from transitions import Machine

from voice_assistant.dialog.flow import TriageFlow
from voice_assistant.dialog.offer import OfferAction
from voice_assistant.dialog.repair import Repair, RepairAction
from voice_assistant.dialog.repair_turns import RepairTurns
from voice_assistant.dialog.replies import read_correction, read_onset_reply
from voice_assistant.dialog.script import DialogScript, Question, Rule
from voice_assistant.dialog.states import (
    CONFIRMING,
    DONE,
    GREETING,
    OFFER_TIMER,
    RECOMMENDATION,
    TIMING,
)
from voice_assistant.dialog.understanding import (
    Context,
    Understanding,
    understand,
)
from voice_assistant.events import PlanSteps, Recommendation, Transcript, Turn, Vocabulary

_NOT_LISTENING = (DONE, TIMING, GREETING, RECOMMENDATION)


@dataclass
class ConversationOptions:
    """Hooks into the rest of the product, all optional for plain triage."""

    plans: Mapping[str, PlanSteps] = field(default_factory=dict)
    # Refusal text when the requested minutes are not allowed, else None.
    check_minutes: Callable[[float], str | None] = lambda minutes: None
    # Refusal text when the last application of this kind was too recent.
    check_gap: Callable[[Recommendation], str | None] = lambda rec: None
    # Today's date, for "since Monday" and "the weekend" (None: ask instead).
    today: Callable[[], date | None] = lambda: None


class Conversation:
    """Drives one triage conversation from greeting to advice and timer offer."""

    def __init__(self, script: DialogScript, options: ConversationOptions | None = None) -> None:
        self.script = script
        self.options = options or ConversationOptions()
        opts = self.options
        self._flow = TriageFlow(script, opts.plans, opts.check_gap, opts.check_minutes)
        self.machine: Machine = self._flow.machine
        self.facts = self._flow.answers.facts
        self.answers = self._flow.answers.log  # (question id, answer, heard text)
        messages = script.messages
        self._repair = Repair(
            int(messages["misses_before_yes_no"]), int(messages["misses_before_cautious"])
        )
        self._repair_turns = RepairTurns(self._flow, self._repair)

    # --- public API -----------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._flow.state

    @property
    def minutes(self) -> float | None:  # asked for at the timer offer, if any
        return self._flow.timer_offer.minutes

    @property
    def recommendation(self) -> Recommendation | None:
        return self._flow.recommendation

    @property
    def finished(self) -> bool:
        return self.state in (DONE, TIMING)

    def start(self) -> list[Turn]:
        """The greeting and the first question."""
        return [self._flow.turn(GREETING, self.script.greeting), *self._next()]

    def expects(self) -> tuple[str, ...]:
        return self._flow.expects()

    def vocabulary(self) -> Vocabulary:
        """Phrases the recogniser should listen for in the current state."""
        return self._flow.listening.vocabulary(self.expects(), self._flow.question())

    def question_contexts(self) -> dict[str, Context]:
        return self._flow.listening.question_contexts()

    def hear(self, transcript: Transcript) -> list[Turn]:
        """React to one reply (typed or recognised; empty text = not understood)."""
        if self.state in _NOT_LISTENING:
            return []
        if not transcript.text.strip():
            return self._repair_turns.miss()
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
            return self._hear_confirmation(meaning, transcript.text)
        if self.state == OFFER_TIMER:
            return self._hear_offer(transcript.text)
        question = self._flow.question()
        assert question is not None
        if self._repair.in_yes_no(question.id) and self._flow.follow_up is None:
            turns = self._repair_turns.hear_yes_no(question, transcript)
            if turns is not None:
                return turns
        if question.kind == "onset":
            return self._hear_onset(question, transcript, meaning)
        if meaning.kind != "answer" or meaning.name not in question.values:
            return self._repair_turns.miss(transcript.text)
        return self._hear_answer(question, meaning.name, transcript)

    def silence(self) -> list[Turn]:
        """Nothing was said before the listening limit: a miss like any other."""
        if self.state in _NOT_LISTENING:
            return []
        return self._repair_turns.miss(silence=True)

    def stop(self) -> list[Turn]:
        return self.end(self.script.message("stopped"))

    def input_closed(self) -> list[Turn]:
        if self.state == DONE:
            return []
        return self.end(self.script.message("input_closed"))

    def end(self, text: str | None = None) -> list[Turn]:
        return self._flow.end(text)

    # --- internals ------------------------------------------------------------------

    def _next(self, rule: Rule | None = None) -> list[Turn]:
        return self._repair_turns.next(rule)

    def _context(self) -> Context:
        """What the reply is judged against in the current state."""
        listening, pending = self._flow.listening, self._flow.pending
        previous = self._flow.answers.previous_question()
        if self.state == CONFIRMING and pending is not None:
            return listening.confirm_context(pending.question.fact)
        if self.state == OFFER_TIMER:
            return listening.offer_context(previous)
        question = self._flow.question()
        assert question is not None
        return replace(self.question_contexts()[question.id], previous=previous)

    def _hear_answer(self, question: Question, answer: str, transcript: Transcript) -> list[Turn]:
        """A choice answer; a safety answer the engine is not sure of is read back first."""
        if not transcript.sure and answer in question.confirm_if_unclear:
            return [self._flow.ask_to_confirm(question, answer)]
        self._flow.answers.record(question, answer, question.values[answer], transcript.text)
        return self._next()

    def _red_flag(self, screens: tuple[str, ...], heard: str) -> list[Turn]:
        """A symptom volunteered at any point: its screen is yes; urgent advice at once."""
        self._flow.answers.record_red_flags(screens, heard)
        self._flow.pending = None
        rule = self._flow.answers.urgent_rule()
        if rule is not None:
            return self._next(rule)
        asked = self.state
        turns = self._next()
        question = self._flow.question()
        # The same question again (a fall told at the fall's second step): it counts.
        repeated = question is not None and question.id == asked
        if repeated and question and self._repair.miss(asked) is RepairAction.SETTLE:
            return self._repair_turns.settle(question)
        if turns and turns[0].recommendation is None:
            turns[0] = replace(turns[0], say=f"{self.script.message('noted')} {turns[0].say}")
        return turns

    def _command(self, name: str) -> list[Turn]:
        if name == "stop":
            return self.stop()
        if name == "start_over":
            return [self._flow.start_over(), *self._next()]
        # "Repeat" and "help" ask again, so they count as misses: never a loop.
        offer = self._flow.timer_offer
        if self.state == OFFER_TIMER:
            if self._repair.miss(OFFER_TIMER) is RepairAction.SETTLE:
                return self.end(self.script.message("offer_not_understood"))
            text = offer.help() if name == "help" else offer.repeat(self._flow.advice_text())
            return [self._flow.turn(OFFER_TIMER, text)]
        question = self._flow.question()
        assert question is not None
        if self._repair.miss(question.id) is RepairAction.SETTLE:
            return self._repair_turns.settle(question)
        if self.state == CONFIRMING:
            return [self._flow.turn(CONFIRMING, self._flow.confirm_text())]
        if name == "help":
            return [self._flow.help(question)]
        return [self._flow.ask(question, self._repair.asking(question))]

    def _correct(self, meaning: Understanding, heard: str) -> list[Turn]:
        """ "Actually yes", "wait, it is swollen": revise that answer and decide again."""
        assert meaning.about is not None
        question = self.script.question(meaning.about)
        reading = read_correction(meaning, question, self.script, self.options.today())
        if reading is None:
            return self._repair_turns.miss(heard)
        self._flow.pending = None
        self._flow.answers.record(question, reading.answer, reading.value, heard)
        noted = self.script.message("correction_noted")
        if self._flow.keeps_advice():
            same = self.script.message("correction_same_advice")
            reprompt = self._flow.timer_offer.reprompt()
            return [self._flow.turn(OFFER_TIMER, f"{noted} {same} {reprompt}")]
        turns = self._next()
        first = turns[0]
        return [replace(first, say=f"{noted} {first.say}"), *turns[1:]]

    def _hear_confirmation(self, meaning: Understanding, heard: str) -> list[Turn]:
        pending = self._flow.pending
        assert pending is not None
        answer = meaning.name if meaning.kind == "answer" else None
        if answer not in ("yes", "no", "unsure"):
            return self._repair_turns.miss(heard)
        self._flow.pending = None
        question = pending.question
        if answer == "yes":
            value = question.values[pending.answer]
            self._flow.answers.record(question, pending.answer, value, "confirmed")
            return self._next()
        # Heard wrong: a miss at the question, so this cannot loop either.
        if self._repair.miss(question.id) is RepairAction.SETTLE:
            return self._repair_turns.settle(question)
        self._flow.go_to(question)
        asked = self._repair.asking(question) or question.ask
        return [self._flow.ask(question, self.script.message("confirm_again") + " " + asked)]

    def _hear_onset(
        self, question: Question, transcript: Transcript, meaning: Understanding
    ) -> list[Turn]:
        text = transcript.text
        matcher = self._flow.listening.matcher(self.state, self.expects())
        reply = read_onset_reply(
            text,
            question,
            self.script,
            today=self.options.today(),
            follow_up=self._flow.follow_up,
            unsure=meaning.hedged or "unsure" in matcher.find(text).names,
            yes_no=self._flow.listening.yes_no_context(),
        )
        if reply.reading is not None:
            self._flow.answers.record(question, reply.reading.answer, reply.reading.value, text)
            return self._next()
        if reply.follow_up is not None:
            self._flow.follow_up = reply.follow_up
            message = self.script.message(f"onset_{reply.follow_up}")
            return [self._flow.ask(question, message)]
        return self._repair_turns.miss(text)

    def _hear_offer(self, text: str) -> list[Turn]:
        offer = self._flow.timer_offer
        reply = offer.hear(text)
        match reply.action:
            case OfferAction.SAY:
                return [self._flow.turn(OFFER_TIMER, reply.text)]
            case OfferAction.START:
                return [self._flow.start_timing()]
            case OfferAction.DECLINE:
                return self.end(reply.text)
            case OfferAction.WAIT:
                return []
            case OfferAction.MISS:
                return self._repair_turns.miss(text)
            case _:
                assert_never(reply.action)
