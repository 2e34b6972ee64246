"""Whisper's verdict on one utterance: accept a phrase, pass on a sentence, or reject.

Pure rules over the model's numbers (the free decode's text and
log-probability, the scored phrases); ``asr_whisper.py`` computes those and
documents the rules (its module docstring, steps 5 and 6, and the settings of
``WhisperRecognizer``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from voice_assistant.adapters.whisper.whisper_phrases import PreparedPhrases
from voice_assistant.adapters.whisper.whisper_text import (
    canonical,
    compression_ratio,
    contains,
    content_words,
    without_leading_fillers,
    words_of,
)
from voice_assistant.events import Vocabulary


@dataclass(frozen=True)
class Decision:
    """The full story of one decode (the bench and tests read it; the dialog needs less)."""

    text: str  # what is returned: a phrase, a sentence, or "" (rejected)
    confidence: float
    hypothesis: str  # the free decode as Whisper wrote it ("" = not decoded)
    reason: str  # accepted | sentence | sentence_not_allowed | longer_than_phrase
    #              | ambiguous | silence | no_speech | too_short | no_phrases | not_a_phrase
    phrase: str  # the best-scoring phrase ("" = none scored)
    phrase_logprob: float  # its log-probability (best surface form, incl. end of text)
    free_logprob: float  # the free decode's log-probability, same scoring
    seconds: float  # decode time
    scores: Mapping[str, float] = field(default_factory=dict)  # phrase -> log-probability


@dataclass(frozen=True)
class PhraseJudge:
    """Accept a phrase, pass on a sentence, or reject: the rules over the model's scores.

    The settings are ``WhisperRecognizer``'s of the same names (documented there).
    """

    max_gap: float
    min_phrase_logprob: float
    per_token_logprob: float
    min_margin: float
    temperature: float
    sentence_min_words: int
    sentence_min_avg_logprob: float
    sentence_max_compression: float

    def judge(
        self,
        vocabulary: Vocabulary,
        prepared: PreparedPhrases,
        hypothesis: str,
        free_lp: float,
        free_avg: float,
        phrase_scores: dict[str, float],
        result: Callable[..., Decision],
    ) -> Decision:
        """The decision on a free decode and the phrase scores (see the module docstring, 5-6)."""
        spoken = without_leading_fillers(canonical(hypothesis))
        match = prepared.by_text.get(spoken) if spoken else None
        scores = dict(phrase_scores)
        if match is not None:
            scores[match] = max(scores.get(match, -math.inf), free_lp)
        best = match if match is not None else max(scores, key=scores.__getitem__, default="")
        best_lp = scores.get(best, -math.inf)
        args = (best, best_lp, free_lp, scores)
        # Whisper heard the phrase and more ("No but I have wet the bed."): never
        # shorten that to the phrase. ("in the industry" for "injury" is another
        # reading of the same sound: the scores judge that.)
        more = len(content_words(spoken)) > len(words_of(best)) + 1
        longer = more and contains(spoken, canonical(best))
        sentence = more and self.is_sentence(hypothesis, free_avg)
        if match is None and sentence and vocabulary.sentences:
            # "no but i've wet the bed": the whole sentence, never just "no".
            text = " ".join(words_of(hypothesis))
            return result(text, round(math.exp(free_avg), 4), hypothesis, "sentence", *args)
        if not scores:
            return result("", 0.0, hypothesis, "no_phrases", *args)
        others_lp = [] if match is not None or not hypothesis else [free_lp]
        confidence = self.confidence(vocabulary, best, scores, others_lp)
        if match is None and longer and sentence:
            return result("", confidence, hypothesis, "sentence_not_allowed", *args)
        if match is None and longer:
            # "Yes, it hurts a lot." heard unsurely: not "yes" either.
            return result("", confidence, hypothesis, "longer_than_phrase", *args)
        if match is None and not (
            best_lp >= free_lp - self.max_gap
            and best_lp >= self.phrase_floor(prepared.length.get(best, 1))
        ):
            return result("", confidence, hypothesis, "not_a_phrase", *args)
        meaning = vocabulary.meanings.get(best, best)
        rival = max(
            (lp for p, lp in scores.items() if vocabulary.meanings.get(p, p) != meaning),
            default=-math.inf,
        )
        if rival > best_lp - self.min_margin:
            # "Yes, today" for "yesterday": today -4.4, yesterday -4.8. Ask again.
            return result("", confidence, hypothesis, "ambiguous", *args)
        return result(best, confidence, hypothesis, "accepted", *args)

    def confidence(
        self,
        vocabulary: Vocabulary,
        phrase: str,
        scores: Mapping[str, float],
        others: Sequence[float],
    ) -> float:
        """Share of probability (softmax of scores / temperature) of ``phrase``'s meaning."""
        meaning = vocabulary.meanings.get(phrase, phrase)
        values = np.asarray([*scores.values(), *others], dtype=np.float64) / self.temperature
        same = np.asarray(
            [vocabulary.meanings.get(p, p) == meaning for p in scores] + [False] * len(others)
        )
        weights = np.exp(values - values.max())
        return float(weights[same].sum() / weights.sum())

    def phrase_floor(self, tokens: int) -> float:
        """The least log-probability a phrase of ``tokens`` tokens may be accepted with."""
        return self.min_phrase_logprob - self.per_token_logprob * max(0, tokens - 1)

    def is_sentence(self, hypothesis: str, avg_logprob: float) -> bool:
        """Is the free decode a confident sentence (not a loop)?"""
        return (
            len(words_of(hypothesis)) >= self.sentence_min_words
            and avg_logprob >= self.sentence_min_avg_logprob
            and compression_ratio(hypothesis) <= self.sentence_max_compression
        )
