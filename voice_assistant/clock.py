"""Clocks: the only place that reads time, so timers and dialogs stay testable.

The session clock counts suspend: a laptop closed for half an hour with ice on
must not leave the pack on half an hour longer. On Linux that is
``CLOCK_BOOTTIME`` (``CLOCK_MONOTONIC`` stops while the computer sleeps); elsewhere
the nearest equivalent, ``time.monotonic``. Python's own waits (queue, lock and
sleep timeouts) run on ``CLOCK_MONOTONIC`` and so stand still across a suspend
too: no wait is ever longer than ``WAIT_SLICE`` real seconds, after which the
loop reads this clock again. What is said aloud uses the wall clock and the time
zone as it is at that moment (``local_zone``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WAIT_SLICE = 1.0
"""Longest real wait, in seconds: how late an announcement can be after a resume."""

DEFAULT_ZONE_FILE = "/etc/localtime"


def since_boot() -> float | None:
    """``CLOCK_BOOTTIME``: seconds since boot, suspend included; None where there is none."""
    clock_id = getattr(time, "CLOCK_BOOTTIME", None)
    if clock_id is None:
        return None
    try:
        return time.clock_gettime(clock_id)
    except OSError:
        return None


def session_seconds() -> float:
    """Seconds on the clock every session timer and wait uses (counts suspend where it can)."""
    seconds = since_boot()
    return time.monotonic() if seconds is None else seconds


def local_zone() -> tzinfo | None:
    """The time zone as it is now (read afresh: travel, ``timedatectl set-timezone``).

    ``TZ`` (a zone name or ``:FILE``), else /etc/localtime. None (the C library's
    local time, after ``time.tzset``) when neither can be read as a zone file.
    """
    tz = os.environ.get("TZ")
    if tz == "":
        return UTC
    name = (tz or DEFAULT_ZONE_FILE).removeprefix(":")
    try:
        if name.startswith("/"):
            with open(name, "rb") as handle:
                return ZoneInfo.from_file(handle, key=name)
        return ZoneInfo(name)
    except (OSError, ValueError, ZoneInfoNotFoundError):
        time.tzset()
        return None


Zone = tzinfo | Callable[[], "tzinfo | None"] | None
"""Where clock times are said: a fixed zone, or a source read at each use (``local_zone``)."""


def zone_now(zone: Zone) -> tzinfo | None:
    """The zone to use at this moment."""
    return zone() if callable(zone) else zone


class SystemClock:
    """Real time in seconds since this clock was made, suspend included, optionally
    sped up (see the module docstring).

    ``speed`` > 1 makes every wait shorter and every reading larger by that
    factor (``--clock-speed`` for demos and tests).
    """

    def __init__(self, speed: float = 1.0, read: Callable[[], float] = session_seconds) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self._read = read
        self._origin = read()

    def now(self) -> float:
        return (self._read() - self._origin) * self.speed

    def real_seconds(self, clock_seconds: float) -> float:
        """How long to really wait for ``clock_seconds`` of this clock: at most
        ``WAIT_SLICE``, because the wait itself does not count suspend."""
        return min(WAIT_SLICE, max(0.0, clock_seconds / self.speed))

    def wall_time(self) -> float:
        """Unix time: the journal, and clock times said aloud."""
        return time.time()

    def zone(self) -> tzinfo | None:
        """The time zone for clock times said aloud, as it is now."""
        return local_zone()


class FakeClock:
    """A clock that moves only when told: a 20-minute session runs in milliseconds."""

    speed = 1.0

    def __init__(
        self, start: float = 0.0, wall_start: float = 1_800_000_000.0, tz: tzinfo | None = None
    ) -> None:
        self._now = start
        self._wall_start = wall_start - start
        self._lock = threading.Lock()
        self.tz = tz

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

    def zone(self) -> tzinfo | None:
        return self.tz
