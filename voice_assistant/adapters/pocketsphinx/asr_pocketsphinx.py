"""The embedded recogniser: pocketsphinx 5 (its en-us model ships in the wheel) with rejection.

Why not a plain grammar: a JSGF grammar has no garbage model, so any speech comes
back as the nearest listed phrase (measured: only ~45 % of out-of-vocabulary
words rejected). Per-frame likelihood ratios against a phone loop (allphone or
keyword-spotting scores) and CI-phone garbage loops were tried and separated
answers from other words poorly on real recordings (see bench/README.md).

What we do instead: each vocabulary is compiled into a small bigram language
model whose sentences are the listed phrases (together ``phrase_prior`` of the
probability) *or* any sequence of about 1,500 frequent English words (the
rest). The frequent words are a generic, word-level garbage model, the same
idea as vosk's ``[unk]``: "marvin" or "banana" decodes as some other English
word sequence instead of being forced onto "no". The audio is accepted only
when the decoder's best sentence is exactly one listed phrase; its lattice
posterior gives the confidence. Words of the vocabulary and words that sound
exactly like them ("know" for "no") are kept out of the background list.
Near-silent audio is rejected before decoding.

The decoder is created once (0.2-0.5 s) and reused; each vocabulary's search
is compiled once and cached (least recently used are dropped past
``MAX_SEARCHES``). Decoding is serialised with a lock.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voice_assistant.adapters.audio.wav import SAMPLE_RATE, frame_levels, is_silence
from voice_assistant.adapters.pocketsphinx.pocketsphinx_lm import (
    add_language_model,
    arpa_text,
    background_words,
)
from voice_assistant.errors import RecognizerError
from voice_assistant.events import Transcript, Vocabulary

log = logging.getLogger(__name__)

MAX_SEARCHES = 24  # compiled vocabularies kept (a dialog uses a handful)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


@dataclass(frozen=True)
class Decision:
    """The full story of one decode (the bench and tests read it; the dialog needs less)."""

    text: str  # the phrase heard, "" when rejected
    confidence: float
    hypothesis: str  # what the decoder's best sentence was ("" = nothing)
    posterior: float  # lattice posterior of that sentence (0..1)
    reason: str  # accepted | silence | too_short | no_phrases | not_a_phrase | low_posterior
    #              | unexplained_speech
    seconds: float  # decode time


@dataclass(frozen=True)
class _Search:
    name: str
    phrases: dict[str, str]  # spoken words ("i don't know") -> the caller's phrase


def normalise(phrase: str) -> str:
    """Lower-case words only: what the decoder can output for ``phrase``."""
    return " ".join(_WORD.findall(phrase.lower().replace("\u2019", "'")))


def unexplained_speech_s(
    audio: bytes, segments: Sequence[tuple[str, int, int]], margin_db: float = 20.0
) -> float:
    """Seconds of loud audio the decoder put in silence or noise, not in a word.

    ``segments`` are (word, first frame, last frame) with 10 ms frames; "<sil>",
    "<s>", "</s>", "[NOISE]" and the like are not words. Loud = within
    ``margin_db`` of the clip's loudest frame.
    """
    levels = frame_levels(audio)
    in_word = np.zeros(levels.size, dtype=bool)
    for word, first, last in segments:
        if word[:1] not in ("<", "[", "+"):
            in_word[max(0, first) : last + 1] = True
    loud = levels > levels.max() - margin_db
    return float(np.count_nonzero(loud & ~in_word)) * 0.01


class PocketsphinxRecognizer:
    """pocketsphinx with a compiled "phrases or other English" model per vocabulary.

    Settings (defaults chosen on the "tune" half of the speech-commands speakers,
    then checked on the held-out half, on generated noise and on espeak voices;
    bench/recognition.py prints all of it):

    ``phrase_prior``     share of the model given to the phrases. 0.5: on the tune
                         half (without the check below) every yes/no/stop clip was
                         heard and 90 % of other words rejected; 0.8 accepts more
                         answers but lets ~14 % of other words through.
    ``min_posterior``    a phrase whose lattice posterior is below this is
                         rejected (0.03 drops ~10 % of wrong acceptances for
                         ~1 % of right ones).
    ``low_confidence``   confidences below this (0.75, i.e. posterior < 0.1: about
                         1 in 2 of those were wrong on held-out speakers) should be
                         confirmed before a safety-relevant answer is used.
    ``quiet_dbfs``, ``min_contrast_db``: the silence check before decoding
                         (loudest 30 ms below -60 dBFS, or less than 6 dB above the
                         clip's own floor; the quietest real clip has 7 dB).
    ``max_unexplained_s``: reject when more than this much loud audio (within 20 dB
                         of the clip's peak) was decoded as silence around the
                         phrase ("elephant" heard as "<silence> quit"); 0.2 s keeps
                         99 % of right answers and removes ~19 % of wrong ones.
    ``comfort_noise_dbfs``: faint fixed noise added before decoding (see
                         ``_with_noise_floor``); None turns it off.
    ``background`` / ``background_size``: the competitor word list.
    ``decoder_options``  extra pocketsphinx settings (experiments only).
    """

    name = "pocketsphinx"

    def __init__(
        self,
        *,
        phrase_prior: float = 0.5,
        min_posterior: float = 0.03,
        low_confidence: float = 0.75,
        quiet_dbfs: float = -60.0,
        min_contrast_db: float = 6.0,
        background_size: int = 1500,
        background: Sequence[str] | None = None,
        min_speech_s: float = 0.1,
        max_unexplained_s: float = 0.2,
        comfort_noise_dbfs: float | None = -60.0,
        model_dir: Path | None = None,
        decoder_options: dict[str, Any] | None = None,
    ) -> None:
        self.phrase_prior = phrase_prior
        self.min_posterior = min_posterior
        self.low_confidence = low_confidence
        self.quiet_dbfs = quiet_dbfs
        self.min_contrast_db = min_contrast_db
        self.min_speech_s = min_speech_s
        self.max_unexplained_s = max_unexplained_s
        self.comfort_noise_dbfs = comfort_noise_dbfs
        words = background_words() if background is None else list(background)
        self._background = words[:background_size]
        self._lock = threading.Lock()
        self._searches: OrderedDict[tuple[str, ...], _Search] = OrderedDict()
        self._counter = 0
        self._warned: set[str] = set()
        self._decoder = self._open_decoder(model_dir, decoder_options or {})

    # -- set-up -------------------------------------------------------------------------

    @staticmethod
    def _open_decoder(model_dir: Path | None, extra: dict[str, Any]) -> Any:
        try:
            import pocketsphinx
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise RecognizerError(
                f"The pocketsphinx speech engine is not installed ({exc}). "
                "Reinstall heat-or-ice, or run: pip install 'pocketsphinx>=5,<6'."
            ) from None
        options: dict[str, Any] = {"lm": None, "loglevel": "FATAL", **extra}
        if model_dir is not None:
            options["hmm"] = str(model_dir)
        try:
            return pocketsphinx.Decoder(**options)
        except (RuntimeError, ValueError, OSError) as exc:
            raise RecognizerError(
                f"The pocketsphinx speech engine could not start ({exc}). "
                "Reinstall heat-or-ice (its English model ships with pocketsphinx)."
            ) from None

    def warm_up(self) -> None:
        """Compile a small vocabulary and decode a little noise, so the first answer is fast."""
        noise = np.random.default_rng(0).normal(0, 30, SAMPLE_RATE // 2).astype(np.int16)
        self.decide(noise.tobytes(), Vocabulary(("yes", "no")), check_silence=False)

    def known(self, word: str) -> bool:
        """Is ``word`` in the pronunciation dictionary?"""
        return self._decoder.lookup_word(word) is not None

    def _pronunciations(self, word: str) -> list[str]:
        found: list[str] = []
        variant = 1
        while True:
            key = word if variant == 1 else f"{word}({variant})"
            pron = self._decoder.lookup_word(key)
            if pron is None:
                return found
            found.append(pron)
            variant += 1

    def _usable(self, phrases: Iterable[str]) -> dict[str, str]:
        """Spoken form -> phrase, leaving out (with a warning) phrases with unknown words."""
        usable: dict[str, str] = {}
        for phrase in phrases:
            spoken = normalise(phrase)
            missing = [w for w in spoken.split() if not self.known(w)]
            if not spoken or missing:
                if phrase not in self._warned:
                    self._warned.add(phrase)
                    log.warning(
                        "phrase %r cannot be recognised by voice: %s",
                        phrase,
                        f"{', '.join(missing)} not in the pronunciation dictionary"
                        if missing
                        else "no words",
                    )
                continue
            usable.setdefault(spoken, phrase)
        return usable

    def _search_for(self, vocabulary: Vocabulary) -> _Search | None:
        key = tuple(sorted(set(vocabulary.phrases)))
        cached = self._searches.get(key)
        if cached is not None:
            self._searches.move_to_end(key)
            return cached
        usable = self._usable(key)
        if not usable:
            return None
        words = {w for spoken in usable for w in spoken.split()}
        sounds = {p for w in words for p in self._pronunciations(w)}
        background = [
            w
            for w in self._background
            if w not in words and not sounds.intersection(self._pronunciations(w))
        ]
        text = arpa_text([s.split() for s in usable], background, self.phrase_prior)
        self._counter += 1
        name = f"vocabulary{self._counter}"
        add_language_model(self._decoder, name, text)
        search = _Search(name, usable)
        self._searches[key] = search
        while len(self._searches) > MAX_SEARCHES:
            _, old = self._searches.popitem(last=False)
            self._decoder.remove_search(old.name)
        return search

    @property
    def compiled_vocabularies(self) -> int:
        """How many vocabularies are compiled and cached right now."""
        return len(self._searches)

    def prepare(self, vocabulary: Vocabulary) -> None:
        """Compile ``vocabulary`` now (optional: ``recognize`` does it on first use)."""
        with self._lock:
            self._search_for(vocabulary)

    # -- decoding -----------------------------------------------------------------------

    def confidence(self, posterior: float) -> float:
        """Posterior -> probability the phrase is right (fitted on held-out speakers)."""
        odds = 30.0 * max(0.0, posterior)
        return odds / (1.0 + odds)

    def decide(
        self, audio: bytes, vocabulary: Vocabulary, *, check_silence: bool = True
    ) -> Decision:
        """Decode ``audio`` (16 kHz mono int16) against ``vocabulary`` and explain the result."""
        started = time.perf_counter()

        def result(text: str, conf: float, hyp: str, post: float, reason: str) -> Decision:
            return Decision(text, conf, hyp, post, reason, time.perf_counter() - started)

        audio = audio[: len(audio) // 2 * 2]
        if len(audio) < 2 * SAMPLE_RATE * self.min_speech_s:
            return result("", 0.0, "", 0.0, "too_short")
        if check_silence and is_silence(audio, self.quiet_dbfs, self.min_contrast_db):
            return result("", 0.0, "", 0.0, "silence")
        audio = self._with_noise_floor(audio)
        with self._lock:
            search = self._search_for(vocabulary)
            if search is None:
                return result("", 0.0, "", 0.0, "no_phrases")
            decoder = self._decoder
            try:
                decoder.activate_search(search.name)
                decoder.start_utt()
                decoder.process_raw(audio, full_utt=True)
                decoder.end_utt()
                hyp = decoder.hyp()
                segments = [(s.word, s.start_frame, s.end_frame) for s in decoder.seg() or ()]
            except RuntimeError as exc:
                raise RecognizerError(f"The speech engine failed on this audio ({exc}).") from None
        if hyp is None or not hyp.hypstr.strip():
            return result("", 0.0, "", 0.0, "not_a_phrase")
        spoken = " ".join(hyp.hypstr.split())
        posterior = min(1.0, max(0.0, float(hyp.prob)))
        phrase = search.phrases.get(spoken)
        if phrase is None:
            return result("", 0.0, spoken, posterior, "not_a_phrase")
        if posterior < self.min_posterior:
            return result("", self.confidence(posterior), spoken, posterior, "low_posterior")
        if unexplained_speech_s(audio, segments) > self.max_unexplained_s:
            return result("", self.confidence(posterior), spoken, posterior, "unexplained_speech")
        return result(phrase, self.confidence(posterior), spoken, posterior, "accepted")

    def _with_noise_floor(self, audio: bytes) -> bytes:
        """Add faint fixed noise (like any microphone's) so digital silence can't skew features.

        Synthetic speech and zero-padded clips contain exact zeros; the
        feature normalisation then sees "infinitely quiet" frames and the
        words are recognised far worse (espeak: 23 % -> 67 % right with it).
        Real recordings are already noisier than this, so it changes nothing
        for them. The noise is the same every time: results are repeatable.
        """
        if self.comfort_noise_dbfs is None:
            return audio
        sigma = 32768.0 * 10 ** (self.comfort_noise_dbfs / 20)
        samples = np.frombuffer(audio, dtype="<i2").astype(np.float64)
        samples += np.random.default_rng(1234).normal(0.0, sigma, samples.size)
        return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        """One of ``vocabulary.phrases`` exactly, or "" for silence and anything else."""
        return self.transcript(self.decide(audio, vocabulary))

    def transcript(self, decision: Decision) -> Transcript:
        """``decision`` for the dialog, with this engine's verdict on its confidence.

        Nothing heard is nothing to read back: an empty transcript is ``sure``.
        """
        confidence = round(decision.confidence, 4)
        sure = not decision.text or confidence >= self.low_confidence
        return Transcript(decision.text, confidence, "audio", sure)
