"""Understand what someone said, safety first (pure: no I/O, no clock).

The phrase lists live in ``dialogs/understanding.yaml`` (pattern notation
documented at its top); this module compiles them and applies the rules of
DOMAIN.md "Understanding answers: safety first", in order:

1. a symptom described is a red flag for its screen, at any question;
2. a command counts only as the whole reply (or inside a polite frame);
3. a reply starting with a correction marker revises the question it is about;
4. on a danger screen "no" needs a clear no for the whole reply;
5. a hedge is "unsure".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from voice_assistant.dialog.matching import PhraseMatcher, normalize

# --- pattern notation ---------------------------------------------------------------------

GAP = 3  # "..." stands for up to this many words
_TOKEN = re.compile(r"\.\.\.|[()\[\]|]|[^\s()\[\]|]+")


@dataclass(frozen=True)
class _Word:
    text: str
    stem: bool = False


@dataclass(frozen=True)
class _Gap:
    pass


@dataclass(frozen=True)
class _Group:
    alternatives: tuple[tuple[_Item, ...], ...]
    optional: bool


_Item = _Word | _Gap | _Group


class PatternError(ValueError):
    """A pattern in understanding.yaml is not well formed."""


def _parse_words(token: str) -> list[_Item]:
    stem = token.endswith("*")
    words = normalize(token[:-1] if stem else token)
    if not words:
        raise PatternError(f"'{token}' has no letters or digits")
    items: list[_Item] = [_Word(word) for word in words]
    if stem:
        items[-1] = _Word(words[-1], stem=True)
    return items


def _parse_sequence(tokens: list[str], at: int, closers: str) -> tuple[list[_Item], int]:
    items: list[_Item] = []
    while at < len(tokens) and tokens[at] not in closers:
        token = tokens[at]
        if token in "([":
            closer = ")" if token == "(" else "]"
            alternatives: list[tuple[_Item, ...]] = []
            at += 1
            while True:
                sequence, at = _parse_sequence(tokens, at, "|)]")
                if not sequence:
                    raise PatternError("an alternative is empty")
                alternatives.append(tuple(sequence))
                if at >= len(tokens):
                    raise PatternError(f"'{token}' is not closed with '{closer}'")
                if tokens[at] == "|":
                    at += 1
                    continue
                if tokens[at] != closer:
                    raise PatternError(f"'{token}' is closed with '{tokens[at]}'")
                at += 1
                break
            items.append(_Group(tuple(alternatives), optional=token == "["))
        elif token == "...":
            items.append(_Gap())
            at += 1
        elif token in ")]|":
            raise PatternError(f"unexpected '{token}'")
        else:
            items.extend(_parse_words(token))
            at += 1
    return items, at


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern; ``ends(words, start)`` lists where a match can end."""

    source: str
    items: tuple[_Item, ...] = field(repr=False)

    @classmethod
    def compile(cls, source: str) -> Pattern:
        tokens = _TOKEN.findall(source.lower())
        items, at = _parse_sequence(tokens, 0, "")
        if at != len(tokens):
            raise PatternError(f"unexpected '{tokens[at]}'")
        if not any(not isinstance(item, _Gap) for item in items):
            raise PatternError("the pattern has no words")
        if isinstance(items[0], _Gap) or isinstance(items[-1], _Gap):
            raise PatternError("'...' must stand between words")
        return cls(source, tuple(items))

    @cached_property
    def _first(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """Words (and stems) a match can begin with: a quick test before matching."""
        literals: set[str] = set()
        stems: list[str] = []
        _firsts(self.items, 0, literals, stems)
        return frozenset(literals), tuple(stems)

    def could_start(self, word: str) -> bool:
        literals, stems = self._first
        return word in literals or word.startswith(stems)

    def ends(self, words: Sequence[str], start: int) -> set[int]:
        if start >= len(words) or not self.could_start(words[start]):
            return set()
        return set(_match(self.items, 0, words, start))

    def find(self, words: Sequence[str]) -> Iterator[tuple[int, int]]:
        """Every (start, end) where the pattern matches, shortest match per start."""
        for start in range(len(words)):
            ends = self.ends(words, start)
            if ends:
                yield start, min(ends)


def _firsts(items: Sequence[_Item], index: int, literals: set[str], stems: list[str]) -> bool:
    """Collect the possible first words from ``items[index:]``; True if it can be empty."""
    for item in items[index:]:
        if isinstance(item, _Word):
            (stems.append if item.stem else literals.add)(item.text)
            return False
        if isinstance(item, _Group):
            empty = item.optional
            for alternative in item.alternatives:
                empty = _firsts(alternative, 0, literals, stems) or empty
            if not empty:
                return False
    return True


def _match(items: Sequence[_Item], index: int, words: Sequence[str], at: int) -> Iterator[int]:
    if index == len(items):
        yield at
        return
    item = items[index]
    if isinstance(item, _Word):
        if at < len(words) and (
            words[at].startswith(item.text) if item.stem else words[at] == item.text
        ):
            yield from _match(items, index + 1, words, at + 1)
    elif isinstance(item, _Gap):
        for skip in range(min(GAP, len(words) - at) + 1):
            yield from _match(items, index + 1, words, at + skip)
    else:
        for alternative in item.alternatives:
            for end in _match(alternative, 0, words, at):
                yield from _match(items, index + 1, words, end)
        if item.optional:
            yield from _match(items, index + 1, words, at)


def compile_patterns(patterns: Sequence[str]) -> tuple[Pattern, ...]:
    compiled = []
    for index, source in enumerate(patterns):
        try:
            compiled.append(Pattern.compile(source))
        except PatternError as exc:
            raise ValueError(f"pattern {index + 1} '{source}': {exc}") from None
    return tuple(compiled)


# --- the lexicon (understanding.yaml) ----------------------------------------------------


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


class Lexicon(_Patterns):
    """understanding.yaml, validated and compiled."""

    fillers: tuple[Pattern, ...] = Field(min_length=1)
    polite: tuple[Pattern, ...] = Field(min_length=1)
    hedges: tuple[Pattern, ...] = Field(min_length=1)
    negations: tuple[Pattern, ...] = Field(min_length=1)
    negation_glue: frozenset[str] = frozenset()
    spellings: dict[str, str] = Field(default_factory=dict)  # "cannae" -> "cannot"
    clear_no: tuple[Pattern, ...] = Field(min_length=1)
    clear_yes: tuple[Pattern, ...] = ()  # empty: any yes phrase anywhere is a yes
    correction_markers: tuple[Pattern, ...] = Field(min_length=1)
    topics: dict[str, tuple[Pattern, ...]] = Field(default_factory=dict)
    pack_off: tuple[Pattern, ...] = Field(min_length=1)
    screens: dict[str, Screen] = Field(min_length=1)

    @field_validator("topics", mode="before")
    @classmethod
    def _compile_topics(cls, value: object) -> object:
        if isinstance(value, dict):
            return {
                key: compile_patterns(v) if isinstance(v, list) else v for key, v in value.items()
            }
        return value


NEGATION_REACH = 5


# --- results ------------------------------------------------------------------------------

Kind = Literal["answer", "red_flag", "command", "correction", "unclear"]


@dataclass(frozen=True)
class Understanding:
    """What a reply means: an answer, a red flag, a command, a correction, or unclear."""

    kind: Kind
    name: str = ""  # answer or command name
    screens: tuple[str, ...] = ()  # red flag: the facts (screens) that are yes
    about: str | None = None  # correction: the question id it revises
    text: str = ""  # correction: the words after the marker
    hedged: bool = False


UNCLEAR = Understanding("unclear")

ContextKind = Literal["choice", "onset", "offer", "confirm", "session"]


@dataclass(frozen=True)
class Context:
    """Where the reply was heard, and what could be meant there."""

    question: str  # question id, or "offer_timer" / "confirming" / "session"
    kind: ContextKind = "choice"
    fact: str | None = None  # the fact this question sets
    answers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    commands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    previous: str | None = None  # the question answered last

    @property
    def matcher(self) -> PhraseMatcher:
        return _matcher(tuple(self.answers.items()))


@lru_cache(maxsize=64)
def _matcher(answers: tuple[tuple[str, tuple[str, ...]], ...]) -> PhraseMatcher:
    return PhraseMatcher(dict(answers))


# --- the rules ----------------------------------------------------------------------------


def understand(
    text: str,
    context: Context,
    lexicon: Lexicon,
    contexts: Mapping[str, Context] | None = None,
) -> Understanding:
    """One meaning for one reply, safety first (see the module docstring)."""
    words = respell(normalize(text), lexicon)
    if not words:
        return UNCLEAR
    flags, denied = symptoms(words, lexicon, context.fact)
    if flags:
        return Understanding("red_flag", screens=flags)
    command = whole_command(words, context.commands, lexicon)
    if command is not None:
        return Understanding("command", name=command)
    if context.kind == "session":
        done = _phrase_patterns(context.answers.get("done", ()))
        off = (*lexicon.pack_off, *done)
        if any(True for _ in _found(words, off)) and _covered(words, (*off, *_frame(lexicon))):
            return Understanding("answer", name="done")
        return UNCLEAR
    if context.kind in ("choice", "onset", "offer"):
        correction = _correction(words, context, lexicon, contexts or {})
        if correction is not None:
            return correction
    hedged = any(True for _ in _found(words, lexicon.hedges))
    if context.kind == "onset":
        return Understanding("answer", name="onset", hedged=hedged)
    if context.kind == "offer":
        return Understanding("answer", name="offer", hedged=hedged)
    if context.kind == "confirm" or (context.fact is not None and context.fact in lexicon.screens):
        return _screen_answer(words, context, lexicon, hedged, context.fact in denied)
    return _choice_answer(text, words, context, lexicon, hedged)


def respell(words: list[str], lexicon: Lexicon) -> list[str]:
    """Dialect and recogniser spellings as plain words: "cannae" -> "cannot"."""
    if not lexicon.spellings:
        return words
    return [out for word in words for out in lexicon.spellings.get(word, word).split()]


def symptoms(
    words: Sequence[str], lexicon: Lexicon, own_fact: str | None = None
) -> tuple[tuple[str, ...], frozenset[str]]:
    """Screens whose symptoms are mentioned (in order), and screens only denied."""
    found: list[str] = []
    denied: set[str] = set()
    # Named symptoms inside a reassurance ("my temperature is normal") do not count.
    reassured = list(_found(words, lexicon.clear_no))
    for fact, screen in lexicon.screens.items():
        if any(True for _ in _found(words, screen.described)):
            found.append(fact)
            continue
        deniable = list(screen.named) + (list(screen.own) if fact == own_fact else [])
        hits = [
            (s, e)
            for s, e in _found(words, deniable)
            if not any(a <= s and e <= b for a, b in reassured)
        ]
        spans = [(s, e) for s, e in hits if _negated(words, s, lexicon)]
        # A hit inside a denied one ("no problems with my BLADDER") is denied too.
        if any(not any(a <= s and e <= b for a, b in spans) for s, e in hits):
            found.append(fact)
        elif hits:
            denied.add(fact)
    return tuple(found), frozenset(denied)


def whole_command(
    words: Sequence[str], commands: Mapping[str, tuple[str, ...]], lexicon: Lexicon
) -> str | None:
    """A command name when the reply is that command and nothing else (polite words aside)."""
    best: tuple[int, str] | None = None
    for name, phrases in commands.items():
        for phrase in phrases:
            tokens = normalize(phrase)
            size = len(tokens)
            for start in range(len(words) - size + 1):
                if list(words[start : start + size]) != tokens:
                    continue
                if best is not None and size <= best[0]:
                    continue
                frame = _frame(lexicon)
                if _covered(words[:start], frame) and _covered(words[start + size :], frame):
                    best = (size, name)
    return None if best is None else best[1]


def _frame(lexicon: Lexicon) -> tuple[Pattern, ...]:
    return lexicon.fillers + lexicon.polite


def _found(words: Sequence[str], patterns: Sequence[Pattern]) -> Iterator[tuple[int, int]]:
    for pattern in patterns:
        yield from pattern.find(words)


def _negated(words: Sequence[str], start: int, lexicon: Lexicon) -> bool:
    """Is the word at ``start`` denied by a negation just before it ("no fever",
    "haven't had any chest pain")? Only glue words may stand in between."""
    for at in range(start - 1, max(-1, start - 1 - NEGATION_REACH), -1):
        if any(pattern.ends(words, at) for pattern in lexicon.negations):
            return True
        if words[at] not in lexicon.negation_glue:
            return False
    return False


def _covered(words: Sequence[str], pieces: Sequence[Pattern]) -> bool:
    """Can ``words`` be cut into pieces that each match one of ``pieces`` exactly?"""
    reachable = [False] * (len(words) + 1)
    reachable[0] = True
    for start in range(len(words)):
        if not reachable[start]:
            continue
        for piece in pieces:
            for end in piece.ends(words, start):
                if end > start:
                    reachable[end] = True
    return reachable[len(words)]


@lru_cache(maxsize=64)
def _phrase_patterns(phrases: tuple[str, ...]) -> tuple[Pattern, ...]:
    return tuple(Pattern(p, tuple(_Word(w) for w in normalize(p))) for p in phrases if p.strip())


def clear_no(
    words: Sequence[str],
    no_phrases: tuple[str, ...],
    lexicon: Lexicon,
    benign: Sequence[Pattern] = (),
) -> bool:
    """The whole reply is a clear no: no phrases, fillers and polite words only
    (and, at a screen's own question, its benign explanations)."""
    nos = (*_phrase_patterns(no_phrases), *lexicon.clear_no, *benign)
    if not any(True for _ in _found(words, nos)):
        return False  # "um", "thanks", "okay": no "no" at all
    return _covered(words, (*nos, *_frame(lexicon)))


def _screen_answer(
    words: Sequence[str], context: Context, lexicon: Lexicon, hedged: bool, denied: bool
) -> Understanding:
    screen = lexicon.screens.get(context.fact or "")
    benign = screen.benign if screen is not None else ()
    if clear_no(words, context.answers.get("no", ()), lexicon, benign):
        return Understanding("answer", name="no")
    if hedged and "unsure" in context.answers:
        return Understanding("answer", name="unsure", hedged=True)
    names = context.matcher.find(" ".join(words)).distinct
    if "unsure" in names:
        return Understanding("answer", name="unsure")
    if names == {"yes"} and not denied and _clear_yes(words, context, lexicon):
        return Understanding("answer", name="yes")  # "no, it's my back" is mixed: asked again
    return UNCLEAR


def _clear_yes(words: Sequence[str], context: Context, lexicon: Lexicon) -> bool:
    """A yes word ("yes", "aye") anywhere, or a reply made only of yes phrases: "it is",
    "a bit" inside a longer sentence ("it's just my lower back") are asked again."""
    if not lexicon.clear_yes or any(True for _ in _found(words, lexicon.clear_yes)):
        return True
    yeses = _phrase_patterns(context.answers.get("yes", ()))
    return _covered(words, (*yeses, *_frame(lexicon)))


def _choice_answer(
    text: str, words: Sequence[str], context: Context, lexicon: Lexicon, hedged: bool
) -> Understanding:
    names = context.matcher.find(text).names
    distinct = set(names)
    if len(distinct) == 1:
        return Understanding("answer", name=names[0])
    if "unsure" in distinct or (hedged and not distinct and "unsure" in context.answers):
        return Understanding("answer", name="unsure", hedged=True)
    if not distinct and {"yes", "no"} <= set(context.answers):
        # The question's own topic word: "very stiff" is yes, "not stiff" is no;
        # any topic word not denied ("not swollen, but red") makes it yes.
        hits = list(_found(words, lexicon.topics.get(context.question, ())))
        if hits:
            denied = all(_negated(words, start, lexicon) for start, _ in hits)
            return Understanding("answer", name="no" if denied else "yes")
    return UNCLEAR


def _correction(
    words: Sequence[str], context: Context, lexicon: Lexicon, contexts: Mapping[str, Context]
) -> Understanding | None:
    """ "actually yes", "wait, it is swollen": the question it revises and the new answer."""
    frame = _frame(lexicon)
    for marker in lexicon.correction_markers:
        for lead in range(len(words)):
            if not _covered(words[:lead], lexicon.fillers):
                break
            for end in sorted(marker.ends(words, lead), reverse=True):
                rest = list(words[end:])
                while rest and _covered(rest[:1], frame):
                    rest = rest[1:]
                if not rest or end == lead:
                    continue
                about = _topic(rest, lexicon, contexts) or context.previous
                if about is None or about == context.question or about not in contexts:
                    return None
                target = contexts[about]
                meaning = understand(" ".join(rest), replace(target, previous=None), lexicon)
                if meaning.kind != "answer":
                    return UNCLEAR if meaning.kind == "unclear" else meaning
                return Understanding(
                    "correction", name=meaning.name, about=about, text=" ".join(rest)
                )
    return None


def _topic(words: Sequence[str], lexicon: Lexicon, contexts: Mapping[str, Context]) -> str | None:
    for question, patterns in lexicon.topics.items():
        if question in contexts and any(True for _ in _found(words, patterns)):
            return question
    return None
