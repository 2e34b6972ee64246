"""Whisper tiny.en (faster-whisper / CTranslate2, float32) with a closed vocabulary and rejection.

Whisper transcribes freely; the dialog needs one of a few listed phrases or an
honest "not understood". Per utterance:

1. Silence check (loudest 30 ms vs. the clip's own floor, as for pocketsphinx),
   then Silero VAD (shipped with faster-whisper): Whisper's ``no_speech_prob`` is
   unreliable on 1 s clips, and Whisper "hears" pink noise as "You" or "yeah".
2. Log-mel features of the utterance only, padded with silence to a short window
   (utterance + 1 s, rounded up to 1 s, at least 2 s) instead of Whisper's 30 s:
   the encoder costs ~15 ms instead of ~400 ms, and so does every decoder batch
   row (its cross-attention over the encoded frames). A 0.5 s margin was ~10 %
   faster but garbled espeak phrases ("start over" -> "It's a story of a story").
3. A free greedy decode (bounded to ~4 tokens per second of audio): what the
   model hears. A decode cut by the bound is usually a loop ("Stop! Stop! Stop!")
   and is cut after its first sentence or loop period.
4. The allowed phrases are scored by teacher forcing (one batched ``generate``
   whose prompts are the phrases; CTranslate2 returns the distribution at every
   prompt position): the log-probability of the tokens and of the end of text
   after them, under a few surface forms (" yes.", " Yes.", digits for numbers,
   "I'm" for "i am"; with or without the final ".", "?", "!"), best form kept.
   Only the forms that could change the decision are scored: the free decode's
   distributions give every form an upper bound (``PrefixBounds``), and a form
   whose bound is below what could be accepted, or rival an acceptable phrase,
   is skipped. When many forms share a first word (" I am", " I do", " I have"
   ...), the distribution after that word is read first (a small batch), so
   they do not crowd out " Not really." (``max_forms`` at most). A clear answer
   ("Yes." heard at -0.2) usually needs no scoring at all.
5. The best phrase is accepted when the free decode *is* that phrase (same
   words after normalising case, punctuation, digits and contractions, and
   without a leading "and"/"so"), or when its score is at most ``max_gap``
   nats below the free decode's (a likelihood ratio: "one of the phrases"
   against "whatever was said") and above a floor (``min_phrase_logprob``,
   lower by ``per_token_logprob`` for each token after the first: a garbage
   free decode must not make a poor phrase look good). Otherwise the audio is
   not understood ("marvin" -> "", not "no"). Also not understood: a phrase of
   another meaning scoring within ``min_margin`` of the best ("Yes, today" for
   "yesterday"). Phrases whose meanings set the same fact value (at a danger
   screen "sure" and "not sure" both count as yes) are not rivals.
6. A free decode that contains the phrase and two or more words more ("no but
   I've wet the bed") is never shortened to the phrase. If it is a confident sentence and
   ``Vocabulary.sentences`` is set, it is returned (lower case, no punctuation)
   for the dialog's safety-first understanding; otherwise the audio is not
   understood.

Confidence is a softmax over the phrase scores and the free decode's score
(``temperature`` > 1 flattens it): the share of the probability the accepted
phrase has among everything the model could have heard.

This module runs the steps (``WhisperRecognizer``); the rules of steps 5-6 are
``PhraseJudge`` in ``whisper_judge.py``, the model calls are in
``whisper_runner.py``, the tokenised phrase forms and their choice in
``whisper_phrases.py``, the text normalisation in ``whisper_text.py``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from voice_assistant.adapters.audio.wav import SAMPLE_RATE, is_silence
from voice_assistant.adapters.whisper.whisper_judge import Decision, PhraseJudge
from voice_assistant.adapters.whisper.whisper_phrases import (
    PhraseForm,
    PrefixBounds,
    PreparedPhrases,
    prepare_phrases,
)
from voice_assistant.adapters.whisper.whisper_runner import WhisperModelRunner
from voice_assistant.adapters.whisper.whisper_text import canonical, without_leading_fillers
from voice_assistant.errors import RecognizerError
from voice_assistant.events import Transcript, Vocabulary


class WhisperRecognizer:
    """Whisper tiny.en scoring a closed list of phrases, with likelihood-ratio rejection.

    Settings (defaults chosen on the "tune" half of the speech-commands speakers,
    checked on the held-out half, generated noise and espeak voices; see
    bench/whisper_recognition.py):

    ``max_gap``          accept the best phrase when its log-probability is at
                         most this many nats below the free decode's (when the
                         free decode is not the phrase itself). Tune half: 1.5
                         -> 13/15 answers, 2.0 -> 14/15, other words rejected
                         121/123 either way; 3.0 lets more other words through.
    ``min_phrase_logprob`` ... and when it is at least this (nats, a one-token
                         phrase). Right answers heard only via the ratio scored
                         -3.8 to -5.8; "banana" taken for "no" -6.4 to -7.6.
    ``per_token_logprob`` the floor is this much lower for each further token:
                         every token costs probability even when right. 0.5:
                         espeak "not really" heard as "how to really lead"
                         scored -6.0 to -6.3 (accepted now); a flat -7.0 floor
                         let espeak "banana" through as "no" (-6.4). Real
                         speech: the same decisions on both halves.
    ``min_margin``       reject as ambiguous when a phrase of another meaning
                         (``Vocabulary.meanings``; else another phrase) scores
                         within this many nats of the best. 1.5: on espeak it
                         removed all 4 answers taken for another meaning
                         ("yesterday" -> "today") for 6 of 370 right ones; on
                         real speech it changed nothing.
    ``compute_type``     float32, so every CPU makes the same decisions: across
                         GENERIC, AVX, AVX2 and AVX-512 (bench/isa_spread.py)
                         the scores the judge compares spread by at most 0.001
                         nats and no decision differed. int8 decoded ~1.7x
                         faster, but its kernels differ by CPU: free-decode
                         scores spread up to 1.1 nats and 3-7 of 366 decisions
                         flipped (understood <-> asked again). With float32 a
                         meaning could change only if a score moved by more
                         than ``min_margin`` / 2 = 0.75 nats.
    ``temperature``      confidence = softmax(scores / temperature) over the
                         phrases (same-meaning phrases summed) and the free decode.
    ``low_confidence``   confirm safety-relevant answers below this (0.5: on
                         real speech 59 right / 1 wrong answers at or above it,
                         9 right / 8 wrong below).
    ``sentence_min_words``, ``sentence_min_avg_logprob``, ``sentence_max_compression``:
                         a free decode is passed on as a sentence only with at
                         least this many words (2), this mean log-probability per
                         token incl. the end (-0.7; espeak sentences heard right
                         scored -0.14 to -0.43, but garbled ones such as "i can't
                         fit me" for "a car hit me" reached -0.53: the dialog's
                         understanding must judge what comes back) and at most
                         this gzip compression ratio (2.4, as Whisper: loops).
    ``quiet_dbfs``, ``min_contrast_db``: the silence check before decoding.
    ``min_speech_probability``: then Silero VAD (bundled with faster-whisper) must
                         give some 32 ms window at least this speech probability.
                         Real words here: >= 0.49 (one near-silent clip aside);
                         generated noise that passes the level check: <= 0.23,
                         loud fan-band noise up to 0.61 (the level check catches it).
    ``max_forms``        at most this many forms are scored (each is a decoder
                         batch row; 16 rows cost little more than 8 here). 12
                         left espeak en-us+f3 "exercise" at 175 wpm unscored
                         behind " I am not ..." forms in float32.
    ``expand_rounds``, ``max_prefixes``: rounds of reading the distribution
                         after first words shared by several of the best
                         forms, and how many such words per round (one batch).
    ``margin_frames``, ``min_frames``: the encoder window (10 ms frames).
    ``free_tokens``, ``free_tokens_per_s``: the free decode's token budget.
                         On the tune half 10 + 4/s tokens gave the same
                         decisions as the defaults.
    """

    name = "whisper"

    def __init__(
        self,
        model_dir: Path | str,
        *,
        cpu_threads: int = 2,
        compute_type: str = "float32",
        max_gap: float = 2.0,
        min_phrase_logprob: float = -6.0,
        per_token_logprob: float = 0.5,
        min_margin: float = 1.5,
        temperature: float = 1.0,
        low_confidence: float = 0.5,
        sentence_min_words: int = 2,
        sentence_min_avg_logprob: float = -0.7,
        sentence_max_compression: float = 2.4,
        quiet_dbfs: float = -60.0,
        min_contrast_db: float = 6.0,
        min_speech_s: float = 0.1,
        min_speech_probability: float = 0.35,
        margin_frames: int = 100,
        min_frames: int = 200,
        free_tokens: int = 4,
        free_tokens_per_s: float = 4.0,
        max_forms: int = 16,
        expand_rounds: int = 2,
        max_prefixes: int = 6,
    ) -> None:
        self._judge = PhraseJudge(
            max_gap,
            min_phrase_logprob,
            per_token_logprob,
            min_margin,
            temperature,
            sentence_min_words,
            sentence_min_avg_logprob,
            sentence_max_compression,
        )
        self.low_confidence = low_confidence
        self.quiet_dbfs = quiet_dbfs
        self.min_contrast_db = min_contrast_db
        self.min_speech_s = min_speech_s
        self.min_speech_probability = min_speech_probability
        self.max_forms = max_forms
        self.expand_rounds = expand_rounds
        self.max_prefixes = max_prefixes
        self._lock = threading.Lock()
        self._prepared: dict[tuple[str, ...], PreparedPhrases] = {}
        self._runner = WhisperModelRunner(
            model_dir,
            cpu_threads=cpu_threads,
            compute_type=compute_type,
            margin_frames=margin_frames,
            min_frames=min_frames,
            free_tokens=free_tokens,
            free_tokens_per_s=free_tokens_per_s,
        )
        self.load_seconds = self._runner.load_seconds

    # -- vocabulary -------------------------------------------------------------------

    def _prepare(self, vocabulary: Vocabulary) -> PreparedPhrases:
        key = tuple(sorted(set(vocabulary.phrases)))
        cached = self._prepared.get(key)
        if cached is not None:
            return cached
        prepared = prepare_phrases(key, self._runner.tokens)
        if len(self._prepared) > 32:
            self._prepared.clear()
        self._prepared[key] = prepared
        return prepared

    def prepare(self, vocabulary: Vocabulary) -> None:
        """Tokenise ``vocabulary``'s phrases now (``recognize`` does it on first use)."""
        with self._lock:
            self._prepare(vocabulary)

    # -- decoding ---------------------------------------------------------------------

    def decide(
        self, audio: bytes, vocabulary: Vocabulary, *, check_silence: bool = True
    ) -> Decision:
        """Decode ``audio`` (16 kHz mono int16) against ``vocabulary`` and explain the result."""
        started = time.perf_counter()

        def result(
            text: str,
            conf: float,
            hyp: str,
            reason: str,
            phrase: str = "",
            phrase_lp: float = -math.inf,
            free_lp: float = -math.inf,
            scores: Mapping[str, float] | None = None,
        ) -> Decision:
            return Decision(
                text,
                conf,
                hyp,
                reason,
                phrase,
                phrase_lp,
                free_lp,
                time.perf_counter() - started,
                dict(scores or {}),
            )

        audio = audio[: len(audio) // 2 * 2]
        if len(audio) < 2 * SAMPLE_RATE * self.min_speech_s:
            return result("", 0.0, "", "too_short")
        if check_silence and is_silence(audio, self.quiet_dbfs, self.min_contrast_db):
            return result("", 0.0, "", "silence")
        runner = self._runner
        if check_silence and runner.speech_probability(audio) < self.min_speech_probability:
            return result("", 0.0, "", "no_speech")
        seconds = len(audio) / 2 / SAMPLE_RATE
        with self._lock:
            prepared = self._prepare(vocabulary)
            try:
                encoded = runner.encode(audio)
                free_tokens, steps = runner.free_decode(encoded, seconds)
                free_lp, free_avg = -math.inf, -math.inf
                if free_tokens:
                    cut, free_lp = runner.free_score(free_tokens, steps)
                    free_avg = free_lp / (cut + 1)
                    free_tokens = free_tokens[:cut]
                hypothesis = runner.text(free_tokens).strip()
                forms = self._worth_scoring(
                    vocabulary, prepared, encoded, free_tokens, steps, free_lp, hypothesis
                )
                totals = runner.form_scores(encoded, [f.tokens for f in forms]) if forms else []
            except (RuntimeError, ValueError) as exc:
                raise RecognizerError(f"The Whisper engine failed on this audio ({exc}).") from None
        phrase_scores: dict[str, float] = {}
        for form, total in zip(forms, totals, strict=False):
            if total > phrase_scores.get(form.phrase, -math.inf):
                phrase_scores[form.phrase] = total
        return self._judge.judge(
            vocabulary, prepared, hypothesis, free_lp, free_avg, phrase_scores, result
        )

    def _worth_scoring(
        self,
        vocabulary: Vocabulary,
        prepared: PreparedPhrases,
        encoded: object,
        free_tokens: list[int],
        steps: list[np.ndarray],
        free_lp: float,
        hypothesis: str,
    ) -> list[PhraseForm]:
        """The forms whose score could change the decision (see ``PrefixBounds``).

        Heard exactly a phrase: only phrases of another meaning scoring within
        ``min_margin`` of it matter (they make it ambiguous). Otherwise a form
        matters when it could be accepted (at least ``min_phrase_logprob``, at
        most ``max_gap`` below the free decode) or come within ``min_margin``
        of one that could. Shared first words are resolved first (one small
        batch per round), so " I am", " I do", " I have" ... do not crowd out
        " Not really.".
        """
        judge = self._judge
        meanings = vocabulary.meanings
        match = prepared.by_text.get(without_leading_fillers(canonical(hypothesis)))
        pool: Sequence[PhraseForm] = prepared.forms
        floor: float | np.ndarray
        if match is not None:
            meaning = meanings.get(match, match)
            pool = [f for f in pool if meanings.get(f.phrase, f.phrase) != meaning]
            floor = free_lp - judge.min_margin
        else:
            lowest = [judge.phrase_floor(prepared.length[f.phrase]) for f in pool]
            floor = np.maximum(lowest, free_lp - judge.max_gap) - judge.min_margin
        bounds = PrefixBounds(free_tokens, steps, self._runner.endings)
        for _ in range(self.expand_rounds):
            shared = bounds.crowded(pool, floor, self.max_forms, self.max_prefixes)
            if not shared:
                break
            bounds.learn(shared, self._runner.distributions_after(encoded, shared))
        return bounds.candidates(pool, floor, self.max_forms)

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        """One of ``vocabulary.phrases`` (or, with ``sentences``, a sentence), or "" ."""
        return self.transcript(self.decide(audio, vocabulary))

    def transcript(self, decision: Decision) -> Transcript:
        """``decision`` for the dialog, with this engine's verdict on its confidence.

        Nothing heard is nothing to read back: an empty transcript is ``sure``.
        """
        confidence = round(decision.confidence, 4)
        sure = not decision.text or confidence >= self.low_confidence
        return Transcript(decision.text, confidence, "audio", sure)
