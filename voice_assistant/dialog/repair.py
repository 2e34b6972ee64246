"""Repair: never a loop (clinical-rules.md §7). Counts replies not understood, per question.

Pure and small: the conversation tells it each miss and each yes/no step
answered no; it says what to do next. After ``yes_no_after`` misses in a row a
question is asked in its yes/no form (and stays in it); after ``settle_after``
misses in all its cautious answer is taken, so no question is asked more often
than that. Keys are question ids (or the timer offer); counts last the whole
conversation, a start-over included, so starting over cannot make a loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from voice_assistant.dialog.script import FactValue, Question


class RepairAction(Enum):
    """What to do after a miss."""

    ASK_AGAIN = "ask_again"  # the short re-prompt (or the yes/no step, once in that form)
    ASK_YES_NO = "ask_yes_no"  # switch to the question's yes/no form now
    SETTLE = "settle"  # take the cautious answer and say so


@dataclass(frozen=True)
class YesNoReply:
    """A yes, no or not sure to a yes/no step: the next step to ask, or the value to record."""

    ask: str | None
    value: FactValue = False


@dataclass
class _Count:
    in_row: int = 0
    total: int = 0
    yes_no: bool = False
    step: int = 0


class Repair:
    """Misses per question, and whether each question is now asked as yes or no."""

    def __init__(self, yes_no_after: int, settle_after: int) -> None:
        self.yes_no_after = yes_no_after
        self.settle_after = settle_after
        self._counts: dict[str, _Count] = {}

    def _count(self, key: str) -> _Count:
        return self._counts.setdefault(key, _Count())

    def miss(self, key: str) -> RepairAction:
        """One more reply not understood (or silence) at ``key``."""
        count = self._count(key)
        count.in_row += 1
        count.total += 1
        if count.total >= self.settle_after:
            return RepairAction.SETTLE
        if not count.yes_no and count.in_row >= self.yes_no_after:
            count.yes_no = True
            return RepairAction.ASK_YES_NO
        return RepairAction.ASK_AGAIN

    def understood(self, key: str) -> None:
        """A reply was understood at ``key``: the misses in a row start again."""
        self._count(key).in_row = 0

    def use_yes_no(self, key: str) -> None:
        """Ask ``key`` in its yes/no form from now on (a red-flag topic was named)."""
        self._count(key).yes_no = True

    def in_yes_no(self, key: str) -> bool:
        count = self._counts.get(key)
        return count is not None and count.yes_no

    def step(self, key: str) -> int:
        """Which yes/no step of ``key`` is being asked (0 until one is answered no)."""
        count = self._counts.get(key)
        return count.step if count else 0

    def next_step(self, key: str) -> int:
        """The step at ``key`` was answered no: the next one (the caller knows how many)."""
        count = self._count(key)
        count.step += 1
        return count.step

    def exhausted(self, key: str) -> bool:
        """No more asking at ``key``: its misses reached the limit."""
        count = self._counts.get(key)
        return count is not None and count.total >= self.settle_after

    def asking(self, question: Question) -> str | None:
        """The yes/no step being asked at ``question``, if it is asked that way now."""
        if not self.in_yes_no(question.id):
            return None
        return question.yes_no.steps[self.step(question.id)].ask

    def reply(self, question: Question, answer: str) -> YesNoReply:
        """``answer`` ("yes", "no" or "unsure") to the step asked: a no asks the next one."""
        form, step = question.yes_no, self.step(question.id)
        if answer == "no" and step + 1 < len(form.steps):
            self.understood(question.id)
            return YesNoReply(form.steps[self.next_step(question.id)].ask)
        values = {"yes": form.steps[step].if_yes, "no": form.if_no, "unsure": form.cautious}
        return YesNoReply(None, values[answer])


def cautious_answer(question: Question) -> tuple[str, FactValue]:
    """The answer (for the log) and value taken when ``question`` was not understood."""
    value = question.yes_no.cautious
    answer = next((a for a, v in question.values.items() if v == value), "unsure")
    return answer, value
