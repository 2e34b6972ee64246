"""The embedded recogniser: pocketsphinx with a per-question grammar and real rejection.

A plain JSGF grammar has no garbage model: any speech comes back as the
nearest listed phrase. So every grammar also offers a set of common English
"competitor" words; speech that decodes as one of them (or as nothing, or that
is too quiet to be speech) is rejected as not understood.
"""

from __future__ import annotations

import logging
import math
import re
import threading

import numpy as np

from voice_assistant.errors import RecognizerError
from voice_assistant.events import Transcript, Vocabulary

log = logging.getLogger(__name__)

# Common short words that compete with the vocabulary. Words that are part of
# the current vocabulary are left out of the competitors automatically.
COMPETITORS = [
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
    "up",
    "down",
    "left",
    "right",
    "on",
    "off",
    "go",
    "bed",
    "bird",
    "cat",
    "dog",
    "house",
    "tree",
    "wow",
    "happy",
    "marvin",
    "sheila",
    "banana",
    "elephant",
    "water",
    "table",
    "window",
    "morning",
    "coffee",
    "music",
    "purple",
]
QUIET_DBFS = -50.0  # below this the utterance is treated as silence
MIN_SPEECH_S = 0.12


def _rms_dbfs(audio: bytes) -> float:
    samples = np.frombuffer(audio[: len(audio) // 2 * 2], dtype=np.int16).astype(np.float64)
    if samples.size == 0:
        return -120.0
    rms = math.sqrt(float(np.mean(samples**2))) / 32768.0
    return 20 * math.log10(rms) if rms > 0 else -120.0


class PocketsphinxRecognizer:
    """pocketsphinx 5 with a grammar per vocabulary (cached) and competitor-word rejection."""

    name = "pocketsphinx"
    low_confidence = 0.5

    def __init__(self) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:  # pragma: no cover - a dependency
            raise RecognizerError(
                f"The pocketsphinx speech engine is not installed ({exc}). "
                "Run `bash setup.sh run` again, or pip install 'pocketsphinx>=5,<6'."
            ) from None
        try:
            self._decoder = Decoder(lm=None, loglevel="FATAL")
        except Exception as exc:
            raise RecognizerError(
                f"The pocketsphinx speech engine could not start ({exc}). "
                "Reinstall heat-or-ice with `bash setup.sh run`."
            ) from None
        self._searches: dict[tuple[str, ...], tuple[str, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def known(self, word: str) -> bool:
        return self._decoder.lookup_word(word) is not None

    def _search_for(self, vocabulary: Vocabulary) -> tuple[str, dict[str, str]]:
        key = vocabulary.phrases
        if key in self._searches:
            return self._searches[key]
        spoken: dict[str, str] = {}  # grammar text -> phrase
        for phrase in vocabulary.phrases:
            words = re.sub(r"[^a-z' ]", " ", phrase.lower()).split()
            missing = [w for w in words if not self.known(w)]
            if not words or missing:
                if missing:
                    log.debug("phrase %r skipped: %s not in the dictionary", phrase, missing)
                continue
            spoken.setdefault(" ".join(words), phrase)
        if not spoken:
            raise RecognizerError("None of the expected answers can be recognised.")
        vocab_words = {w for text in spoken for w in text.split()}
        competitors = [w for w in COMPETITORS if w not in vocab_words and self.known(w)]
        answers = " | ".join(spoken)
        garbage = " | ".join(competitors)
        grammar = (
            "#JSGF V1.0;\ngrammar answers;\n"
            f"<answer> = {answers};\n<other> = {garbage};\n"
            "public <utterance> = <answer> | <other>;\n"
        )
        name = f"g{len(self._searches)}"
        self._decoder.add_jsgf_string(name, grammar)
        self._searches[key] = (name, spoken)
        return self._searches[key]

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        if len(audio) < 2 * 16000 * MIN_SPEECH_S or _rms_dbfs(audio) < QUIET_DBFS:
            return Transcript("", 0.0, "audio")
        with self._lock:
            name, spoken = self._search_for(vocabulary)
            decoder = self._decoder
            decoder.activate_search(name)
            decoder.start_utt()
            decoder.process_raw(audio, full_utt=True)
            decoder.end_utt()
            hyp = decoder.hyp()
        if hyp is None:
            return Transcript("", 0.0, "audio")
        text = " ".join(hyp.hypstr.split())
        confidence = max(0.0, min(1.0, math.exp(hyp.prob))) if hyp.prob <= 0 else 1.0
        phrase = spoken.get(text)
        if phrase is None:
            return Transcript("", confidence, "audio")
        return Transcript(phrase, confidence, "audio")
