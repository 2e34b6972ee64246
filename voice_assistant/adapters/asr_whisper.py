"""Whisper tiny.en (faster-whisper / CTranslate2, int8) with a closed vocabulary and rejection.

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
   Only forms whose first token is plausible are scored (``max_forms``).
5. The best phrase is accepted when the free decode *is* that phrase (same
   words after normalising case, punctuation, digits and contractions), or when
   its score is at most ``max_gap`` nats below the free decode's (a likelihood
   ratio: "one of the phrases" against "whatever was said") and above
   ``min_phrase_logprob`` (a garbage free decode must not make a poor phrase
   look good). Otherwise the audio is not understood ("marvin" -> "", not "no").
   Also not understood: a phrase of another meaning scoring within
   ``min_margin`` of the best ("Yes, today" for "yesterday").
6. A free decode that contains the phrase and two or more words more ("no but
   I've wet the bed") is never shortened to the phrase. If it is a confident sentence and
   ``Vocabulary.sentences`` is set, it is returned (lower case, no punctuation)
   for the dialog's safety-first understanding; otherwise the audio is not
   understood.

Confidence is a softmax over the phrase scores and the free decode's score
(``temperature`` > 1 flattens it): the share of the probability the accepted
phrase has among everything the model could have heard.
"""

from __future__ import annotations

import gzip
import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voice_assistant.adapters.asr_pocketsphinx import is_silence
from voice_assistant.adapters.wav import SAMPLE_RATE
from voice_assistant.errors import RecognizerError
from voice_assistant.events import Transcript, Vocabulary

HOP = 160  # samples per mel frame (10 ms)
MAX_FRAMES = 3000  # Whisper's 30 s window
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


def _log_softmax(logits: Any) -> np.ndarray:
    values = np.asarray(logits, dtype=np.float32)
    top = float(values.max())
    result: np.ndarray = values - (top + math.log(float(np.exp(values - top).sum())))
    return result


@dataclass(frozen=True)
class _Form:
    phrase: str
    tokens: tuple[int, ...]  # the form's tokens, its final "." included


@dataclass(frozen=True)
class _Scored:
    picks: tuple[float, ...]  # log-probability of each token, teacher-forced
    ends: tuple[float, ...]  # log-probability of end of text after 0, 1, ... n tokens
    before_last: np.ndarray  # log-probabilities of every token before the last one
    after: np.ndarray  # ... and after the last one


@dataclass(frozen=True)
class _Prepared:
    forms: tuple[_Form, ...]
    by_text: dict[str, str]  # canonical text -> the caller's phrase


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
    ``min_phrase_logprob`` ... and when it is at least this (nats, whole phrase).
                         Right answers heard only via the ratio scored -3.8 to
                         -5.8; "banana" taken for "no" -6.4 to -7.6.
    ``min_margin``       reject as ambiguous when a phrase of another meaning
                         (``Vocabulary.meanings``; else another phrase) scores
                         within this many nats of the best. 1.5: on espeak it
                         removed all 4 answers taken for another meaning
                         ("yesterday" -> "today") for 6 of 370 right ones; on
                         real speech it changed nothing.
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
    ``prune_nats``, ``max_forms``: surface forms whose first token is more than
                         ``prune_nats`` below the best first token are not
                         scored; at most ``max_forms`` are scored (each is a
                         decoder batch row: the main cost of a decode);
                         ``max_forms_matched`` when the free decode is exactly
                         a phrase (then only its rivals matter).
    ``margin_frames``, ``min_frames``: the encoder window (10 ms frames).
    ``free_tokens``, ``free_tokens_per_s``: the free decode's token budget.
                         On the tune half 10 forms and 10 + 4/s tokens gave the
                         same decisions as the defaults.
    """

    name = "whisper"

    def __init__(
        self,
        model_dir: Path | str,
        *,
        cpu_threads: int = 2,
        compute_type: str = "int8",
        max_gap: float = 2.0,
        min_phrase_logprob: float = -6.0,
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
        prune_nats: float = 6.0,
        max_forms: int = 8,
        max_forms_matched: int = 4,
    ) -> None:
        self.max_gap = max_gap
        self.min_phrase_logprob = min_phrase_logprob
        self.min_margin = min_margin
        self.temperature = temperature
        self.low_confidence = low_confidence
        self.sentence_min_words = sentence_min_words
        self.sentence_min_avg_logprob = sentence_min_avg_logprob
        self.sentence_max_compression = sentence_max_compression
        self.quiet_dbfs = quiet_dbfs
        self.min_contrast_db = min_contrast_db
        self.min_speech_s = min_speech_s
        self.min_speech_probability = min_speech_probability
        self.margin_frames = margin_frames
        self.min_frames = min_frames
        self.free_tokens = free_tokens
        self.free_tokens_per_s = free_tokens_per_s
        self.prune_nats = prune_nats
        self.max_forms = max_forms
        self.max_forms_matched = max_forms_matched
        self._lock = threading.Lock()
        self._prepared: dict[tuple[str, ...], _Prepared] = {}
        started = time.perf_counter()
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer

            self._model = WhisperModel(
                str(model_dir), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads
            )
            self._tokenizer = Tokenizer(
                self._model.hf_tokenizer, False, task="transcribe", language="en"
            )
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            raise RecognizerError(
                f"The Whisper model in {model_dir} could not be loaded ({exc}). "
                "Check the model folder or choose another engine."
            ) from None
        try:
            from faster_whisper.vad import get_vad_model

            self._vad = get_vad_model()
        except (ImportError, OSError, RuntimeError) as exc:
            raise RecognizerError(
                f"The speech detector shipped with faster-whisper could not be loaded ({exc})."
            ) from None
        self.load_seconds = time.perf_counter() - started
        self._prompt = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        self._eot = int(self._tokenizer.eot)
        self._stop, self._question, self._bang = (
            int(self._tokenizer.encode(mark)[0]) for mark in (".", "?", "!")
        )

    def speech_probability(self, audio: bytes) -> float:
        """Highest speech probability of any 32 ms window (faster-whisper's Silero VAD)."""
        samples = np.frombuffer(audio[: len(audio) // 2 * 2], dtype="<i2").astype(np.float32)
        samples = np.pad(samples / 32768.0, (0, 512 - samples.size % 512))
        return float(np.max(self._vad(samples)))

    # -- vocabulary -------------------------------------------------------------------

    def _prepare(self, vocabulary: Vocabulary) -> _Prepared:
        key = tuple(sorted(set(vocabulary.phrases)))
        cached = self._prepared.get(key)
        if cached is not None:
            return cached
        forms: list[_Form] = []
        by_text: dict[str, str] = {}
        for phrase in key:
            spoken = canonical(phrase)
            if not spoken:
                continue
            by_text.setdefault(spoken, phrase)
            for form in surface_forms(phrase):
                tokens = tuple(self._tokenizer.encode(form))
                forms.append(_Form(phrase, tokens))
        prepared = _Prepared(tuple(forms), by_text)
        if len(self._prepared) > 32:
            self._prepared.clear()
        self._prepared[key] = prepared
        return prepared

    def prepare(self, vocabulary: Vocabulary) -> None:
        """Tokenise ``vocabulary``'s phrases now (``recognize`` does it on first use)."""
        with self._lock:
            self._prepare(vocabulary)

    # -- model calls ------------------------------------------------------------------

    def _encode(self, audio: bytes) -> Any:
        samples = np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768.0
        frames = len(samples) // HOP
        window = min(
            MAX_FRAMES,
            max(self.min_frames, -(-(frames + self.margin_frames) // 100) * 100),
        )
        padded = np.zeros(window * HOP, dtype=np.float32)
        used = min(len(samples), padded.size)
        padded[:used] = samples[:used]
        mel = self._model.feature_extractor(padded, padding=0)[:, :window]
        import ctranslate2

        features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None]))
        return self._model.model.encode(features, to_cpu=True)

    def _free_decode(self, encoded: Any, seconds: float) -> tuple[list[int], list[np.ndarray]]:
        """Greedy decode: its tokens and the log-probabilities at each step.

        There is one more step than tokens when the decode ended by itself (the
        end-of-text step), as many when ``max_length`` cut it (often a loop).
        """
        # CTranslate2 counts max_length so that 2n + 2 allows n tokens here (measured).
        wanted = int(min(60, self.free_tokens + self.free_tokens_per_s * seconds))
        result = self._model.model.generate(
            encoded,
            [self._prompt],
            beam_size=1,
            max_length=2 * wanted + 2,
            return_logits_vocab=True,
        )[0]
        tokens = [int(t) for t in result.sequences_ids[0] if int(t) < self._eot]
        return tokens, [_log_softmax(step) for step in result.logits[0]]

    def _free_score(self, tokens: list[int], steps: list[np.ndarray]) -> tuple[int, float]:
        """How many of the free decode's tokens to keep, and their log-probability with the end.

        A decode that ended keeps everything. One cut by ``max_length`` is
        usually a loop ("Stop. Stop. Stop", "Marvin Marvin Marvin"): it is cut
        after its first sentence, or after the first period of a repeated word
        pattern, else kept whole; the end of text is then scored where it was cut.
        """
        usable = tokens[: len(steps)]
        picks = [float(steps[k][t]) for k, t in enumerate(usable)]
        if len(steps) > len(tokens):
            return len(tokens), sum(picks) + float(steps[len(tokens)][self._eot])
        cut = self._loop_cut(usable)
        end = float(steps[cut][self._eot]) if cut < len(steps) else 0.0
        return cut, sum(picks[:cut]) + end

    def _loop_cut(self, tokens: list[int]) -> int:
        """Tokens to keep of an unfinished decode: the first sentence, or one loop period."""
        for k in range(1, len(tokens)):
            if self._tokenizer.decode(tokens[:k]).rstrip().endswith((".", "?", "!")):
                return k
        words = words_of(self._tokenizer.decode(tokens))
        for start in range(3):  # "and stop, stop, stop": a word or two, then the loop
            rest = words[start:]
            if len(rest) > 2 and len(tokens) > 1:
                rest = rest[:-1]  # the last word may be cut short ("Pause Pause P")
            for period in range(1, len(rest) // 2 + 1):
                if all(rest[i] == rest[i + period] for i in range(len(rest) - period)):
                    kept = " ".join(words[: start + period])
                    for k in range(1, len(tokens) + 1):
                        if " ".join(words_of(self._tokenizer.decode(tokens[:k]))) == kept:
                            return k
        return len(tokens)

    def _score(self, encoded: Any, sequences: Sequence[tuple[int, ...]]) -> list[_Scored]:
        """Teacher-forced log-probabilities of each sequence's tokens and of what may follow.

        One batch: shorter sequences are padded (the decoder is causal, so the
        padding does not change the distributions read before it). CTranslate2
        returns the distribution at every prefix position when ``max_length`` is
        at least 2n + 2 (measured).
        """
        import ctranslate2

        if not sequences:
            return []
        longest = max(len(seq) for seq in sequences)
        enc = np.asarray(encoded)
        batch = ctranslate2.StorageView.from_array(
            np.ascontiguousarray(np.repeat(enc, len(sequences), axis=0))
        )
        prompts = [
            self._prompt + list(seq) + [self._stop] * (longest - len(seq)) for seq in sequences
        ]
        results = self._model.model.generate(
            batch,
            prompts,
            beam_size=1,
            max_length=2 * longest + 2,
            return_logits_vocab=True,
            suppress_blank=False,
        )
        out: list[_Scored] = []
        for seq, generated in zip(sequences, results, strict=True):
            steps = generated.logits[0]
            if len(steps) <= len(seq):
                raise RecognizerError("The Whisper engine returned too few scores.")
            dists = [_log_softmax(steps[k]) for k in range(len(seq) + 1)]
            picks = tuple(float(dists[k][t]) for k, t in enumerate(seq))
            ends = tuple(float(d[self._eot]) for d in dists)
            out.append(_Scored(picks, ends, dists[-2] if len(seq) else dists[-1], dists[-1]))
        return out

    def _ending(self, dist: np.ndarray) -> float:
        """Best way to end after a phrase: end of text, or "?"/"!" then (assumed) end."""
        return max(float(dist[self._eot]), float(dist[self._question]), float(dist[self._bang]))

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
        if check_silence and self.speech_probability(audio) < self.min_speech_probability:
            return result("", 0.0, "", "no_speech")
        seconds = len(audio) / 2 / SAMPLE_RATE
        with self._lock:
            prepared = self._prepare(vocabulary)
            try:
                encoded = self._encode(audio)
                free_tokens, steps = self._free_decode(encoded, seconds)
                free_lp, free_avg = -math.inf, -math.inf
                if free_tokens:
                    cut, free_lp = self._free_score(free_tokens, steps)
                    free_avg = free_lp / (cut + 1)
                    free_tokens = free_tokens[:cut]
                hypothesis = self._tokenizer.decode(free_tokens).strip()
                # Heard exactly a phrase: only its closest rivals need scoring.
                matched = hypothesis and canonical(hypothesis) in prepared.by_text
                limit = self.max_forms_matched if matched else self.max_forms
                candidates = self._candidates(prepared.forms, steps[0], limit)
                scored = self._score(encoded, [f.tokens for f in candidates])
            except (RuntimeError, ValueError) as exc:
                raise RecognizerError(f"The Whisper engine failed on this audio ({exc}).") from None
        phrase_scores: dict[str, float] = {}
        for form, row in zip(candidates, scored, strict=False):
            # A form is "<body>.": end after the body, or after the full stop.
            end = max(self._ending(row.before_last), row.picks[-1] + float(row.after[self._eot]))
            total = sum(row.picks[:-1]) + end
            if total > phrase_scores.get(form.phrase, -math.inf):
                phrase_scores[form.phrase] = total
        return self._judge(
            vocabulary, prepared, hypothesis, free_lp, free_avg, phrase_scores, result
        )

    def _candidates(self, forms: Sequence[_Form], first: np.ndarray, limit: int) -> list[_Form]:
        """The forms worth scoring: first token within ``prune_nats`` of the best one."""
        if not forms:
            return []
        firsts = np.asarray([first[f.tokens[0]] for f in forms])
        keep = np.flatnonzero(firsts >= firsts.max() - self.prune_nats)
        order = keep[np.argsort(-firsts[keep], kind="stable")][:limit]
        return [forms[i] for i in sorted(order)]

    def _judge(
        self,
        vocabulary: Vocabulary,
        prepared: _Prepared,
        hypothesis: str,
        free_lp: float,
        free_avg: float,
        phrase_scores: dict[str, float],
        result: Callable[..., Decision],
    ) -> Decision:
        match = prepared.by_text.get(canonical(hypothesis)) if hypothesis else None
        scores = dict(phrase_scores)
        if match is not None:
            scores[match] = max(scores.get(match, -math.inf), free_lp)
        best = match if match is not None else max(scores, key=scores.__getitem__, default="")
        best_lp = scores.get(best, -math.inf)
        args = (best, best_lp, free_lp, scores)
        # Whisper heard the phrase and more ("No but I have wet the bed."): never
        # shorten that to the phrase. ("in the industry" for "injury" is another
        # reading of the same sound: the scores judge that.)
        more = len(content_words(hypothesis)) > len(words_of(best)) + 1
        longer = more and contains(canonical(hypothesis), canonical(best))
        sentence = more and self._is_sentence(hypothesis, free_avg)
        if match is None and sentence and vocabulary.sentences:
            # "no but i've wet the bed": the whole sentence, never just "no".
            text = " ".join(words_of(hypothesis))
            return result(text, round(math.exp(free_avg), 4), hypothesis, "sentence", *args)
        if not scores:
            return result("", 0.0, hypothesis, "no_phrases", *args)
        others_lp = [] if match is not None or not hypothesis else [free_lp]
        confidence = self._confidence(vocabulary, best, scores, others_lp)
        if match is None and longer and sentence:
            return result("", confidence, hypothesis, "sentence_not_allowed", *args)
        if match is None and longer:
            # "Yes, it hurts a lot." heard unsurely: not "yes" either.
            return result("", confidence, hypothesis, "longer_than_phrase", *args)
        if match is None and not (
            best_lp >= free_lp - self.max_gap and best_lp >= self.min_phrase_logprob
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

    def _confidence(
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

    def _is_sentence(self, hypothesis: str, avg_logprob: float) -> bool:
        return (
            len(words_of(hypothesis)) >= self.sentence_min_words
            and avg_logprob >= self.sentence_min_avg_logprob
            and compression_ratio(hypothesis) <= self.sentence_max_compression
        )

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        """One of ``vocabulary.phrases`` (or, with ``sentences``, a sentence), or "" ."""
        decision = self.decide(audio, vocabulary)
        return Transcript(decision.text, round(decision.confidence, 4), "audio")

    def is_low_confidence(self, transcript: Transcript) -> bool:
        """Should this answer be confirmed before a safety-relevant use?"""
        return bool(transcript.text) and transcript.confidence < self.low_confidence
