"""The listed phrases as Whisper may write them, tokenised, and which of them to score.

Each phrase is scored under a few surface forms (``whisper_text.surface_forms``);
each scored form is one decoder batch row, the main cost of a decode, so only
the forms whose first token is plausible after the audio are scored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from voice_assistant.adapters.whisper_text import canonical, surface_forms


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


def prepare_phrases(
    phrases: Iterable[str], tokens: Callable[[str], tuple[int, ...]]
) -> PreparedPhrases:
    """Every surface form of ``phrases`` (in the given order) as ``tokens`` encodes it."""
    forms: list[PhraseForm] = []
    by_text: dict[str, str] = {}
    for phrase in phrases:
        spoken = canonical(phrase)
        if not spoken:
            continue
        by_text.setdefault(spoken, phrase)
        for form in surface_forms(phrase):
            forms.append(PhraseForm(phrase, tokens(form)))
    return PreparedPhrases(tuple(forms), by_text)


def candidates(
    forms: Sequence[PhraseForm], first: np.ndarray, limit: int, prune_nats: float
) -> list[PhraseForm]:
    """The forms worth scoring: first token within ``prune_nats`` of the best one.

    ``first`` holds the log-probabilities of the first token; at most ``limit``
    forms are kept (the most plausible), in their original order.
    """
    if not forms:
        return []
    firsts = np.asarray([first[f.tokens[0]] for f in forms])
    keep = np.flatnonzero(firsts >= firsts.max() - prune_nats)
    order = keep[np.argsort(-firsts[keep], kind="stable")][:limit]
    return [forms[i] for i in sorted(order)]
