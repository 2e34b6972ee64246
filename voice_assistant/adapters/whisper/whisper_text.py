"""How Whisper writes text, and the spoken form it is matched in.

Whisper writes " Yes.", "I'm", "48"; the dialog lists "yes", "i am", "forty
eight". These pure functions (no model) turn one into the other both ways: the
key a free decode is matched by (``canonical``), the forms a phrase is scored
under (``surface_forms``), and the word tests the recogniser's judging uses.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
# Spoken contractions Whisper writes ("i am" is usually transcribed "I'm").
_CONTRACTIONS = (
    ("i am", "i'm"),
    ("do not", "don't"),
    ("does not", "doesn't"),
    ("did not", "didn't"),
    ("is not", "isn't"),
    ("it is", "it's"),
    ("can not", "can't"),
    ("cannot", "can't"),
    ("i have", "i've"),
    ("i will", "i'll"),
    ("that is", "that's"),
    ("what is", "what's"),
    ("okay", "ok"),
)


def words_of(text: str) -> list[str]:
    """Lower-case words (apostrophes kept) of ``text``."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def content_words(text: str) -> list[str]:
    """Words of ``text`` without spelled-out letters ("D U D" has none; "i" and "a" count)."""
    return [w for w in words_of(text) if len(w) > 1 or w in ("i", "a")]


def contains(text: str, part: str) -> bool:
    """Are ``part``'s words a run of ``text``'s words?"""
    return bool(part) and f" {part} " in f" {text} "


def number_to_words(value: int) -> str:
    """0..99 as spoken words ("forty eight")."""
    if value < 20:
        return _UNITS[value]
    tens, unit = divmod(value, 10)
    return _TENS[tens - 2] + ("" if unit == 0 else " " + _UNITS[unit])


def with_digits(words: Sequence[str]) -> list[str]:
    """Number words as digits, the way Whisper writes them ("forty eight" -> "48")."""
    out: list[str] = []
    i = 0
    while i < len(words):
        value = _NUMBER_WORDS.get(words[i])
        if value is None:
            out.append(words[i])
            i += 1
            continue
        nxt = _NUMBER_WORDS.get(words[i + 1]) if i + 1 < len(words) else None
        if value >= 20 and nxt is not None and 0 < nxt < 10:
            out.append(str(value + nxt))
            i += 2
        else:
            out.append(str(value))
            i += 1
    return out


LEADING_FILLERS = frozenset({"and", "so", "um", "uh", "er", "erm", "oh", "well", "actually"})
"""Words Whisper often puts before a short answer ("And not really.", "So, yes.", "Actually,
I do not know."): they carry no answer of their own."""


def without_leading_fillers(spoken: str) -> str:
    """``spoken`` (canonical) without the filler words it starts with."""
    words = spoken.split()
    while len(words) > 1 and words[0] in LEADING_FILLERS:
        words.pop(0)
    return " ".join(words)


def canonical(text: str) -> str:
    """Spoken-form key for matching: lower case, digits as words, contractions expanded."""
    words: list[str] = []
    for word in words_of(text):
        if word.isdigit() and int(word) < 100:
            words.extend(number_to_words(int(word)).split())
        else:
            words.append(word)
    joined = re.sub(r"\bo k\b", "ok", " ".join(words))  # "O.K."
    for long, short in _CONTRACTIONS:
        joined = re.sub(rf"\b{re.escape(short)}\b", long, joined)
    return joined


def surface_forms(phrase: str) -> list[str]:
    """How Whisper may write ``phrase``: lower and sentence case, digits, contractions.

    Each form ends with "." (its score also yields the form without the full
    stop). Forms start with a space, as Whisper's text does.
    """
    words = words_of(phrase)
    if not words:
        return []
    bases = {" ".join(words)}
    if any(w in _NUMBER_WORDS for w in words):
        bases.add(" ".join(with_digits(words)))
    for long, short in _CONTRACTIONS:
        for base in list(bases):
            contracted = re.sub(rf"\b{long}\b", short, base)
            if contracted != base:
                bases.add(contracted)
    forms: list[str] = []
    for base in sorted(bases):
        spoken = re.sub(r"\bi\b", "I", base)
        sentence = spoken[:1].upper() + spoken[1:]
        for form in dict.fromkeys((" " + base, " " + sentence)):
            forms.append(form + ".")
    return forms


def compression_ratio(text: str) -> float:
    """Bytes / gzip-compressed bytes: high (> 2.4) for looping output ("Yes. Yes. Yes.")."""
    raw = text.encode()
    return len(raw) / max(1, len(gzip.compress(raw)) - 20) if raw else 0.0
