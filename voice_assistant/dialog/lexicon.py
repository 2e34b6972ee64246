"""The schema of ``dialogs/understanding.yaml``: validated, with its patterns compiled."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from voice_assistant.dialog.patterns import Pattern, compile_patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class _Patterns(_Strict):
    @field_validator("*", mode="before")
    @classmethod
    def _compile(cls, value: object, info: ValidationInfo) -> object:
        if (
            isinstance(value, list | tuple)
            and value
            and all(isinstance(v, str) for v in value)
            and info.field_name != "negation_glue"
        ):
            return compile_patterns(value)
        return value


class Screen(_Patterns):
    """Symptom patterns for one screen (see understanding.yaml)."""

    described: tuple[Pattern, ...] = ()
    named: tuple[Pattern, ...] = ()
    own: tuple[Pattern, ...] = ()
    benign: tuple[Pattern, ...] = ()  # at its own question, part of a clear no
    # A concept: a body part or function and a change to it, near each other and
    # neither denied ("when I wee it just won't stop", "breathing in deep catches me").
    parts: tuple[Pattern, ...] = ()
    changes: tuple[Pattern, ...] = ()


class Lexicon(_Patterns):
    """understanding.yaml, validated and compiled."""

    fillers: tuple[Pattern, ...] = Field(min_length=1)
    polite: tuple[Pattern, ...] = Field(min_length=1)
    hedges: tuple[Pattern, ...] = Field(min_length=1)
    negations: tuple[Pattern, ...] = Field(min_length=1)
    negation_glue: frozenset[str] = frozenset()
    others: tuple[Pattern, ...] = ()  # "my dad": the symptom after it is not the person's
    spellings: dict[str, str] = Field(default_factory=dict)  # "cannae" -> "cannot"
    clear_no: tuple[Pattern, ...] = Field(min_length=1)
    clear_yes: tuple[Pattern, ...] = ()  # empty: any yes phrase anywhere is a yes
    correction_markers: tuple[Pattern, ...] = Field(min_length=1)
    topics: dict[str, tuple[Pattern, ...]] = Field(default_factory=dict)
    # Screen fact -> words naming its topic: an unclear reply naming one asks that screen.
    red_flag_topics: dict[str, tuple[Pattern, ...]] = Field(default_factory=dict)
    pack_off: tuple[Pattern, ...] = Field(min_length=1)
    screens: dict[str, Screen] = Field(min_length=1)

    @field_validator("topics", "red_flag_topics", mode="before")
    @classmethod
    def _compile_topics(cls, value: object) -> object:
        if isinstance(value, dict):
            return {
                key: compile_patterns(v) if isinstance(v, list) else v for key, v in value.items()
            }
        return value
