"""Load and validate the conversation content in ``dialogs/``.

Loading is layered (files -> YAML text -> dicts) so tests can pass YAML
strings. Each file is validated against its schema here, then the files are
cross-checked (:mod:`.checks`). Every problem is reported with the file, the
key and what is wrong, as a ``DialogDataError`` — never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from voice_assistant.dialog.checks import cross_check
from voice_assistant.dialog.lexicon import Lexicon
from voice_assistant.dialog.patterns import Pattern, compile_patterns
from voice_assistant.errors import DialogDataError

FactValue = bool | str
AdviceKind = Literal["ice", "heat", "ice_then_heat", "seek_care"]
FILES = (
    "triage.yaml",
    "answers.yaml",
    "advice.yaml",
    "messages.yaml",
    "onset.yaml",
    "understanding.yaml",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Answer(_Strict):
    say_as: str
    phrases: tuple[str, ...] = Field(min_length=1)

    @field_validator("phrases")
    @classmethod
    def _lower_nonempty(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        for phrase in phrases:
            if not phrase.strip():
                raise ValueError("a phrase is empty")
        return tuple(p.strip().lower() for p in phrases)


class AnswersFile(_Strict):
    answers: dict[str, Answer]
    commands: dict[Literal["repeat", "help", "stop", "start_over"], Answer]


class YesNoStep(_Strict):
    """One yes-or-no question of a question's yes/no form; a yes sets ``if_yes``."""

    ask: str = Field(min_length=1)
    if_yes: FactValue


class YesNoForm(_Strict):
    """A question asked as yes or no, when its replies are not understood (clinical-rules.md §7).

    The steps are asked in turn until one is answered yes; all no sets ``if_no``.
    Still not understood: ``cautious`` is taken and ``cautious_say`` said (none:
    a danger screen, whose advice follows "to be safe").
    """

    steps: tuple[YesNoStep, ...] = Field(min_length=1)
    if_no: FactValue
    cautious: FactValue
    cautious_say: str | None = None


class Question(_Strict):
    id: str
    fact: str
    ask: str = Field(min_length=1)
    reprompt: str = Field(min_length=1)
    help: str | None = None
    kind: Literal["choice", "onset"] = "choice"
    expects: tuple[str, ...] = Field(min_length=1)
    values: dict[str, FactValue] = Field(default_factory=dict)
    acute_max_hours: float | None = None
    unsure_value: bool | None = None
    confirm_if_unclear: tuple[str, ...] = ()
    # Answer -> other facts it sets as well (the fall screen's "no": a recent injury).
    also_sets: dict[str, dict[str, FactValue]] = Field(default_factory=dict)
    yes_no: YesNoForm


class Rule(_Strict):
    row: int
    when: dict[str, Any]
    advice: str


class TriageFile(_Strict):
    greeting: str
    questions: tuple[Question, ...] = Field(min_length=1)
    decision_table: tuple[Rule, ...] = Field(min_length=1)


class Advice(_Strict):
    kind: AdviceKind
    urgency: Literal["emergency", "today", "ask_first"] | None = None
    plan: str | None = None
    safety: bool
    say: str = Field(min_length=1)


class SafetyLine(_Strict):
    """One safety sentence and the recommendation kinds it is spoken with."""

    id: str = Field(min_length=1)
    kinds: tuple[AdviceKind, ...] = Field(alias="for", min_length=1)
    say: str = Field(min_length=1)

    def applies_to(self, kind: str) -> bool:
        return kind in self.kinds


class AdviceLimits(_Strict):
    """Word limits for spoken advice (clinical-rules.md §5), checked at load."""

    say_words: int = Field(gt=0)
    line_words: int = Field(gt=0)
    total_words: int = Field(gt=0)


class AdviceFile(_Strict):
    limits: AdviceLimits
    advice: dict[str, Advice]
    safety_lines: tuple[SafetyLine, ...] = Field(min_length=1)


class MessagesFile(_Strict):
    conversation: dict[str, str | int]
    devices: dict[str, str]


class OnsetFile(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    expressions: dict[str, float]
    units: dict[str, float]
    quantities: dict[str, float]
    weekdays: dict[str, int] = Field(default_factory=dict)
    weekend: tuple[Pattern, ...] = ()
    ambiguous: tuple[Pattern, ...] = ()
    flare_up: tuple[Pattern, ...] = ()

    @field_validator("weekend", "ambiguous", "flare_up", mode="before")
    @classmethod
    def _compile(cls, value: object) -> object:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return compile_patterns(value)
        return value


@dataclass(frozen=True)
class DialogScript:
    """Everything the conversation says and understands, validated."""

    greeting: str
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    answers: Mapping[str, Answer]
    commands: Mapping[str, Answer]
    advice: Mapping[str, Advice]
    safety_lines: tuple[SafetyLine, ...]
    messages: Mapping[str, str | int]
    device_messages: Mapping[str, str]
    onset: OnsetFile
    limits: AdviceLimits
    lexicon: Lexicon
    source: Path | None = None

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def message(self, key: str, **values: object) -> str:
        return str(self.messages[key]).format(**values)

    def safety_lines_for(self, advice: Advice) -> tuple[SafetyLine, ...]:
        """The safety lines spoken after ``advice``, in file order (none if its
        ``safety`` is false)."""
        if not advice.safety:
            return ()
        return tuple(line for line in self.safety_lines if line.applies_to(advice.kind))

    def advice_text(self, advice: Advice) -> str:
        """Everything spoken for ``advice``: the recommendation, then its safety lines."""
        parts = [advice.say, *(line.say for line in self.safety_lines_for(advice))]
        return " ".join(" ".join(part.split()) for part in parts)


def load_script(directory: Path) -> DialogScript:
    """Read every dialog file in ``directory`` and check they fit together."""
    texts: dict[str, str] = {}
    for name in FILES:
        path = directory / name
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DialogDataError(
                f"{path}: file missing. Restore it from the repository (git checkout dialogs/)."
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DialogDataError(f"{path}: cannot be read ({exc}).") from None
    return script_from_yaml(texts, directory)


def script_from_yaml(texts: Mapping[str, str], directory: Path | None = None) -> DialogScript:
    """Build a script from YAML texts keyed by file name."""
    data: dict[str, Any] = {}
    for name, text in texts.items():
        where = str(directory / name) if directory else name
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise DialogDataError(f"{where}: not valid YAML{line}: {problem}.") from None
        if not isinstance(loaded, dict):
            raise DialogDataError(f"{where}: expected a mapping of keys at the top level.")
        data[name] = loaded
    return script_from_dicts(data, directory)


def _parse(model: type[BaseModel], name: str, raw: Any, directory: Path | None) -> Any:
    where = str(directory / name) if directory else name
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            hint = ""
            if "[key]" in key:
                hint = ' (keys must be text: write "yes": and "no": in quotes)'
            problems.append(f"{where}: key '{key}': {error['msg']}{hint}")
        raise DialogDataError("\n".join(problems)) from None


def script_from_dicts(data: Mapping[str, Any], directory: Path | None = None) -> DialogScript:
    """Validate parsed dialog data and cross-check references between files."""
    for name in FILES:
        if name not in data:
            raise DialogDataError(f"{name}: file missing from the dialog data.")
    triage: TriageFile = _parse(TriageFile, "triage.yaml", data["triage.yaml"], directory)
    answers: AnswersFile = _parse(AnswersFile, "answers.yaml", data["answers.yaml"], directory)
    advice: AdviceFile = _parse(AdviceFile, "advice.yaml", data["advice.yaml"], directory)
    messages: MessagesFile = _parse(MessagesFile, "messages.yaml", data["messages.yaml"], directory)
    onset: OnsetFile = _parse(OnsetFile, "onset.yaml", data["onset.yaml"], directory)
    lexicon: Lexicon = _parse(Lexicon, "understanding.yaml", data["understanding.yaml"], directory)
    script = DialogScript(
        greeting=triage.greeting,
        questions=triage.questions,
        rules=triage.decision_table,
        answers=answers.answers,
        commands={str(name): answer for name, answer in answers.commands.items()},
        advice=advice.advice,
        safety_lines=advice.safety_lines,
        limits=advice.limits,
        messages=messages.conversation,
        device_messages=messages.devices,
        onset=onset,
        lexicon=lexicon,
        source=directory,
    )
    cross_check(script, directory)
    return script
