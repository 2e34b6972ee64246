"""The pattern notation of ``dialogs/understanding.yaml``, compiled and matched.

"pain* (down|in) ... leg*" is words, stems (``*``), alternatives in
parentheses, optional parts in square brackets and gaps (``...``) of up to
:data:`GAP` words; the notation is documented at the top of the YAML file.
A pattern is matched against normalised words (see :mod:`.matching`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from voice_assistant.dialog.matching import normalize

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


@lru_cache(maxsize=64)
def literal_patterns(phrases: tuple[str, ...]) -> tuple[Pattern, ...]:
    """Plain phrases ("no thanks") as patterns: their words in order, nothing else."""
    return tuple(Pattern(p, tuple(_Word(w) for w in normalize(p))) for p in phrases if p.strip())
