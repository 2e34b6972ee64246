"""What the person has answered so far, and what the decision table makes of it.

The facts feed the decision table; the answer log (question id, answer, words
heard) is what the journal keeps. Red flags volunteered at any time are
recorded here as "yes" to their screening question.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from voice_assistant.dialog.rules import decide
from voice_assistant.dialog.script import DialogScript, FactValue, Question, Rule
from voice_assistant.events import PlanSteps, Recommendation

START_OVER = "start_over"


class TriageAnswers:
    """The facts and the answer log of one conversation."""

    def __init__(self, script: DialogScript) -> None:
        self.script = script
        self.facts: dict[str, FactValue] = {}
        self.log: list[tuple[str, str, str]] = []  # (question id, answer, heard text)
        self._by_fact = {q.fact: q for q in script.questions}
        self._by_id = {q.id: q for q in script.questions}

    def record(self, question: Question, answer: str, value: FactValue, heard: str) -> None:
        self.facts[question.fact] = value
        self.facts.update(question.also_sets.get(answer, {}))
        self.log.append((question.id, answer, heard))

    def record_red_flags(self, screens: Sequence[str], heard: str) -> None:
        """A symptom volunteered at any point: its screening question is answered yes."""
        for fact in screens:
            question = self._by_fact.get(fact)
            if question is not None:
                self.record(question, "yes", question.values.get("yes", True), heard)

    def start_over(self) -> None:
        self.facts.clear()
        self.log.append((START_OVER, START_OVER, ""))

    def previous_question(self) -> str | None:
        """The question answered last (what "actually yes" is about)."""
        for question_id, _, _ in reversed(self.log):
            if question_id == START_OVER:
                return None
            question = self._by_id.get(question_id)
            if question is not None and question.fact in self.facts:
                return question_id
        return None

    def urgent_rule(self) -> Rule | None:
        """The first decision row that already holds, when it says get help now or today."""
        for rule in self.script.rules:
            if decide([rule], self.facts).rule is None:
                continue
            advice = self.script.advice[rule.advice]
            if advice.kind == "seek_care" and advice.urgency in ("emergency", "today"):
                return rule
            return None
        return None

    def first_question_for(self, facts: Sequence[str]) -> Question:
        """The first question (in ``dialogs/`` order) that sets one of ``facts``."""
        wanted = set(facts)
        for question in self.script.questions:
            if question.fact in wanted:
                return question
        raise LookupError(f"no question sets any of {sorted(wanted)}")


def flagged_facts(script: DialogScript, screens: Sequence[str]) -> dict[str, FactValue]:
    """Red flags told where no question can follow (a timed session): each screen is yes,
    and a follow-up of one (the fall screen's second step) counts as not sure."""
    facts: dict[str, FactValue] = dict.fromkeys(screens, True)
    for question in script.questions:
        follows = question.also_sets.get("yes", {})
        if question.fact in screens:
            facts.update(follows)  # as a yes to its question would
        elif any(facts.get(f) is True for f in follows):
            facts[question.fact] = question.values.get("unsure", True)
    return facts


@dataclass(frozen=True)
class AdviceStep:
    """The advice to say; ``goodbye`` (when set) ends the talk instead of a timer offer."""

    recommendation: Recommendation
    text: str
    goodbye: str | None = None


def advise(
    script: DialogScript,
    rule: Rule,
    plans: Mapping[str, PlanSteps],
    check_gap: Callable[[Recommendation], str | None],
    previous: Recommendation | None,
) -> AdviceStep:
    """What a decision row leads to: the recommendation, its words, and what follows.

    ``previous`` is advice already given (a correction or red flag changed it).
    """
    advice = script.advice[rule.advice]
    recommendation = Recommendation(
        kind=advice.kind,
        urgency=advice.urgency,
        plan=plans.get(advice.plan or "", ()),
        advice_id=rule.advice,
        row=rule.row,
    )
    text = script.advice_text(advice)
    if previous is not None and previous.advice_id != rule.advice:
        text = f"{script.message('advice_changed')} {text}"
    if advice.kind == "seek_care" or not recommendation.plan:
        return AdviceStep(recommendation, text, closing(script, recommendation))
    # Too soon since the last pack: say so first, so the advice is heard as
    # "for later", and offer no timer.
    refusal = check_gap(recommendation)
    if refusal:
        return AdviceStep(recommendation, f"{refusal} {text}", script.message("gap_goodbye"))
    return AdviceStep(recommendation, text)


def closing(script: DialogScript, recommendation: Recommendation) -> str:
    """The last words after advice with no timer: urgent advice ends on what to do."""
    if recommendation.urgency in ("emergency", "today"):
        return script.message(f"goodbye_{recommendation.urgency}")
    return script.message("goodbye")
