"""Turn what someone said into an answer name.

Whole-word phrase matching, longest phrase first, so "I don't know" is
"unsure" and not "no", and "it isn't" is "no" and not "yes".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_CONTRACTIONS = {
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "haven't": "have not",
    "hasn't": "has not",
    "can't": "cannot",
    "cant": "cannot",
    "won't": "will not",
    "wont": "will not",
    "couldn't": "could not",
    "couldnt": "could not",
    "wouldn't": "would not",
    "shouldn't": "should not",
    "hadn't": "had not",
    "weren't": "were not",
    "ain't": "is not",
    "didnt": "did not",
    "havent": "have not",
    "hasnt": "has not",
    "wasnt": "was not",
    "arent": "are not",
    "you're": "you are",
    "they're": "they are",
    "we're": "we are",
    "he's": "he is",
    "she's": "she is",
    "i'd've": "i would have",
    "gonna": "going to",
    "wanna": "want to",
    "i'm": "i am",
    "im": "i am",
    "it's": "it is",
    "its": "it is",
    "that's": "that is",
    "thats": "that is",
    "i've": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "what's": "what is",
    "there's": "there is",
    "let's": "let us",
    "ok": "okay",
}
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalize(text: str) -> list[str]:
    """Lower-case words with contractions expanded and punctuation dropped."""
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    words: list[str] = []
    for token in _WORD.findall(text):
        if token in _CONTRACTIONS:
            words.extend(_CONTRACTIONS[token].split())
        elif token.endswith("'s"):  # "breathing's fine" = "breathing is fine"
            words.extend((token[:-2], "is"))
        else:
            words.append(token.replace("'", ""))
    return words


@dataclass(frozen=True)
class Match:
    """Which answer names were found in an utterance, in order."""

    names: tuple[str, ...]

    @property
    def distinct(self) -> frozenset[str]:
        return frozenset(self.names)


class PhraseMatcher:
    """Finds known phrases in an utterance (greedy, longest first, no overlaps)."""

    def __init__(self, phrases_by_name: Mapping[str, Iterable[str]]) -> None:
        entries: list[tuple[tuple[str, ...], str]] = []
        for name, phrases in phrases_by_name.items():
            for phrase in phrases:
                words = tuple(normalize(phrase))
                if words:
                    entries.append((words, name))
        # Longest first; among equals keep the declared order.
        self._entries = sorted(entries, key=lambda entry: -len(entry[0]))

    def find(self, text: str) -> Match:
        words = normalize(text)
        used = [False] * len(words)
        found: list[tuple[int, str]] = []
        for phrase, name in self._entries:
            size = len(phrase)
            for start in range(len(words) - size + 1):
                span = range(start, start + size)
                if any(used[i] for i in span):
                    continue
                if tuple(words[start : start + size]) == phrase:
                    for i in span:
                        used[i] = True
                    found.append((start, name))
        found.sort()
        return Match(tuple(name for _, name in found))
