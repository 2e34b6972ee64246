"""The microphone's watchdog: notices a stream that stalled or died, and reopens it.

An unplugged USB microphone usually just goes quiet: PortAudio stops calling back
but the stream stays "active". ``StreamWatchdog.problem`` names that (or a stream
that stopped), and ``recover`` reopens the stream with a growing pause, telling the
app through ``on_problem`` / ``on_recovered``; after ``max_reopens`` failures it
raises AudioDeviceError in words. Kept apart from ``MicrophoneSource`` so the
source only moves audio, and the recovery policy can be read in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from voice_assistant.errors import AudioDeviceError

log = logging.getLogger(__name__)


class StreamWatchdog:
    """When to call a stream broken, and how to get it back.

    ``stall_timeout_s``: no callback for this long means the device stalled.
    ``backoff_s``: pauses before successive reopen attempts (last one repeats).
    ``refresh``: called before every attempt after the first (lets PortAudio see a
    re-plugged device); None = not needed. ``sleep`` waits between attempts.
    """

    def __init__(
        self,
        *,
        stall_timeout_s: float,
        backoff_s: Sequence[float],
        max_reopens: int,
        refresh: Callable[[], None] | None,
        on_problem: Callable[[str], None] | None,
        on_recovered: Callable[[str], None] | None,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        if not backoff_s:
            raise ValueError("backoff_s needs at least one pause")
        self.stall_timeout_s = stall_timeout_s
        self.backoff_s = tuple(backoff_s)
        self.max_reopens = max_reopens
        self._refresh = refresh
        self._on_problem = on_problem
        self._on_recovered = on_recovered
        self._clock = clock
        self._sleep = sleep
        self.reopens = 0
        """Successful reopens after a stall or a dead stream."""

    def problem(self, stream: Any, last_callback: float) -> str:
        """What is wrong with ``stream`` ("" = nothing); ``last_callback`` is a clock time."""
        if stream is None:
            return "the microphone is not open"
        if getattr(stream, "active", True) is False:
            return "the microphone stream stopped"
        silent_for = self._clock() - last_callback
        if silent_for >= self.stall_timeout_s:
            return f"no sound arrived from the microphone for {silent_for:.0f} seconds"
        return ""

    def recover(
        self,
        problem: str,
        *,
        open_stream: Callable[[], None],
        close_stream: Callable[[], None],
        closed: Callable[[], bool],
    ) -> None:
        """Close the stream and reopen it; returns when it is open again or ``closed()``."""
        self._report(
            self._on_problem,
            f"The microphone stopped working ({problem}). Trying to reopen it...",
        )
        close_stream()
        last_error = ""
        for attempt in range(self.max_reopens):
            self._sleep(self.backoff_s[min(attempt, len(self.backoff_s) - 1)])
            if closed():
                return
            if attempt > 0 and self._refresh is not None:
                try:
                    self._refresh()  # let PortAudio see a re-plugged device
                except Exception as exc:
                    log.debug("refreshing PortAudio failed: %s", exc)
            try:
                open_stream()
            except AudioDeviceError as exc:
                last_error = str(exc)
                log.info("reopening the microphone failed (try %d): %s", attempt + 1, exc)
                continue
            self.reopens += 1
            self._report(self._on_recovered, "The microphone is working again.")
            return
        raise AudioDeviceError(
            f"The microphone stopped working and could not be reopened after "
            f"{self.max_reopens} tries ({last_error}). Check it is plugged in, choose another "
            "with --device (see `heat-or-ice devices`), or type your answers with --text."
        )

    @staticmethod
    def _report(callback: Callable[[str], None] | None, message: str) -> None:
        log.warning("%s", message)
        if callback is None:
            return
        try:
            callback(message)
        except Exception:
            log.exception("the microphone problem callback failed")
