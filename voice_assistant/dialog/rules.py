"""The decision table with three-valued logic: true, false, or not yet known.

Walking the rows in order, the first row that is not ruled out either decides
(all its conditions are known and hold) or names the facts still missing.
That is what makes the conversation ask only what the decision still needs,
and never advise before the decisive answers are in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voice_assistant.dialog.script import FactValue, Rule

Facts = Mapping[str, FactValue]


@dataclass(frozen=True)
class Decision:
    """Either a rule that applies, or the facts the next useful question must set."""

    rule: Rule | None
    missing: tuple[str, ...] = ()


def _evaluate(condition: Mapping[str, Any], facts: Facts) -> tuple[bool | None, list[str]]:
    """Kleene AND over the condition's entries; returns (truth, unknown facts)."""
    result: bool | None = True
    unknown: list[str] = []
    for name, expected in condition.items():
        if name == "any":
            part, part_unknown = _evaluate_any(expected, facts)
        elif name == "all":
            part, part_unknown = _evaluate_all(expected, facts)
        elif name not in facts:
            part, part_unknown = None, [name]
        else:
            part, part_unknown = facts[name] == expected, []
        if part is False:
            return False, []
        if part is None:
            result = None
            unknown.extend(part_unknown)
    return result, unknown


def _evaluate_all(
    parts: Sequence[Mapping[str, Any]], facts: Facts
) -> tuple[bool | None, list[str]]:
    result: bool | None = True
    unknown: list[str] = []
    for part in parts:
        truth, missing = _evaluate(part, facts)
        if truth is False:
            return False, []
        if truth is None:
            result = None
            unknown.extend(missing)
    return result, unknown


def _evaluate_any(
    parts: Sequence[Mapping[str, Any]], facts: Facts
) -> tuple[bool | None, list[str]]:
    result: bool | None = False
    unknown: list[str] = []
    for part in parts:
        truth, missing = _evaluate(part, facts)
        if truth is True:
            return True, []
        if truth is None:
            result = None
            unknown.extend(missing)
    return result, unknown


def decide(rules: Sequence[Rule], facts: Facts) -> Decision:
    """The first row not ruled out: it applies, or it says which facts to ask for."""
    for rule in rules:
        truth, missing = _evaluate(rule.when, facts)
        if truth is True:
            return Decision(rule=rule)
        if truth is None:
            return Decision(rule=None, missing=tuple(dict.fromkeys(missing)))
    return Decision(rule=None)
