"""The listed phrases as Whisper may write them, tokenised, and which of them to score.

Each phrase is scored under a few surface forms (``whisper_text.surface_forms``);
each scored form is one decoder batch row, the main cost of a decode, so only
the forms whose upper bound (read off the free decode) could still matter are
scored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from voice_assistant.adapters.whisper.whisper_text import canonical, surface_forms


@dataclass(frozen=True)
class PhraseForm:
    """One way of writing a phrase, as tokens."""

    phrase: str
    tokens: tuple[int, ...]  # the form's tokens, its final "." included


@dataclass(frozen=True)
class PreparedPhrases:
    """A vocabulary's phrases, ready to score and to match a free decode against."""

    forms: tuple[PhraseForm, ...]
    by_text: dict[str, str]  # canonical text -> the caller's phrase
    length: dict[str, int]  # phrase -> tokens of its shortest form, without the final "."


def prepare_phrases(
    phrases: Iterable[str], tokens: Callable[[str], tuple[int, ...]]
) -> PreparedPhrases:
    """Every surface form of ``phrases`` (in the given order) as ``tokens`` encodes it."""
    forms: list[PhraseForm] = []
    by_text: dict[str, str] = {}
    length: dict[str, int] = {}
    for phrase in phrases:
        spoken = canonical(phrase)
        if not spoken:
            continue
        by_text.setdefault(spoken, phrase)
        for form in surface_forms(phrase):
            forms.append(PhraseForm(phrase, tokens(form)))
            body = len(forms[-1].tokens) - 1
            length[phrase] = min(length.get(phrase, body), body)
    return PreparedPhrases(tuple(forms), by_text, length)


Prefix = tuple[int, ...]


class PrefixBounds:
    """Upper bounds of the forms' log-probabilities from the distributions known so far.

    The free decode gives the distribution after each of its prefixes; more can
    be learnt for other prefixes (``learn``). A form's bound is the exact
    log-probability of its tokens as far as distributions are known, plus that
    of the next token; every later token can only lower it (log-probabilities
    are <= 0), so a form whose bound is below what matters need not be scored.
    Where the known distributions end, the form's *frontier* is the prefix
    whose distribution would tighten its bound. ``endings`` are the tokens a
    form may end with instead of its final "." (end of text, "?", "!").
    """

    def __init__(
        self,
        free_tokens: Sequence[int],
        steps: Sequence[np.ndarray],
        endings: Sequence[int] = (),
    ) -> None:
        self.known: dict[Prefix, np.ndarray] = {
            tuple(free_tokens[:k]): steps[k] for k in range(min(len(steps), len(free_tokens) + 1))
        }
        self.endings = list(endings)

    def learn(self, prefixes: Sequence[Prefix], distributions: Sequence[np.ndarray]) -> None:
        """Add the distribution after each of ``prefixes``."""
        self.known.update(zip(prefixes, distributions, strict=True))

    def bound(self, tokens: Sequence[int]) -> tuple[float, Prefix | None]:
        """The bound of one form, and its frontier (None: every token is known)."""
        total = 0.0
        prefix: Prefix = ()
        last = len(tokens) - 1
        for k, token in enumerate(tokens):
            dist = self.known.get(prefix)
            if dist is None:
                return total, prefix
            if k == last and token in self.endings:
                # A form's final "." also stands for ending with "?", "!" or
                # at once (the scoring takes the best): bound it by the best.
                total += float(dist[self.endings].max())
            else:
                total += float(dist[token])
            prefix = (*prefix, token)
        return total, None

    def candidates(
        self, forms: Sequence[PhraseForm], floor: float | np.ndarray, limit: int
    ) -> list[PhraseForm]:
        """The forms worth scoring: bound at least ``floor``, the ``limit`` highest bounds.

        ``floor`` is one value or one per form.

        A form below ``floor`` can neither be accepted nor stand as a rival to
        an accepted phrase, so it is not scored (each scored form is a decoder
        batch row). The kept forms come back in their original order.
        """
        return [forms[i] for i in sorted(self._top(forms, floor, limit)[0])]

    def crowded(
        self, forms: Sequence[PhraseForm], floor: float | np.ndarray, limit: int, most: int
    ) -> list[Prefix]:
        """Frontiers shared by two or more of the best forms (at most ``most``).

        Many forms share a first word (" I am", " I do", " I have"): their
        bounds are all that word's log-probability, and they would crowd out a
        better phrase that starts differently. Learning the distribution after
        the shared prefix separates them.
        """
        top, frontiers = self._top(forms, floor, limit)
        shared: dict[Prefix, int] = {}
        for i in top:
            frontier = frontiers[i]
            if frontier is not None and frontier:
                shared[frontier] = shared.get(frontier, 0) + 1
        crowded = [prefix for prefix, n in shared.items() if n >= 2]
        return sorted(crowded, key=lambda prefix: -shared[prefix])[:most]

    def _top(
        self, forms: Sequence[PhraseForm], floor: float | np.ndarray, limit: int
    ) -> tuple[list[int], list[Prefix | None]]:
        results = [self.bound(form.tokens) for form in forms]
        bounds = np.asarray([b for b, _ in results]) if results else np.zeros(0)
        keep = np.flatnonzero(bounds >= floor)
        order = keep[np.argsort(-bounds[keep], kind="stable")][:limit]
        return [int(i) for i in order], [f for _, f in results]
