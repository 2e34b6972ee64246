"""The natural voice: Piper (neural TTS) in a worker process, played like the espeak voice.

* **Own process.** ``piper_client.PiperWorker`` runs Piper in a separate process (GPL-3.0,
  onnxruntime), so nothing of it is imported into the assistant's process.
* **Sentence by sentence.** The worker sends each sentence as soon as it is made, and
  ``PiperSpeaker.say`` plays it while the next one is being made: the first sound comes
  after one sentence, not after the whole reply.
* **Same output path as espeak.** PCM is resampled to 22 050 Hz and scaled by ``volume``,
  then played through the same ``Player`` (so ``say`` returns when playback has *ended*,
  which the half-duplex microphone needs) and saved with ``save_dir`` like
  ``Pyttsx3Speaker``.
* **Phrase cache.** ``phrase_cache.PhraseCache`` stores a text the second time it is said,
  in this run or any earlier one, or the first time when it is listed in ``fixed``:
  countdowns and "time's up" then cost nothing.

The speaking rate (words per minute, like espeak's) becomes Piper's ``length_scale``.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path

import numpy as np

from voice_assistant.adapters.audio.earcons import earcon
from voice_assistant.adapters.audio.playback import NullPlayer, Player, SoundDevicePlayer
from voice_assistant.adapters.audio.saved_speech import (
    first_free_number,
    number_of,
    save_speech,
)
from voice_assistant.adapters.espeak.tts_pyttsx3 import DEFAULT_RATE, write_wav
from voice_assistant.adapters.piper.phrase_cache import SAMPLE_RATE, PhraseCache, default_cache_dir
from voice_assistant.adapters.piper.piper_client import PiperVoiceFiles, PiperWorker, find_voice
from voice_assistant.errors import ConfigError

RATE_RANGE = (80, 300)
NATURAL_WPM = 190.0
"""Words per minute of the joe voice at length_scale 1.0 (measured on dialogs/ sentences)."""
SENTENCE_GAP_S = 0.2
"""Silence put between sentences (Piper returns each sentence without a pause after it)."""


def template_matcher(templates: Iterable[str]) -> Callable[[str], bool]:
    """True for a text that is one of ``templates`` with its {placeholders} filled in.

    For the session texts (dialogs/session.yaml): every timer announcement is then cached
    the first time it is said. Case is ignored (the first letter is capitalised when said).
    """
    patterns = []
    for template in templates:
        pieces = re.split(r"\{[a-z_]+\}", " ".join(template.split()))
        patterns.append(".+?".join(re.escape(piece) for piece in pieces))
    if not patterns:
        return lambda text: False
    combined = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    return lambda text: combined.fullmatch(" ".join(text.split())) is not None


def length_scale(rate: int) -> float:
    """Piper's phoneme length multiplier for ``rate`` words per minute (slower = larger)."""
    return round(NATURAL_WPM / float(rate), 3)


def resample(pcm: bytes, source_rate: int, target_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono PCM from ``source_rate`` to ``target_rate`` Hz (linear interpolation)."""
    if source_rate == target_rate or not pcm:
        return pcm
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    count = round(len(samples) * target_rate / source_rate)
    if count <= 0 or len(samples) < 2:
        return b""
    positions = np.arange(count) * (source_rate / target_rate)
    out = np.interp(positions, np.arange(len(samples)), samples)
    return bytes(np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes())


def scale_volume(pcm: bytes, volume: float) -> bytes:
    """16-bit PCM multiplied by ``volume`` (0..1)."""
    if volume >= 1.0 or not pcm:
        return pcm
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    return bytes(np.rint(samples * volume).astype("<i2").tobytes())


def silence(seconds: float, rate: int = SAMPLE_RATE) -> bytes:
    return bytes(2 * round(seconds * rate))


class PiperSpeaker:
    """ports.Speaker with the Piper voice; ``say`` returns after playback has ended.

    ``fixed`` lists texts (or is a test, e.g. ``template_matcher``) to cache the first time
    they are said, such as timer announcements; everything else is cached the second time.
    ``check=True`` starts the worker and checks the speaker at construction, so the app can
    fall back before the first question.
    """

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        *,
        rate: int = DEFAULT_RATE,
        volume: float = 1.0,
        voice: str | None = None,
        output_device: str | int | None = None,
        player: Player | None = None,
        save_dir: Path | None = None,
        worker: PiperWorker | None = None,
        cache: PhraseCache | None = None,
        fixed: Collection[str] | Callable[[str], bool] = (),
        check: bool = True,
    ) -> None:
        if not RATE_RANGE[0] <= int(rate) <= RATE_RANGE[1]:
            raise ConfigError(
                f"The speaking rate {rate} is out of range: use {RATE_RANGE[0]} to "
                f"{RATE_RANGE[1]} words per minute (default {DEFAULT_RATE})."
            )
        if not 0.0 <= float(volume) <= 1.0:
            raise ConfigError(f"The volume {volume} is out of range: use 0.0 to 1.0.")
        self.rate = int(rate)
        self.volume = float(volume)
        if worker is None:
            self.voice_files: PiperVoiceFiles | None = find_voice(voice)
            worker = PiperWorker(self.voice_files)
        else:
            self.voice_files = None
        self.worker = worker
        self.voice_name = self.voice_files.name if self.voice_files else "piper"
        self._voice_identity = (
            self.voice_files.identity() if self.voice_files else " ".join(worker.command)
        )
        self.player: Player = player if player is not None else SoundDevicePlayer(output_device)
        self.cache = cache if cache is not None else PhraseCache(default_cache_dir())
        if callable(fixed):
            self._fixed: Callable[[str], bool] = fixed
        else:
            listed = frozenset(" ".join(text.split()) for text in fixed)
            self._fixed = listed.__contains__
        self.save_dir = Path(save_dir) if save_dir is not None else None
        self.recorded: list[tuple[str, Path]] = []
        self.last_playback_end: float | None = None
        self._recent: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._next_number = first_free_number(self.save_dir)
        if check:
            self.check()

    def check(self) -> None:
        """Start the worker and check the speaker; raise in words."""
        self.worker.start()
        self.player.check()

    def close(self) -> None:
        self.worker.close()

    def say(self, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        with self._lock:
            key = self.cache.key(text, self._voice_identity, self.rate, self.volume)
            stored = self._lookup(key)
            if stored is not None:
                self._save(text, stored)
                self.last_playback_end = self.player.play(stored, SAMPLE_RATE)
                return
            parts: list[bytes] = []
            for chunk in self._chunks(text):
                parts.append(chunk)
                self.last_playback_end = self.player.play(chunk, SAMPLE_RATE)
            pcm = b"".join(parts)
            self._save(text, pcm)
            self._remember(text, key, pcm)

    def chime(self, kind: str = "times_up") -> None:
        """Play an earcon: "times_up" (default), "listening" or "error"."""
        pcm = earcon(kind, SAMPLE_RATE)
        with self._lock:
            self._save(f"[chime: {kind}]", pcm)
            self.last_playback_end = self.player.play(pcm, SAMPLE_RATE)

    def render(self, text: str) -> bytes:
        """The PCM (22 050 Hz mono int16) ``say(text)`` would play (cache used and filled)."""
        text = " ".join(text.split())
        with self._lock:
            key = self.cache.key(text, self._voice_identity, self.rate, self.volume)
            stored = self._lookup(key)
            if stored is not None:
                return stored
            pcm = b"".join(self._chunks(text))
            self._remember(text, key, pcm)
            return pcm

    def render_to_wav(self, text: str, path: Path) -> Path:
        """Write what ``say(text)`` would play to ``path`` (nothing is played)."""
        return write_wav(Path(path), self.render(text), SAMPLE_RATE)

    def prewarm(self, texts: Collection[str]) -> int:
        """Render and store ``texts`` now (e.g. timer lines at start-up); return how many."""
        made = 0
        for text in texts:
            text = " ".join(text.split())
            if not text:
                continue
            key = self.cache.key(text, self._voice_identity, self.rate, self.volume)
            with self._lock:
                if self.cache.get(key) is not None:
                    continue
                self.cache.put(key, b"".join(self._chunks(text)))
            made += 1
        return made

    def _chunks(self, text: str) -> Iterator[bytes]:
        """Sentences as 22 050 Hz PCM with ``volume`` applied, a short pause before each
        sentence after the first."""
        source_rate = self.worker.start()
        first = True
        for chunk in self.worker.synthesize(text, length_scale(self.rate)):
            pcm = scale_volume(resample(chunk, source_rate), self.volume)
            if not first:
                pcm = silence(SENTENCE_GAP_S) + pcm
            first = False
            yield pcm

    def _lookup(self, key: str) -> bytes | None:
        if key in self._recent:
            self._recent.move_to_end(key)
            pcm = self._recent[key]
            if not self.cache.has(key):  # said twice now: keep it for later runs
                self.cache.put(key, pcm)
            return pcm
        return self.cache.get(key)

    def _remember(self, text: str, key: str, pcm: bytes) -> None:
        if not pcm:
            return
        if self._fixed(text) or self.cache.seen_before(key):
            self.cache.put(key, pcm)
        self._recent[key] = pcm
        while len(self._recent) > 32:
            self._recent.popitem(last=False)

    def _save(self, text: str, pcm: bytes) -> None:
        if self.save_dir is None:
            return
        path = save_speech(self.save_dir, self._next_number, text, pcm, SAMPLE_RATE)
        self._next_number = number_of(path) + 1
        self.recorded.append((text, path))


def piper_file_speaker(
    folder: Path,
    *,
    rate: int = DEFAULT_RATE,
    volume: float = 1.0,
    voice: str | None = None,
    worker: PiperWorker | None = None,
    cache: PhraseCache | None = None,
) -> PiperSpeaker:
    """Like ``WavRecordingSpeaker``: every utterance to numbered WAVs in ``folder``, no sound."""
    return PiperSpeaker(
        rate=rate,
        volume=volume,
        voice=voice,
        player=NullPlayer(),
        save_dir=Path(folder),
        worker=worker,
        cache=cache,
    )
