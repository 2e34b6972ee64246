"""The journal's one connection, its lock, and the rules for trusting stored times.

Every write is its own committed transaction (``_write``); a failure becomes a
JournalError in words for the user. Stored wall times are moved onto today's
clock with the boot clock (``_effective``), so a changed wall clock can never
shorten or lengthen a gap between packs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from voice_assistant.clock import Zone
from voice_assistant.errors import JournalError
from voice_assistant.session.journal.boot_clock import BootClock, BootTime
from voice_assistant.session.plans import SessionConfig, load_session_config
from voice_assistant.session.timer.timer_state import TimerSnapshot

CLOCK_SLACK = 60.0  # seconds a stored time may lie ahead of now before it counts as a clock change
RECENT_SESSIONS = 50  # sessions looked at for the gap check (newest by id)
ENDED_HOW = ("completed", "stopped", "interrupted", "cancelled")


class JournalStore:
    """The connection shared by the journal's writer and queries; thread-safe."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path | None,
        config: SessionConfig | None = None,
        tz: Zone = None,
        boot: BootClock | None = None,
    ) -> None:
        self._conn = conn
        self.path = path
        self.config = config or load_session_config()
        self._tz = tz
        self._boot = boot  # None: trust wall times (tests with fake clocks)
        self._lock = threading.Lock()
        self.warnings: list[str] = []  # found at open, to be said to the user
        self.bad_rows: list[str] = []  # rows skipped for an impossible value (journal_values)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        """One committed transaction; a failure becomes a JournalError for the user."""
        with self._lock:
            try:
                with self._conn:
                    yield self._conn
            except sqlite3.Error as exc:
                where = self.path or "memory"
                raise JournalError(
                    f"Could not save {what} in the session journal ({where}): {exc}. "
                    "Check that the disk is not full and the folder is writable."
                ) from exc

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise JournalError(
                    f"Could not read the session journal ({self.path or 'memory'}): {exc}. "
                    "Move the file aside to start a new journal."
                ) from exc

    def _now_boot(self) -> BootTime | None:
        return self._boot() if self._boot is not None else None

    @staticmethod
    def _same_boot(mark: tuple[Any, ...], now: BootTime | None) -> bool:
        return now is not None and len(mark) == 3 and mark[1] == now.boot_id

    def _effective(
        self, wall: float, mark: tuple[Any, ...] | None, now_wall: float, now: BootTime | None
    ) -> float:
        """A stored wall time moved onto today's wall clock, safe against clock changes.

        Same boot: the real time elapsed since then (boot clock) counted back from
        now, whatever the wall clock did meanwhile. Otherwise the wall time, but
        never later than now: a time "in the future" means the clock was turned
        back, and the safe reading is "it just happened" (a full gap from now,
        never a day's wait).
        """
        if now is not None and mark is not None and mark[0] is not None:
            mark_wall, boot_id, since_boot = float(mark[0]), str(mark[1]), float(mark[2])
            if boot_id == now.boot_id and since_boot <= now.seconds:
                then = since_boot - (mark_wall - wall)
                return now_wall - max(0.0, now.seconds - then)
        return min(wall, now_wall)

    def _assumed_end(self, status: str, remaining: float, last_seen: float, now: float) -> float:
        """Latest time a pack may have stayed on after the program died."""
        sched = self.config.schedule
        extra = remaining + sched.times_up_repeat_for_seconds
        if status == "paused":
            extra += sched.pause_max_seconds
        return max(last_seen, min(now, last_seen + extra))


def to_wall(snapshot: TimerSnapshot, wall: float, clock_time: float) -> float:
    """A timer clock time as Unix time, given the wall time ``wall`` at ``snapshot.now``."""
    return wall - (snapshot.now - clock_time)
