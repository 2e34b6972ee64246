"""Understand "when did it start" answers: "two days ago" -> 48 hours.

The word lists live in ``dialogs/onset.yaml``; this module only knows number
words and the shape "<quantity> <unit> [ago]".
"""

from __future__ import annotations

from collections.abc import Iterator

from voice_assistant.dialog.matching import normalize
from voice_assistant.dialog.script import OnsetFile

_ONES = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
NUMBER_WORDS: dict[int, str] = {value: word for word, value in _ONES.items()}
NUMBER_WORDS.update({value: word for word, value in _TENS.items()})


def number_to_words(value: int) -> str:
    """Spell 0..99 as words ("forty eight"), for grammars and speech."""
    if value in NUMBER_WORDS:
        return NUMBER_WORDS[value]
    if 0 < value < 100:
        return f"{NUMBER_WORDS[value - value % 10]} {NUMBER_WORDS[value % 10]}"
    return str(value)


def _read_number(words: list[str], start: int) -> tuple[float, int] | None:
    """A number at ``words[start]``: digits or words up to 99 (+ "and a half")."""
    if start >= len(words):
        return None
    word = words[start]
    value: float
    used = 1
    if word.isdigit():
        value = float(word)
    elif word in _TENS:
        value = _TENS[word]
        if start + 1 < len(words) and words[start + 1] in _ONES and _ONES[words[start + 1]] < 10:
            value += _ONES[words[start + 1]]
            used = 2
    elif word in _ONES:
        value = _ONES[word]
    else:
        return None
    if words[start + used : start + used + 3] == ["and", "a", "half"]:
        value += 0.5
        used += 3
    return value, used


def _quantity(words: list[str], start: int, lexicon: OnsetFile) -> Iterator[tuple[float, int]]:
    number = _read_number(words, start)
    if number is not None:
        yield number
    for phrase, value in sorted(lexicon.quantities.items(), key=lambda kv: -len(kv[0].split())):
        tokens = phrase.split()
        if words[start : start + len(tokens)] == tokens:
            yield value, len(tokens)


def parse_onset_hours(text: str, lexicon: OnsetFile) -> float | None:
    """Hours since the pain began, or None when the answer has no time in it."""
    words = normalize(text)
    best: tuple[int, float] | None = None  # (words used, hours): the longest reading wins
    for start in range(len(words)):
        for quantity, used in _quantity(words, start, lexicon):
            unit_at = start + used
            if unit_at < len(words) and words[unit_at] in lexicon.units:
                hours = quantity * lexicon.units[words[unit_at]]
                size = used + 1
                if best is None or size > best[0]:
                    best = (size, hours)
    for phrase, hours in lexicon.expressions.items():
        tokens = normalize(phrase)
        size = len(tokens)
        for start in range(len(words) - size + 1):
            if words[start : start + size] == tokens and (best is None or size > best[0]):
                best = (size, hours)
    return None if best is None else best[1]


def onset_phrases(lexicon: OnsetFile) -> list[str]:
    """Every onset phrase the recogniser should listen for."""
    phrases = set(lexicon.expressions)
    plural_numbers = [*range(2, 13), 14, 15, 18, 20, 24, 30, 36, 48]
    pairs = [
        ("minute", "minutes"),
        ("hour", "hours"),
        ("day", "days"),
        ("week", "weeks"),
        ("month", "months"),
        ("year", "years"),
    ]
    for singular, plural in pairs:
        heads = ["a", "an" if singular == "hour" else "one", "one"]
        wordings = [f"{head} {singular}" for head in dict.fromkeys(heads)]
        wordings += [f"{number_to_words(n)} {plural}" for n in plural_numbers]
        wordings += [f"a couple of {plural}", f"a few {plural}", f"several {plural}"]
        for wording in wordings:
            phrases.add(wording)
            phrases.add(f"{wording} ago")
    return sorted(phrases)
