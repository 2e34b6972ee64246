"""The turns of repair (docs/clinical-rules.md section 7), for the conversation.

:class:`~voice_assistant.dialog.repair.Repair` counts and decides; this says
it: "sorry" and the question again, its yes/no form, a red-flag screen asked
at once, or the cautious answer taken and said before moving on.
"""

from __future__ import annotations

from dataclasses import replace

from voice_assistant.dialog.flow import TriageFlow
from voice_assistant.dialog.repair import Repair, RepairAction, cautious_answer
from voice_assistant.dialog.script import Question, Rule
from voice_assistant.dialog.states import CONFIRMING, OFFER_TIMER
from voice_assistant.dialog.understanding import red_flag_topic, understand
from voice_assistant.events import Transcript, Turn


class RepairTurns:
    """Turns for replies not understood; moving on resets what repair keeps per question."""

    def __init__(self, flow: TriageFlow, repair: Repair) -> None:
        self._flow = flow
        self._repair = repair

    def next(self, rule: Rule | None = None) -> list[Turn]:
        """Move on (the question left was understood; a fresh one has no follow-up)."""
        self._repair.understood(self._flow.state)
        self._flow.follow_up = None
        return self._flow.next(rule)

    def miss(self, heard: str = "", silence: bool = False) -> list[Turn]:
        """Not understood (or silence): say so and ask again, never in a loop."""
        screen = red_flag_topic(heard, self._flow.script.lexicon) if heard else None
        if screen is not None:
            return self._ask_screen(screen)
        script = self._flow.script
        prefix = (
            script.device_messages.get("silence", "")
            if silence
            else script.message("not_understood")
        )
        if self._flow.state == OFFER_TIMER:
            if self._repair.miss(OFFER_TIMER) is RepairAction.SETTLE:
                return self._flow.end(script.message("offer_not_understood"))
            return [self._flow.turn(OFFER_TIMER, f"{prefix} {self._flow.timer_offer.reprompt()}")]
        question = self._flow.question()
        assert question is not None
        action = self._repair.miss(question.id)
        if action is RepairAction.SETTLE:
            return self.settle(question)
        if self._flow.state == CONFIRMING and action is RepairAction.ASK_AGAIN:
            return [self._flow.turn(CONFIRMING, f"{prefix} {self._flow.confirm_text()}")]
        return [self._ask_again(question, prefix)]

    def _ask_again(self, question: Question, prefix: str) -> Turn:
        """The short re-prompt: the yes/no form once in it, else the follow-up or reprompt."""
        if self._flow.state == CONFIRMING:
            self._flow.pending = None
            self._flow.go_to(question)
        text = self._repair.asking(question)
        if text is not None:
            self._flow.follow_up = None
        elif self._flow.follow_up is not None and question.kind == "onset":
            text = self._flow.script.message(f"onset_{self._flow.follow_up}")
        else:
            text = question.reprompt
        return self._flow.ask(question, f"{prefix} {text}".strip())

    def _ask_screen(self, fact: str) -> list[Turn]:
        """A red-flag topic named but not understood: that screen's yes/no form at once."""
        question = self._flow.answers.first_question_for([fact])
        self._flow.pending = None
        self._flow.follow_up = None
        action = self._repair.miss(question.id)
        self._repair.use_yes_no(question.id)
        self._flow.go_to(question)
        if action is RepairAction.SETTLE:
            return self.settle(question)
        return [self._flow.ask(question, self._repair.asking(question))]

    def settle(self, question: Question) -> list[Turn]:
        """Asked often enough: take the cautious answer, say so, and move on."""
        self._flow.pending = None
        answer, value = cautious_answer(question)
        self._flow.answers.record(question, answer, value, "not understood")
        said = question.yes_no.cautious_say or self._flow.script.message("repair_to_be_safe")
        turns = self.next()
        return [replace(turns[0], say=f"{said} {turns[0].say}"), *turns[1:]]

    def hear_yes_no(self, question: Question, transcript: Transcript) -> list[Turn] | None:
        """A reply to a yes/no step (onset, cause); None if it is not a yes or a no."""
        if "yes" in question.expects:
            return None  # its own answers are yes and no: understood as usual
        context = self._flow.listening.yes_no_context()
        meaning = understand(transcript.text, context, self._flow.script.lexicon)
        if meaning.kind != "answer" or meaning.name not in ("yes", "no", "unsure"):
            return None
        reply = self._repair.reply(question, meaning.name)
        if reply.ask is not None:
            return [self._flow.ask(question, reply.ask)]
        self._flow.answers.record(question, meaning.name, reply.value, transcript.text)
        return self.next()
