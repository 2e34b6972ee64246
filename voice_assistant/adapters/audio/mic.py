"""The microphone: 16 kHz mono int16 blocks, half-duplex muting and a stall watchdog.

* PortAudio calls ``_on_audio`` on its own thread; it only copies the block
  into a bounded queue (dropping the oldest block when full) and never blocks.
* ``mute(True)`` while the assistant speaks drops everything captured; on
  ``mute(False)`` (called once playback has *ended*) blocks captured during
  the next ``holdoff_s`` are dropped too and the queue is emptied, so the
  tail of our own voice and its echo never reach the recogniser. Each block
  carries the mute "epoch" it was captured in, so a block that raced a mute
  change is dropped rather than heard.
* A watchdog (``mic_watchdog.StreamWatchdog``), asked by ``blocks()`` whenever
  no block arrived for a poll, notices when PortAudio stops calling back (an
  unplugged USB microphone usually just goes quiet) or the stream dies, tells
  the app through ``on_problem`` and reopens the stream with a growing pause;
  after ``max_reopens`` failures it raises AudioDeviceError.

The stream factory is injected: tests and demos pass ``PcmInputStream.factory``
(or their own fakes) instead of ``sounddevice.RawInputStream``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any

from voice_assistant.adapters.audio.devices import (
    PORTAUDIO_LOCK,
    describe_stream_error,
    import_sounddevice,
    refresh_portaudio,
    resolve_device,
)
from voice_assistant.adapters.audio.mic_watchdog import StreamWatchdog
from voice_assistant.errors import AudioDeviceError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
StreamFactory = Callable[..., Any]
"""Makes an input stream like ``sounddevice.RawInputStream(**kwargs)``."""

_CLOSED = object()


class MicrophoneSource:
    """ports.AudioSource for a live microphone (or any stream with its interface).

    ``device``: number, part of a name, or None for the system default.
    ``block_ms``: block length; 30 ms = 960 bytes, one pocketsphinx VAD frame.
    ``holdoff_s``: after unmuting, audio is ignored this long (echo, reverb).
    ``stall_timeout_s``: no callback for this long means the device stalled.
    ``backoff_s``: pauses before successive reopen attempts (last one repeats).
    ``clock``/``sleep``: injected time (seconds); ``sleep`` defaults to a wait
    that ``close()`` interrupts.
    """

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        device: str | int | None = None,
        *,
        block_ms: int = 30,
        stream_factory: StreamFactory | None = None,
        resolver: Callable[[str | int | None], Any] | None = None,
        refresh: Callable[[], None] | None = None,
        on_problem: Callable[[str], None] | None = None,
        on_recovered: Callable[[str], None] | None = None,
        holdoff_s: float = 0.4,
        stall_timeout_s: float = 2.0,
        backoff_s: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0),
        max_reopens: int = 5,
        max_queue_blocks: int = 200,
        poll_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.device = device
        self.block_frames = SAMPLE_RATE * block_ms // 1000
        real = stream_factory is None
        self._factory = stream_factory
        self._resolve = resolver or (_resolve_input if real else _as_is)
        self.holdoff_s = holdoff_s
        self.poll_s = poll_s
        self._clock = clock
        self._stopped = threading.Event()
        self._watchdog = StreamWatchdog(
            stall_timeout_s=stall_timeout_s,
            backoff_s=backoff_s,
            max_reopens=max_reopens,
            refresh=refresh if refresh is not None or not real else refresh_portaudio,
            on_problem=on_problem,
            on_recovered=on_recovered,
            clock=clock,
            sleep=sleep or self._wait,
        )
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue_blocks)
        self._stream: Any = None
        self._closed = False
        self._muted = False
        self._epoch = 0
        self._listen_after = float("-inf")
        self._last_callback = 0.0
        self.overflows = 0
        """Blocks we dropped because the consumer fell behind (queue full)."""
        self.driver_overflows = 0
        """Callbacks where PortAudio reported an input overflow."""
        self.dropped_muted = 0
        """Blocks dropped while muted or during the hold-off."""

    @property
    def reopens(self) -> int:
        """Successful reopens after a stall or a dead stream."""
        return self._watchdog.reopens

    # --- lifecycle ----------------------------------------------------------------------

    def open(self) -> None:
        """Open the device now (the app calls this at start to fail early, in words)."""
        if self._closed:
            raise AudioDeviceError("The microphone was already closed.")
        if self._stream is None:
            self._open_stream()

    def close(self) -> None:
        self._closed = True
        self._stopped.set()
        self._close_stream()
        self._flush()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_CLOSED)

    def __enter__(self) -> MicrophoneSource:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- half-duplex --------------------------------------------------------------------

    @property
    def muted(self) -> bool:
        return self._muted

    def mute(self, muted: bool) -> None:
        """Mute while speaking; unmute right after playback ended (starts the hold-off)."""
        if muted:
            self._muted = True
            self._epoch += 1
        else:
            # Order matters for the callback thread: hold-off first, then the new
            # epoch, then unmute; a block racing this is dropped either way.
            self._listen_after = self._clock() + self.holdoff_s
            self._epoch += 1
            self._muted = False
        self._flush()

    # --- audio --------------------------------------------------------------------------

    def blocks(self) -> Iterator[bytes]:
        """Yield 16 kHz mono int16 blocks until ``close()``; one consumer only.

        Raises AudioDeviceError when the device cannot be opened or reopened.
        """
        self.open()
        while not self._closed:
            try:
                item = self._queue.get(timeout=self.poll_s)
            except queue.Empty:
                problem = self._watchdog.problem(self._stream, self._last_callback)
                if problem and not self._closed:
                    self._watchdog.recover(
                        problem,
                        open_stream=self._open_stream,
                        close_stream=self._close_stream,
                        closed=lambda: self._closed,
                    )
                continue
            if item is _CLOSED:
                return
            epoch, data = item
            if epoch != self._epoch or self._muted:
                continue
            yield data

    def _on_audio(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's callback: copy, tag, enqueue; never block, never raise."""
        epoch = self._epoch
        now = self._clock()
        self._last_callback = now
        if status and getattr(status, "input_overflow", False):
            self.driver_overflows += 1
        if self._muted or now < self._listen_after:
            self.dropped_muted += 1
            return
        item = (epoch, bytes(indata))
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()
            self.overflows += 1
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(item)

    def _flush(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is _CLOSED:  # keep the close signal
                with contextlib.suppress(queue.Full):
                    self._queue.put_nowait(_CLOSED)
                return

    # --- the stream ---------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        """Default sleep between reopen attempts; ``close()`` cuts it short."""
        self._stopped.wait(seconds)

    def _open_stream(self) -> None:
        factory = self._factory or import_sounddevice().RawInputStream
        stream = None
        with PORTAUDIO_LOCK:
            try:
                stream = factory(
                    samplerate=SAMPLE_RATE,
                    blocksize=self.block_frames,
                    device=self._resolve(self.device),
                    channels=1,
                    dtype="int16",
                    callback=self._on_audio,
                )
                self._last_callback = self._clock()
                stream.start()
            except Exception as exc:
                if stream is not None:
                    _close_quietly(stream)
                if isinstance(exc, AudioDeviceError):
                    raise
                log.debug("opening the microphone failed", exc_info=True)
                raise AudioDeviceError(describe_stream_error(exc, "input", self.device)) from exc
        self._stream = stream

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        # A dead device can hang in close(); never let it hang the assistant.
        closer = threading.Thread(target=_close_quietly, args=(stream,), daemon=True)
        closer.start()
        closer.join(timeout=1.0)


def _close_quietly(stream: Any) -> None:
    for method in ("abort", "close"):
        with contextlib.suppress(Exception):
            getattr(stream, method)()


def _resolve_input(spec: str | int | None) -> int:
    return resolve_device(spec, "input")


def _as_is(spec: str | int | None) -> str | int | None:
    return spec


class _NoStatus:
    input_overflow = False

    def __bool__(self) -> bool:
        return False


class PcmInputStream:
    """A stand-in for ``sounddevice.RawInputStream`` that plays PCM into the callback.

    Calls ``callback(block, frames, None, status)`` from its own thread, like
    PortAudio, ``pace_s`` apart (0 = as fast as possible). When the PCM is used
    up: ``after_end="silence"`` keeps sending silent blocks in real time (a
    quiet room), ``"stall"`` stops calling back but stays active (a stuck
    device), ``"finish"`` ends the stream (``active`` becomes False).
    """

    def __init__(
        self,
        pcm: bytes,
        *,
        samplerate: int = SAMPLE_RATE,
        blocksize: int = 480,
        callback: Callable[[Any, int, Any, Any], None],
        pace_s: float = 0.0,
        after_end: str = "silence",
        device: Any = None,
        channels: int = 1,
        dtype: str = "int16",
        **_: Any,
    ) -> None:
        if after_end not in ("silence", "stall", "finish"):
            raise ValueError("after_end must be 'silence', 'stall' or 'finish'")
        self.pcm = pcm
        self.samplerate = samplerate
        self.blocksize = blocksize
        self.device = device
        self.callback = callback
        self.pace_s = pace_s
        self.after_end = after_end
        self.blocks_sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.active = False
        self.closed = False

    @classmethod
    def factory(
        cls, pcm: bytes, *, pace_s: float = 0.0, after_end: str = "silence"
    ) -> Callable[..., PcmInputStream]:
        """A stream factory for ``MicrophoneSource(stream_factory=...)``."""

        def make(**kwargs: Any) -> PcmInputStream:
            return cls(pcm, pace_s=pace_s, after_end=after_end, **kwargs)

        return make

    def start(self) -> None:
        self.active = True
        self._thread = threading.Thread(target=self._run, name="pcm-input", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.active = False
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)

    abort = stop

    def close(self) -> None:
        self.stop()
        self.closed = True

    def __enter__(self) -> PcmInputStream:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, block: bytes) -> None:
        if len(block) < self.blocksize * 2:  # PortAudio always delivers whole blocks
            block += bytes(self.blocksize * 2 - len(block))
        self.callback(memoryview(block), self.blocksize, None, _NoStatus())
        self.blocks_sent += 1

    def _run(self) -> None:
        size = self.blocksize * 2
        for start in range(0, len(self.pcm), size):
            if self._stop.is_set():
                return
            self._send(self.pcm[start : start + size])
            if self.pace_s > 0:
                self._stop.wait(self.pace_s)
        if self.after_end == "finish":
            self.active = False
            return
        if self.after_end == "stall":
            return
        silence = bytes(size)
        while not self._stop.wait(self.blocksize / self.samplerate):
            self._send(silence)
