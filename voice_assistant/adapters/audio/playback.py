"""Play 16-bit mono PCM and know exactly when it ended (half-duplex needs that moment).

``SoundDevicePlayer`` feeds a PortAudio output stream from a callback and
waits for the stream's *finished* callback, which PortAudio calls after the
last buffer has actually been played. It never waits forever: a speaker that
stops consuming audio raises AudioDeviceError after the clip's length plus a
margin. A device that failed once keeps failing fast (the app then falls back
to printing), instead of hanging or retrying on every sentence.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from voice_assistant.adapters.audio.devices import (
    PORTAUDIO_LOCK,
    describe_stream_error,
    import_sounddevice,
    resolve_device,
)
from voice_assistant.errors import AudioDeviceError

log = logging.getLogger(__name__)

StreamFactory = Callable[..., Any]
"""Makes an output stream like ``sounddevice.RawOutputStream(**kwargs)``."""


class Player(Protocol):
    def play(self, pcm: bytes, rate: int) -> float:
        """Play 16-bit mono PCM at ``rate`` Hz; return the monotonic time playback ended."""

    def check(self) -> None:
        """Raise AudioDeviceError now if playing cannot work (called at start-up)."""


def pcm_seconds(pcm: bytes, rate: int) -> float:
    """Length of 16-bit mono PCM in seconds."""
    return len(pcm) / 2 / rate


class NullPlayer:
    """Plays nothing. Returns at once, or after the clip's length times ``time_scale``.

    Used for tests and for saving speech to files; ``played`` keeps
    (rate, seconds) of every clip so tests can check what would have been heard.
    """

    def __init__(
        self,
        time_scale: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if time_scale < 0:
            raise ValueError("time_scale must not be negative")
        self.time_scale = time_scale
        self._sleep = sleep
        self._clock = clock
        self.played: list[tuple[int, float]] = []

    def check(self) -> None:
        return None

    def play(self, pcm: bytes, rate: int) -> float:
        seconds = pcm_seconds(pcm, rate)
        self.played.append((rate, seconds))
        if self.time_scale > 0 and seconds > 0:
            self._sleep(seconds * self.time_scale)
        return self._clock()


class SoundDevicePlayer:
    """Plays through PortAudio on ``device`` (number, part of a name, or None = default)."""

    def __init__(
        self,
        device: str | int | None = None,
        *,
        stream_factory: StreamFactory | None = None,
        resolver: Callable[[str | int | None], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        margin_s: float = 2.0,
        blocksize: int = 1024,
    ) -> None:
        self.device = device
        self._factory = stream_factory
        if resolver is None:
            resolver = _resolve_output if stream_factory is None else _as_is
        self._resolve = resolver
        self._clock = clock
        self.margin_s = margin_s
        self.blocksize = blocksize
        self._failure: AudioDeviceError | None = None
        self.last_ended: float | None = None

    def check(self) -> None:
        """Fail now (with words) if there is no usable output device."""
        if self._failure is not None:
            raise self._failure
        if self._factory is not None:
            return
        try:
            sd = import_sounddevice()
            device = self._resolve(self.device)
            with PORTAUDIO_LOCK:
                sd.check_output_settings(device=device, channels=1, dtype="int16")
        except AudioDeviceError as exc:
            self._failure = exc
            raise
        except Exception as exc:
            self._failure = AudioDeviceError(describe_stream_error(exc, "output", self.device))
            raise self._failure from exc

    def play(self, pcm: bytes, rate: int) -> float:
        if self._failure is not None:
            raise self._failure
        pcm = pcm[: len(pcm) - len(pcm) % 2]
        if not pcm:
            return self._clock()
        sd = import_sounddevice()
        data = memoryview(pcm)
        position = 0
        finished = threading.Event()
        ended_at: list[float] = []

        def callback(outdata: Any, frames: int, time_info: Any, status: Any) -> None:
            nonlocal position
            size = len(outdata)
            chunk = data[position : position + size]
            position += len(chunk)
            outdata[: len(chunk)] = bytes(chunk)
            if len(chunk) < size:
                outdata[len(chunk) :] = bytes(size - len(chunk))
                raise sd.CallbackStop

        def on_finished() -> None:
            ended_at.append(self._clock())
            finished.set()

        with PORTAUDIO_LOCK:
            stream = self._open(sd, rate, callback, on_finished)
            try:
                if not finished.wait(pcm_seconds(pcm, rate) * 1.1 + self.margin_s):
                    with contextlib.suppress(Exception):
                        stream.abort()
                    self._failure = AudioDeviceError(
                        "The speaker stopped playing sound part-way through. Check it, or "
                        "choose another with --output-device; replies will be printed meanwhile."
                    )
                    raise self._failure
            finally:
                with contextlib.suppress(Exception):
                    stream.close()
        self.last_ended = ended_at[0] if ended_at else self._clock()
        return self.last_ended

    def _open(self, sd: Any, rate: int, callback: Any, on_finished: Any) -> Any:
        factory = self._factory or sd.RawOutputStream
        stream = None
        try:
            stream = factory(
                samplerate=rate,
                channels=1,
                dtype="int16",
                device=self._resolve(self.device),
                blocksize=self.blocksize,
                callback=callback,
                finished_callback=on_finished,
            )
            stream.start()
        except Exception as exc:
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()
            if isinstance(exc, AudioDeviceError):
                self._failure = exc
                raise
            log.debug("opening output stream failed", exc_info=True)
            self._failure = AudioDeviceError(describe_stream_error(exc, "output", self.device))
            raise self._failure from exc
        return stream


def _resolve_output(spec: str | int | None) -> int:
    return resolve_device(spec, "output")


def _as_is(spec: str | int | None) -> str | int | None:
    return spec
