"""Every call into Whisper tiny.en (faster-whisper / CTranslate2) and its speech detector.

The recogniser decides what was said; this runner only computes: the Silero VAD
speech probability, the encoder over a short window, the bounded free decode
(with the cut of a looping decode), and teacher-forced log-probabilities of
token sequences. Kept apart so the judging reads as judging, and so the
model-specific measurements (``max_length``, the window margin) live
next to the calls they are about.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voice_assistant.adapters.onnx_quiet import import_onnxruntime_quietly
from voice_assistant.adapters.whisper.whisper_text import words_of
from voice_assistant.errors import RecognizerError

HOP = 160  # samples per mel frame (10 ms)
MAX_FRAMES = 3000  # Whisper's 30 s window


def max_length(prompt_tokens: int, steps: int) -> int:
    """CTranslate2's ``max_length`` that gives ``steps`` distributions after ``prompt_tokens``.

    Measured on CTranslate2 4.x: a Whisper decode yields at most
    ``min(max_length // 2, max_length - prompt_tokens + 1)`` steps, forced
    tokens after the start included.
    """
    return max(2 * steps, prompt_tokens + steps - 1)


def _log_softmax(logits: Any) -> np.ndarray:
    values = np.asarray(logits, dtype=np.float32)
    top = float(values.max())
    result: np.ndarray = values - (top + math.log(float(np.exp(values - top).sum())))
    return result


@dataclass(frozen=True)
class _Scored:
    picks: tuple[float, ...]  # log-probability of each token, teacher-forced
    ends: tuple[float, ...]  # log-probability of end of text after 0, 1, ... n tokens
    before_last: np.ndarray  # log-probabilities of every token before the last one
    after: np.ndarray  # ... and after the last one


class WhisperModelRunner:
    """Whisper tiny.en, its tokenizer and Silero VAD, loaded once; not thread-safe.

    ``margin_frames``, ``min_frames``: the encoder window (10 ms frames);
    ``free_tokens``, ``free_tokens_per_s``: the free decode's token budget
    (see ``WhisperRecognizer``). The caller serialises calls.
    """

    def __init__(
        self,
        model_dir: Path | str,
        *,
        cpu_threads: int,
        compute_type: str,
        margin_frames: int,
        min_frames: int,
        free_tokens: int,
        free_tokens_per_s: float,
    ) -> None:
        self.margin_frames = margin_frames
        self.min_frames = min_frames
        self.free_tokens = free_tokens
        self.free_tokens_per_s = free_tokens_per_s
        started = time.perf_counter()
        try:
            import_onnxruntime_quietly()  # before faster-whisper: see onnx_quiet.py
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer

            self._model = WhisperModel(
                str(model_dir), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads
            )
            self.tokenizer = Tokenizer(
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
        self._prompt = [*self.tokenizer.sot_sequence, self.tokenizer.no_timestamps]
        self._eot = int(self.tokenizer.eot)
        self._stop, self._question, self._bang = (
            int(self.tokenizer.encode(mark)[0]) for mark in (".", "?", "!")
        )
        self.endings = (self._stop, self._question, self._bang, self._eot)
        """Ways a phrase's text may end (its scored forms end with ".")."""

    def tokens(self, text: str) -> tuple[int, ...]:
        """``text``'s tokens (no prompt, no end of text)."""
        return tuple(self.tokenizer.encode(text))

    def text(self, tokens: Sequence[int]) -> str:
        """The text of ``tokens``, as Whisper wrote it."""
        return str(self.tokenizer.decode(list(tokens)))

    def speech_probability(self, audio: bytes) -> float:
        """Highest speech probability of any 32 ms window (faster-whisper's Silero VAD)."""
        samples = np.frombuffer(audio[: len(audio) // 2 * 2], dtype="<i2").astype(np.float32)
        samples = np.pad(samples / 32768.0, (0, 512 - samples.size % 512))
        return float(np.max(self._vad(samples)))

    def encode(self, audio: bytes) -> Any:
        """The encoder's output for ``audio``, padded with silence to a short window."""
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

    def free_decode(self, encoded: Any, seconds: float) -> tuple[list[int], list[np.ndarray]]:
        """Greedy decode: its tokens and the log-probabilities at each step.

        There is one more step than tokens when the decode ended by itself (the
        end-of-text step), as many when ``max_length`` cut it (often a loop).
        """
        wanted = int(min(60, self.free_tokens + self.free_tokens_per_s * seconds))
        result = self._model.model.generate(
            encoded,
            [self._prompt],
            beam_size=1,
            max_length=max_length(len(self._prompt), wanted),
            return_logits_vocab=True,
        )[0]
        tokens = [int(t) for t in result.sequences_ids[0] if int(t) < self._eot]
        return tokens, [_log_softmax(step) for step in result.logits[0]]

    def free_score(self, tokens: list[int], steps: list[np.ndarray]) -> tuple[int, float]:
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
        cut = self.loop_cut(usable)
        end = float(steps[cut][self._eot]) if cut < len(steps) else 0.0
        return cut, sum(picks[:cut]) + end

    def loop_cut(self, tokens: list[int]) -> int:
        """Tokens to keep of an unfinished decode: the first sentence, or one loop period."""
        for k in range(1, len(tokens)):
            if self.tokenizer.decode(tokens[:k]).rstrip().endswith((".", "?", "!")):
                return k
        words = words_of(self.tokenizer.decode(tokens))
        for start in range(3):  # "and stop, stop, stop": a word or two, then the loop
            rest = words[start:]
            if len(rest) > 2 and len(tokens) > 1:
                rest = rest[:-1]  # the last word may be cut short ("Pause Pause P")
            for period in range(1, len(rest) // 2 + 1):
                if all(rest[i] == rest[i + period] for i in range(len(rest) - period)):
                    kept = " ".join(words[: start + period])
                    for k in range(1, len(tokens) + 1):
                        if " ".join(words_of(self.tokenizer.decode(tokens[:k]))) == kept:
                            return k
        return len(tokens)

    def form_scores(self, encoded: Any, forms: Sequence[tuple[int, ...]]) -> list[float]:
        """Log-probability of each "<body>." form: its body, then the best way to end.

        The text may end after the body (end of text, or "?"/"!"), or after the
        full stop; the better of the two counts.
        """
        totals: list[float] = []
        for row in self._score(encoded, forms):
            end = max(self._ending(row.before_last), row.picks[-1] + float(row.after[self._eot]))
            totals.append(sum(row.picks[:-1]) + end)
        return totals

    def distributions_after(
        self, encoded: Any, prefixes: Sequence[tuple[int, ...]]
    ) -> list[np.ndarray]:
        """The next-token log-probabilities after each of ``prefixes`` (one batch)."""
        return [row.after for row in self._score(encoded, prefixes)]

    def _score(self, encoded: Any, sequences: Sequence[tuple[int, ...]]) -> list[_Scored]:
        """Teacher-forced log-probabilities of each sequence's tokens and of what may follow.

        One batch: shorter sequences are padded (the decoder is causal, so the
        padding does not change the distributions read before it). CTranslate2
        returns the distribution at every forced position when ``max_length``
        allows them all (``max_length``, measured).
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
            max_length=max_length(len(self._prompt), longest + 1),
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
