"""Spoken replies: espeak-ng (through pyttsx3) renders to PCM, a Player plays it.

Why not ``engine.say()`` / ``save_to_file()`` + ``runAndWait()``: measured with
pyttsx3 2.99 here, pyttsx3 initialises espeak-ng in its *asynchronous*
retrieval mode and ``runAndWait()`` can return before the WAV exists (a long
sentence is written ~0.1 s later); back-to-back renders also lose property
changes (the next call's ``Cancel()`` drops the queued rate) or come out empty.
So pyttsx3 is used to start espeak-ng once per process (its init guard) and to
list voices, and each utterance is rendered through pyttsx3's own ctypes
binding of the espeak-ng C API: set voice, rate and volume, ``Synth``, wait for
the end-of-message event, ``Synchronize``. One worker thread does all of it,
so the engine is only ever driven from that thread, in order.

We play the PCM ourselves (``playback.py``), so ``say()`` returns when playback
has *ended*: the moment the microphone may listen again.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import queue
import threading
import wave
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from voice_assistant.adapters.audio.earcons import earcon
from voice_assistant.adapters.audio.playback import NullPlayer, Player, SoundDevicePlayer
from voice_assistant.adapters.audio.saved_speech import (
    first_free_number,
    number_of,
    save_speech,
)
from voice_assistant.errors import ConfigError, SpeakerError

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
"""Hz: espeak-ng's native output rate (mono, 16-bit)."""
RATE_RANGE = (80, 450)
"""Words per minute espeak-ng accepts."""
DEFAULT_RATE = 150
"""Words per minute: slower and clearer than espeak's 175 for people in pain."""
DEFAULT_VOICE_ID = "en"

INSTALL_ESPEAK = (
    "The text-to-speech engine espeak-ng is not available. Install it with "
    "`sudo apt-get install espeak-ng` (and `pip install pyttsx3`), or use --mute "
    "to have replies printed only."
)

T = TypeVar("T")


@dataclass(frozen=True)
class VoiceInfo:
    """An espeak-ng voice: ``id`` like "gmw/en-us", ``name`` like "English (America)"."""

    id: str
    name: str
    languages: tuple[str, ...] = ()

    @property
    def short_id(self) -> str:
        return self.id.rsplit("/", 1)[-1]

    @property
    def english(self) -> bool:
        return self.short_id.startswith("en") or self.name.lower().startswith("english")


def choose_voice(spec: str, voices: Sequence[VoiceInfo]) -> str:
    """The espeak voice id for a user's ``spec`` (id, name or part of either, "+variant" kept).

    Exact matches (id, short id like "en-us", name, language) win; otherwise
    English voices and shorter names come first among those containing ``spec``.
    """
    base, _, variant = spec.strip().partition("+")
    key = base.strip().lower()
    if not key:
        raise SpeakerError(_unknown_voice(spec, voices))

    def exact(v: VoiceInfo) -> bool:
        names = {
            v.id.lower(),
            v.short_id.lower(),
            v.name.lower(),
            *(x.lower() for x in v.languages),
        }
        return key in names

    matches = [v for v in voices if exact(v)]
    if not matches:
        matches = sorted(
            (v for v in voices if key in v.id.lower() or key in v.name.lower()),
            key=lambda v: (not v.english, len(v.name)),
        )
    if not matches:
        raise SpeakerError(_unknown_voice(spec, voices))
    return matches[0].id + (f"+{variant.strip()}" if variant.strip() else "")


def _unknown_voice(spec: str, voices: Sequence[VoiceInfo]) -> str:
    english = [v for v in voices if v.english][:8]
    listed = ", ".join(f"{v.short_id} ({v.name})" for v in english) or "none installed"
    return (
        f"There is no text-to-speech voice called '{spec}'. Some English voices: {listed}. "
        "Set --voice to one of these (add +f3 for a female variant, e.g. en-us+f3)."
    )


class _Worker:
    """One daemon thread running jobs in order, so a single thread owns the engine."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._jobs.put((job, future))
        return future

    def _run(self) -> None:
        while True:
            job, future = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as exc:
                future.set_exception(exc)


def _pyttsx3_engine() -> Any:
    import pyttsx3

    return pyttsx3.init("espeak")


class EspeakRenderer:
    """Renders text to 22 050 Hz mono int16 PCM with espeak-ng; thread-safe.

    espeak-ng is one global engine per process, so normally everyone shares
    ``default_renderer()``; tests make their own to inject a failing engine.
    """

    sample_rate = SAMPLE_RATE

    def __init__(
        self, engine_factory: Callable[[], Any] = _pyttsx3_engine, timeout_s: float = 20.0
    ) -> None:
        self._engine_factory = engine_factory
        self.timeout_s = timeout_s
        self._worker = _Worker("espeak-tts")
        self._engine: Any = None
        self._binding: Any = None
        self._failure: SpeakerError | None = None
        self._voices: list[VoiceInfo] | None = None

    def voices(self) -> list[VoiceInfo]:
        """All installed espeak-ng voices."""
        return self._call(self._list_voices, self.timeout_s)

    def voice_id(self, spec: str | None) -> str:
        """Resolve a user's voice setting; SpeakerError lists English voices if unknown."""
        if spec is None or not spec.strip():
            self._call(self._ensure, self.timeout_s)
            return DEFAULT_VOICE_ID
        return choose_voice(spec, self.voices())

    def render(self, text: str, *, rate: int, volume: float, voice_id: str) -> bytes:
        """PCM for ``text`` (may be empty only for empty text)."""
        timeout = self.timeout_s + len(text) / 50
        return self._call(lambda: self._render(text, rate, volume, voice_id, timeout), timeout)

    def _call(self, job: Callable[[], T], timeout: float) -> T:
        future = self._worker.submit(job)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            raise SpeakerError(
                "The text-to-speech engine stopped answering. Restart the assistant, or "
                "use --mute to have replies printed only."
            ) from None

    def _ensure(self) -> Any:
        if self._failure is not None:
            raise self._failure
        if self._binding is None:
            try:
                self._engine = self._engine_factory()
                from pyttsx3.drivers import _espeak

                self._binding = _espeak
            except Exception as exc:
                log.debug("espeak-ng start failed", exc_info=True)
                self._failure = SpeakerError(f"{INSTALL_ESPEAK} (detail: {exc})")
                raise self._failure from exc
        return self._binding

    def _list_voices(self) -> list[VoiceInfo]:
        self._ensure()
        if self._voices is None:
            found = []
            for voice in self._engine.getProperty("voices"):
                languages = tuple(str(x) for x in (getattr(voice, "languages", None) or ()))
                found.append(VoiceInfo(str(voice.id), str(voice.name), languages))
            self._voices = found
        return self._voices

    def _render(self, text: str, rate: int, volume: float, voice_id: str, timeout: float) -> bytes:
        es = self._ensure()
        chunks: list[bytes] = []
        done = threading.Event()

        def on_synth(wav: Any, numsamples: int, events: Any) -> int:
            # Runs on espeak's own thread; must never raise into C.
            try:
                if numsamples > 0 and wav:
                    chunks.append(ctypes.string_at(wav, numsamples * 2))
                i = 0
                while events and events[i].type != es.EVENT_LIST_TERMINATED:
                    if events[i].type == es.EVENT_MSG_TERMINATED:
                        done.set()
                    i += 1
            except Exception:
                done.set()
            return 0

        try:
            es.SetSynthCallback(on_synth)
            if es.SetVoiceByName(voice_id.encode("utf-8")) != 0:
                raise SpeakerError(
                    f"The text-to-speech voice '{voice_id}' could not be loaded. "
                    "Choose another with --voice."
                )
            es.SetParameter(es.RATE, int(rate), 0)
            es.SetParameter(es.VOLUME, round(volume * 100), 0)
            status = es.Synth(text.encode("utf-8"), flags=es.ENDPAUSE | es.CHARS_UTF8)
            if status != 0:
                raise SpeakerError(f"The text-to-speech engine refused the text (code {status}).")
            if not done.wait(timeout):
                with contextlib.suppress(Exception):
                    es.Cancel()
                raise SpeakerError("The text-to-speech engine did not finish a sentence.")
            es.Synchronize()  # espeak idle again before the next utterance's settings
        except SpeakerError:
            raise
        except Exception as exc:
            raise SpeakerError(f"The text-to-speech engine failed: {exc}") from exc
        return b"".join(chunks)


_default_lock = threading.Lock()
_default: EspeakRenderer | None = None


def default_renderer() -> EspeakRenderer:
    """The process-wide renderer (espeak-ng is a single global engine)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = EspeakRenderer()
        return _default


def write_wav(path: Path, pcm: bytes, rate: int = SAMPLE_RATE) -> Path:
    """Write 16-bit mono PCM as a WAV file."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return path


class Pyttsx3Speaker:
    """ports.Speaker: speaks through espeak-ng and a Player; ``say`` returns after playback.

    ``rate`` words per minute (80..450), ``volume`` 0..1, ``voice`` an id, name
    or part of one ("en-us", "america", "en-gb+f3"), ``output_device`` a number
    or part of a name. With ``save_dir`` every utterance is also written to a
    numbered WAV there and listed in ``recorded``. ``check=True`` starts the
    engine, resolves the voice and checks the speaker at construction, so the
    app can fall back to printing before the first question.
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
        renderer: EspeakRenderer | None = None,
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
        self.voice = voice
        self.player: Player = player if player is not None else SoundDevicePlayer(output_device)
        self.renderer = renderer if renderer is not None else default_renderer()
        self.save_dir = Path(save_dir) if save_dir is not None else None
        self.recorded: list[tuple[str, Path]] = []
        self.last_playback_end: float | None = None
        self._voice_id: str | None = None
        self._lock = threading.Lock()
        self._next_number = first_free_number(self.save_dir)
        if check:
            self.check()

    def check(self) -> None:
        """Start the engine, resolve the voice and check the speaker; raise in words."""
        self._resolved_voice()
        self.player.check()

    def say(self, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        with self._lock:
            pcm = self.render(text)
            self._save(text, pcm)
            self.last_playback_end = self.player.play(pcm, SAMPLE_RATE)

    def chime(self, kind: str = "times_up") -> None:
        """Play an earcon: "times_up" (default), "listening" or "error"."""
        pcm = earcon(kind, SAMPLE_RATE)
        with self._lock:
            self._save(f"[chime: {kind}]", pcm)
            self.last_playback_end = self.player.play(pcm, SAMPLE_RATE)

    def render(self, text: str) -> bytes:
        """The PCM (22 050 Hz mono int16) this speaker would play for ``text``."""
        return self.renderer.render(
            text, rate=self.rate, volume=self.volume, voice_id=self._resolved_voice()
        )

    def render_to_wav(self, text: str, path: Path) -> Path:
        """Write what ``say(text)`` would play to ``path`` (nothing is played)."""
        return write_wav(Path(path), self.render(" ".join(text.split())), SAMPLE_RATE)

    def _resolved_voice(self) -> str:
        if self._voice_id is None:
            self._voice_id = self.renderer.voice_id(self.voice)
        return self._voice_id

    def _save(self, text: str, pcm: bytes) -> None:
        if self.save_dir is None:
            return
        path = save_speech(self.save_dir, self._next_number, text, pcm, SAMPLE_RATE)
        self._next_number = number_of(path) + 1
        self.recorded.append((text, path))


class WavRecordingSpeaker(Pyttsx3Speaker):
    """Renders every utterance to numbered WAVs in ``folder`` and plays nothing.

    For tests and ``--save-speech DIR``. ``recorded`` lists (text, wav path);
    ``time_scale`` > 0 makes ``say`` take that fraction of the real speech time.
    """

    def __init__(
        self,
        folder: Path,
        *,
        rate: int = DEFAULT_RATE,
        volume: float = 1.0,
        voice: str | None = None,
        renderer: EspeakRenderer | None = None,
        time_scale: float = 0.0,
    ) -> None:
        super().__init__(
            rate=rate,
            volume=volume,
            voice=voice,
            player=NullPlayer(time_scale),
            save_dir=Path(folder),
            renderer=renderer,
        )

    @property
    def texts(self) -> list[str]:
        """What was said, in order (chimes left out)."""
        return [text for text, _ in self.recorded if not text.startswith("[chime:")]


FileSpeaker = WavRecordingSpeaker
