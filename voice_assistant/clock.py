"""Clocks: the only place that reads time, so timers and dialogs stay testable."""

from __future__ import annotations

import threading
import time


class MonotonicClock:
    """Real time in seconds since this clock was made, optionally sped up.

    ``speed`` > 1 makes every wait shorter and every reading larger by that
    factor (``--clock-speed`` for demos and tests).
    """

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.speed

    def real_seconds(self, clock_seconds: float) -> float:
        """How long to really wait for ``clock_seconds`` of this clock."""
        return max(0.0, clock_seconds / self.speed)

    def wall_time(self) -> float:
        """Unix time, for the journal only."""
        return time.time()


class FakeClock:
    """A clock that moves only when told: a 20-minute session runs in milliseconds."""

    speed = 1.0

    def __init__(self, start: float = 0.0, wall_start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._wall_start = wall_start - start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, value: float) -> None:
        with self._lock:
            self._now = value

    def real_seconds(self, clock_seconds: float) -> float:
        return 0.0

    def wall_time(self) -> float:
        return self._wall_start + self.now()
