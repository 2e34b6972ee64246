"""Understand "when did it start" answers: "two days ago" -> 48 hours.

The word lists live in ``dialogs/onset.yaml``; this module only knows number
words and the shape "<quantity> <unit> [ago]".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from voice_assistant.dialog.matching import normalize
from voice_assistant.dialog.script import OnsetFile

FollowUp = Literal["more_than_three_days", "flare_up"]

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


def read_number(words: list[str], start: int) -> tuple[float, int] | None:
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
    number = read_number(words, start)
    if number is not None:
        yield number
    for phrase, value in sorted(lexicon.quantities.items(), key=lambda kv: -len(kv[0].split())):
        tokens = phrase.split()
        if words[start : start + len(tokens)] == tokens:
            yield value, len(tokens)


@dataclass(frozen=True)
class OnsetReading:
    """Hours since the pain began, or the follow-up question to ask instead."""

    hours: float | None
    follow_up: FollowUp | None = None


def parse_onset_hours(text: str, lexicon: OnsetFile, today: date | None = None) -> float | None:
    """Hours since the pain began, or None when the answer has no (clear) time in it."""
    return read_onset(text, lexicon, today).hours


def read_onset(text: str, lexicon: OnsetFile, today: date | None = None) -> OnsetReading:
    """Read "when did it start": a time, or which follow-up question is needed.

    ``today`` (injected: no clock here) lets "since Monday" and "the weekend"
    become hours; without it they are asked about ("more than three days?").
    """
    words = normalize(text)
    readings = _readings(words, lexicon)
    undated = False
    for day in _days_back(words, lexicon, today):
        if day is None:
            undated = True
        else:
            readings.append((2, day * 24.0))
    flare = any(True for p in lexicon.flare_up for _ in p.find(words))
    if flare:
        if readings:
            return OnsetReading(min(hours for _, hours in readings))
        return OnsetReading(None, "flare_up")
    ambiguous = any(True for p in lexicon.ambiguous for _ in p.find(words))
    if ambiguous or (undated and not readings):
        return OnsetReading(None, "more_than_three_days")
    if not readings:
        return OnsetReading(None)
    # The longest reading wins: "the day before yesterday" over "yesterday".
    return OnsetReading(max(readings, key=lambda reading: reading[0])[1])


def _readings(words: list[str], lexicon: OnsetFile) -> list[tuple[int, float]]:
    """Every (words used, hours) reading of a time in the reply."""
    found: list[tuple[int, float]] = []
    for start in range(len(words)):
        for quantity, used in _quantity(words, start, lexicon):
            unit_at = start + used
            if unit_at < len(words) and words[unit_at] in lexicon.units:
                found.append((used + 1, quantity * lexicon.units[words[unit_at]]))
    for phrase, hours in lexicon.expressions.items():
        tokens = normalize(phrase)
        size = len(tokens)
        for start in range(len(words) - size + 1):
            if words[start : start + size] == tokens:
                found.append((size, hours))
    return found


def _days_back(words: list[str], lexicon: OnsetFile, today: date | None) -> Iterator[int | None]:
    """Days back to a named weekday or the weekend (None when today's date is unknown)."""
    for index, word in enumerate(words):
        if word not in lexicon.weekdays:
            continue
        if today is None:
            yield None
            continue
        days = (today.weekday() - lexicon.weekdays[word]) % 7
        if days == 0 and index > 0 and words[index - 1] == "last":
            days = 7
        yield days
    for pattern in lexicon.weekend:
        for start, _ in pattern.find(words):
            if today is None:
                yield None
                continue
            days = (today.weekday() - 5) % 7
            if "last" in words[start : start + 3] and days <= 1:
                days += 7
            yield days


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
