"""The session journal: SQLite file with sessions, phases, answers and progress.

Every write is its own committed transaction with ``synchronous=FULL`` (WAL mode
where the filesystem allows), so a ``kill -9`` at any moment loses nothing already
said. On start the assistant asks ``find_interrupted`` whether the last session
ended without an end, and tells the user to take the pack off.

Wall times (Unix seconds) come from the caller; the timer's clock times in a
snapshot are converted with ``wall - (snapshot.now - t)``. Each write of a
session also stores the boot id and time since boot (``clock_marks``), so gap
checks survive the wall clock being changed (see ``_effective``). A session
stopped by a signal is closed as "interrupted" and said once at the next start
(``told``).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from voice_assistant import paths
from voice_assistant.errors import JournalError
from voice_assistant.events import TimerEvent
from voice_assistant.privacy import private_file, private_folder, tighten_files
from voice_assistant.session.boot_clock import BootClock, BootTime
from voice_assistant.session.numbers import (
    ceil_to_minute,
    spoken_clock_time,
    spoken_duration,
    spoken_wait,
)
from voice_assistant.session.plans import (
    APPLICATION_PHASES,
    Plan,
    SessionConfig,
    load_session_config,
)
from voice_assistant.session.timer import TimerSnapshot
from voice_assistant.session.wal_check import wal_problem

log = logging.getLogger(__name__)

FILE_NAME = "journal.sqlite3"
SCHEMA_VERSION = 1
CLOCK_SLACK = 60.0  # seconds a stored time may lie ahead of now before it counts as a clock change
RECENT_SESSIONS = 50  # sessions looked at for the gap check (newest by id)
ENDED_HOW = ("completed", "stopped", "interrupted", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,                 -- recommendation: ice | heat | ice_then_heat
    plan_json TEXT NOT NULL,
    conversation_id TEXT,
    started REAL NOT NULL,              -- Unix seconds
    ended REAL,                         -- NULL while running (or interrupted, unmarked)
    ended_how TEXT CHECK (ended_how IN ('completed','stopped','interrupted','cancelled')),
    planned_minutes REAL NOT NULL,      -- with a pack on (rests excluded)
    actual_minutes REAL
);
CREATE TABLE IF NOT EXISTS phases (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    phase_index INTEGER NOT NULL,
    phase TEXT NOT NULL,                -- ice | heat | rest
    planned_seconds REAL NOT NULL,
    started REAL,
    ended REAL,
    ended_how TEXT,                     -- completed | unconfirmed | stopped | skipped | interrupted
    seconds REAL NOT NULL DEFAULT 0,    -- pack on (ice/heat) or rest taken
    PRIMARY KEY (session_id, phase_index)
);
CREATE TABLE IF NOT EXISTS progress (   -- one heartbeat row per session, overwritten
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
    phase_index INTEGER NOT NULL,
    phase TEXT NOT NULL,
    status TEXT NOT NULL,
    awaiting TEXT NOT NULL DEFAULT '',
    planned_seconds REAL NOT NULL,
    elapsed REAL NOT NULL,
    remaining REAL NOT NULL,
    phase_started REAL,
    last_text TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (     -- everything the timer said
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    at REAL NOT NULL,
    due REAL NOT NULL,
    kind TEXT NOT NULL,
    phase TEXT NOT NULL,
    phase_index INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    session_id INTEGER REFERENCES sessions(id),
    question_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS told (      -- interruptions already said at a later start
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS clock_marks ( -- wall time and time since boot at the last write
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
    wall REAL NOT NULL,                 -- Unix seconds
    boot_id TEXT NOT NULL,
    since_boot REAL NOT NULL            -- CLOCK_BOOTTIME seconds at that moment
);
CREATE INDEX IF NOT EXISTS phases_by_kind ON phases (phase, ended);
CREATE INDEX IF NOT EXISTS answers_by_conversation ON answers (conversation_id);
"""


def default_data_dir() -> Path:
    """Per-user data folder (XDG on Linux: ~/.local/share/heat-or-ice); not created here."""
    return paths.data_dir()


@dataclass(frozen=True)
class InterruptedSession:
    """A session that never ended, as last seen. Minutes are floats."""

    session_id: int
    kind: str  # recommendation kind
    phase: str  # ice | heat | rest
    phase_index: int
    status: str  # timer Status value at the last heartbeat
    awaiting: str  # "off" | "on" | ""
    started: float  # Unix seconds
    last_seen: float  # Unix seconds of the last heartbeat
    minutes_ago: float  # since last_seen
    minutes_left: float  # left in the phase when last seen


@dataclass(frozen=True)
class UnsavedSession:
    """A session whose end a full disk kept out of the journal, restored at the next start."""

    session_id: int
    kind: str
    last_seen: float  # Unix seconds: its end, or the last thing known about it
    ended_how: str | None  # None: the program was stopped before the session ended


@dataclass(frozen=True)
class HistoryRow:
    session_id: int
    kind: str
    started: float
    ended: float | None
    ended_how: str | None  # None: not finished (running, or interrupted and not yet marked)
    planned_minutes: float
    actual_minutes: float | None


class Journal:
    """All reads and writes of the journal; thread-safe, one connection."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path | None,
        config: SessionConfig | None = None,
        tz: tzinfo | None = None,
        boot: BootClock | None = None,
    ) -> None:
        self._conn = conn
        self.path = path
        self.config = config or load_session_config()
        self._tz = tz
        self._boot = boot  # None: trust wall times (tests with fake clocks)
        self._lock = threading.Lock()
        self.warnings: list[str] = []  # found at open, to be said to the user

    @classmethod
    def in_memory(cls, config: SessionConfig | None = None, tz: tzinfo | None = None) -> Journal:
        """A journal that forgets on exit: the fallback when the file cannot be used."""
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.executescript(_SCHEMA)
        return cls(conn, None, config, tz)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ------------------------------------------------------------------ writing
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

    def record_answers(
        self,
        conversation_id: str,
        answers: Mapping[str, str] | Iterable[tuple[str, str]],
        wall: float,
        session_id: int | None = None,
    ) -> None:
        """Store the user's answers (question id -> answer) for one conversation."""
        pairs = list(answers.items()) if isinstance(answers, Mapping) else list(answers)
        with self._write("your answers") as conn:
            conn.executemany(
                "INSERT INTO answers (conversation_id, session_id, question_id, answer, at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(conversation_id, session_id, q, a, wall) for q, a in pairs],
            )

    def begin_session(
        self, kind: str, plan: Plan, wall: float, conversation_id: str | None = None
    ) -> int:
        """Create the session, its phases and an "idle" progress row; return its id."""
        with self._write("the new session") as conn:
            session_id = self._insert_session(conn, kind, plan, wall, conversation_id)
            self._mark_clock(conn, session_id, wall)
            return session_id

    def record_event(
        self,
        session_id: int,
        snapshot: TimerSnapshot,
        wall: float,
        event: TimerEvent | None = None,
    ) -> None:
        """Save progress (and what was just said): call after every spoken timer event,
        pause/resume, and every ``config.heartbeat_seconds`` while a session runs."""
        with self._write("the session progress") as conn:
            self._save_snapshot(conn, session_id, snapshot, wall)
            self._mark_clock(conn, session_id, wall)
            if snapshot.status == "finished" and snapshot.ended_how in ENDED_HOW:
                self._close(conn, session_id, snapshot, wall, snapshot.ended_how, only_open=True)
            if event is not None:
                conn.execute(
                    "INSERT INTO events (session_id, at, due, kind, phase, phase_index, text)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        wall,
                        to_wall(snapshot, wall, event.due),
                        event.kind,
                        event.phase,
                        event.phase_index,
                        event.text,
                    ),
                )

    def heartbeat(self, session_id: int, snapshot: TimerSnapshot, wall: float) -> None:
        """Progress only (nothing said): keeps "interrupted N minutes ago" accurate."""
        self.record_event(session_id, snapshot, wall)

    def end_session(
        self,
        session_id: int,
        snapshot: TimerSnapshot,
        wall: float,
        how: str | None = None,
        last_seen: TimerSnapshot | None = None,
    ) -> None:
        """Close the session: ``how`` defaults to the timer's ended_how (else completed).

        ``record_event`` already closes a session whose snapshot is finished; call
        this to close it in other ways (e.g. "interrupted" on SIGTERM). ``last_seen``
        is the timer just before it was stopped: the progress row keeps it, so the
        next start can say "interrupted ... with eight minutes left".
        """
        how = how or snapshot.ended_how or "completed"
        if how not in ENDED_HOW:
            raise ValueError(f"how must be one of {ENDED_HOW}, not {how!r}")
        with self._write("the end of the session") as conn:
            self._save_snapshot(conn, session_id, snapshot, wall)
            self._mark_clock(conn, session_id, wall)
            if last_seen is not None:
                self._save_progress(conn, session_id, last_seen, wall)
            self._close(conn, session_id, snapshot, wall, how)

    @staticmethod
    def _close(
        conn: sqlite3.Connection,
        session_id: int,
        snapshot: TimerSnapshot,
        wall: float,
        how: str,
        *,
        only_open: bool = False,
    ) -> None:
        applied = [r for r in snapshot.phases if r.phase in APPLICATION_PHASES]
        conn.execute(
            "UPDATE sessions SET ended = ?, ended_how = ?, planned_minutes = ?,"
            " actual_minutes = ? WHERE id = ?" + (" AND ended IS NULL" if only_open else ""),
            (
                wall,
                how,
                sum(r.planned_seconds for r in applied) / 60,
                sum(r.seconds for r in applied) / 60,
                session_id,
            ),
        )

    def mark_interrupted(self, session_id: int, now_wall: float) -> None:
        """Close an interrupted session. An ice/heat phase that was under way is taken
        to have lasted until the timer would have stopped reminding, or until now if
        that is sooner: the pack may have stayed on (conservative for gap checks)."""
        with self._write("the interrupted session") as conn:
            progress = conn.execute(
                "SELECT status, remaining, updated FROM progress WHERE session_id = ?",
                (session_id,),
            ).fetchone()
            if progress is None:
                last_seen, assumed_end = now_wall, now_wall
            else:
                status, remaining, last_seen = progress
                assumed_end = self._assumed_end(status, remaining, last_seen, now_wall)
            conn.execute(
                "UPDATE phases SET ended = CASE WHEN phase = 'rest' THEN ? ELSE ? END,"
                " ended_how = 'interrupted'"
                " WHERE session_id = ? AND started IS NOT NULL AND ended IS NULL",
                (last_seen, assumed_end, session_id),
            )
            conn.execute(
                "UPDATE phases SET ended_how = 'skipped'"
                " WHERE session_id = ? AND started IS NULL AND ended_how IS NULL",
                (session_id,),
            )
            actual = conn.execute(
                "SELECT COALESCE(SUM(seconds), 0) FROM phases"
                " WHERE session_id = ? AND phase != 'rest'",
                (session_id,),
            ).fetchone()[0]
            conn.execute(
                "UPDATE sessions SET ended = ?, ended_how = 'interrupted', actual_minutes = ?"
                " WHERE id = ? AND ended IS NULL",
                (max(assumed_end, last_seen), actual / 60, session_id),
            )
            conn.execute(
                "UPDATE progress SET status = 'interrupted' WHERE session_id = ?", (session_id,)
            )
            conn.execute(
                "INSERT OR IGNORE INTO told (session_id, at) VALUES (?, ?)", (session_id, now_wall)
            )

    def restore_unsaved(self, note: Mapping[str, Any]) -> UnsavedSession:
        """Put into the journal what the last run kept in memory after a write failed
        (see safe_journal.py): the session (created if even its start was lost), its
        phases as they really went, and its end, or its last progress if it never ended."""
        try:
            kind, plan = str(note["kind"]), Plan.from_json(str(note["plan"]))
            started, wall = float(note["started"]), float(note["wall"])
            how = note.get("how")
            if how is not None and how not in ENDED_HOW:
                raise ValueError(f"unknown end {how!r}")
            session_id = note.get("session")
        except (KeyError, TypeError, ValueError) as exc:
            raise JournalError(f"The note about the last session is unreadable ({exc}).") from exc
        with self._write("the end of your last session") as conn:
            known = (
                session_id is not None
                and conn.execute(
                    "SELECT 1 FROM sessions WHERE id = ? AND kind = ?", (session_id, kind)
                ).fetchone()
            )
            if not known or session_id is None:
                session_id = self._insert_session(conn, kind, plan, started, None)
            conn.executemany(
                "UPDATE phases SET started = ?, ended = ?, ended_how = ?, seconds = ?"
                " WHERE session_id = ? AND phase_index = ?",
                [(a, b, c, d, session_id, i) for i, a, b, c, d in note.get("phases", [])],
            )
            progress = note.get("progress")
            if progress is not None:
                index, phase, status, awaiting, planned, elapsed, remaining = progress
                conn.execute(
                    "INSERT OR REPLACE INTO progress (session_id, phase_index, phase, status,"
                    " awaiting, planned_seconds, elapsed, remaining, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (session_id, index, phase, status, awaiting, planned, elapsed, remaining, wall),
                )
            if how is not None:
                actual = conn.execute(
                    "SELECT COALESCE(SUM(seconds), 0) FROM phases"
                    " WHERE session_id = ? AND phase != 'rest'",
                    (session_id,),
                ).fetchone()[0]
                conn.execute(
                    "UPDATE sessions SET ended = ?, ended_how = ?, actual_minutes = ?"
                    " WHERE id = ? AND ended IS NULL",
                    (wall, how, actual / 60, session_id),
                )
                conn.execute(
                    "INSERT OR IGNORE INTO told (session_id, at) VALUES (?, ?)", (session_id, wall)
                )
        return UnsavedSession(int(session_id), kind, wall, None if how is None else str(how))

    def _mark_clock(self, conn: sqlite3.Connection, session_id: int, wall: float) -> None:
        now = self._boot() if self._boot is not None else None
        if now is not None:
            conn.execute(
                "INSERT OR REPLACE INTO clock_marks (session_id, wall, boot_id, since_boot)"
                " VALUES (?, ?, ?, ?)",
                (session_id, wall, now.boot_id, now.seconds),
            )

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

    @staticmethod
    def _insert_session(
        conn: sqlite3.Connection,
        kind: str,
        plan: Plan,
        wall: float,
        conversation_id: str | None,
    ) -> int:
        cur = conn.execute(
            "INSERT INTO sessions (kind, plan_json, conversation_id, started, planned_minutes)"
            " VALUES (?, ?, ?, ?, ?)",
            (kind, plan.to_json(), conversation_id, wall, plan.application_seconds / 60),
        )
        session_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO phases (session_id, phase_index, phase, planned_seconds) "
            "VALUES (?, ?, ?, ?)",
            [(session_id, i, p.kind, p.seconds) for i, p in enumerate(plan.phases)],
        )
        first = plan.phases[0]
        conn.execute(
            "INSERT INTO progress (session_id, phase_index, phase, status, planned_seconds,"
            " elapsed, remaining, updated) VALUES (?, 0, ?, 'idle', ?, 0, ?, ?)",
            (session_id, first.kind, first.seconds, first.seconds, wall),
        )
        return session_id

    def _save_snapshot(
        self, conn: sqlite3.Connection, session_id: int, snap: TimerSnapshot, wall: float
    ) -> None:
        conn.executemany(
            "UPDATE phases SET planned_seconds = ?, started = ?, ended = ?, ended_how = ?,"
            " seconds = ? WHERE session_id = ? AND phase_index = ?",
            [
                (
                    r.planned_seconds,
                    None if r.started is None else to_wall(snap, wall, r.started),
                    None if r.ended is None else to_wall(snap, wall, r.ended),
                    r.ended_how,
                    r.seconds,
                    session_id,
                    r.index,
                )
                for r in snap.phases
            ],
        )
        self._save_progress(conn, session_id, snap, wall)

    @staticmethod
    def _save_progress(
        conn: sqlite3.Connection, session_id: int, snap: TimerSnapshot, wall: float
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO progress (session_id, phase_index, phase, status, awaiting,"
            " planned_seconds, elapsed, remaining, phase_started, last_text, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                snap.phase_index,
                snap.phase,
                snap.status,
                snap.awaiting,
                snap.planned_seconds,
                snap.elapsed,
                snap.remaining,
                None if snap.phase_started is None else to_wall(snap, wall, snap.phase_started),
                snap.last_text,
                wall,
            ),
        )

    # ------------------------------------------------------------------ reading
    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise JournalError(
                    f"Could not read the session journal ({self.path or 'memory'}): {exc}. "
                    "Move the file aside to start a new journal."
                ) from exc

    def find_interrupted(self, now_wall: float) -> InterruptedSession | None:
        """The most recent session that never ended, or the latest session if it was
        interrupted (SIGTERM, Ctrl-C, SIGHUP) and that was not yet said at a start."""
        rows = self._read(
            "SELECT s.id, s.kind, p.phase, p.phase_index, p.status, p.awaiting, s.started,"
            " p.updated, p.remaining, m.wall, m.boot_id, m.since_boot"
            " FROM sessions s JOIN progress p ON p.session_id = s.id"
            " LEFT JOIN clock_marks m ON m.session_id = s.id"
            " WHERE s.ended IS NULL OR (s.ended_how = 'interrupted'"
            "   AND s.id NOT IN (SELECT session_id FROM told)"
            "   AND s.id = (SELECT id FROM sessions ORDER BY started DESC, id DESC LIMIT 1))"
            " ORDER BY s.started DESC, s.id DESC LIMIT 1"
        )
        if not rows:
            return None
        sid, kind, phase, index, status, awaiting, started, updated, remaining = rows[0][:9]
        seen = self._effective(float(updated), rows[0][9:], now_wall, self._now_boot())
        return InterruptedSession(
            session_id=int(sid),
            kind=str(kind),
            phase=str(phase),
            phase_index=int(index),
            status=str(status),
            awaiting=str(awaiting),
            started=float(started),
            last_seen=float(updated),
            minutes_ago=max(0.0, now_wall - seen) / 60,
            minutes_left=float(remaining) / 60,
        )

    def interrupted_message(self, info: InterruptedSession) -> str:
        """What to say on start-up about an interrupted session; always ends with
        "if a pack is still on, take it off now"."""
        cfg = self.config
        ago_s, left_s = info.minutes_ago * 60, info.minutes_left * 60
        applying = info.phase in APPLICATION_PHASES and info.awaiting != "on"
        values = {
            "session": cfg.session_name(info.phase if applying else info.kind),
            "ago": spoken_duration(ago_s),
            "left": spoken_duration(left_s),
            "overdue": spoken_duration(ago_s - left_s),
            "phase": cfg.phase_name(info.phase),
            "pack": cfg.pack_name(info.phase),
        }
        if info.awaiting == "off":
            key = "interrupted_awaiting_off"
        elif info.awaiting == "on":
            key = "interrupted_awaiting_on"
        elif info.status == "paused":
            key = "interrupted_paused"
        elif info.status == "idle":
            key = "interrupted_idle"
        elif not applying:
            key = "interrupted_rest"
        elif left_s > ago_s:
            key = "interrupted_running"
        else:
            key = "interrupted_overdue"
        return f"{cfg.say('journal.' + key, **values)} {cfg.say('journal.take_off')}"

    def last_application_end(self, phase: str, now_wall: float) -> float | None:
        """When the last ice (or heat) ended, on today's wall clock (see ``_effective``);
        an unfinished one counts as still going, up to when its reminders would have
        stopped. The latest sessions are found by id, which a clock change cannot reorder."""
        now = self._now_boot()
        recent = "(SELECT COALESCE(MAX(id), 0) - ? FROM sessions)"
        ends: list[float] = []
        future: set[int] = set()
        for session_id, ended, *mark in self._read(
            "SELECT f.session_id, f.ended, m.wall, m.boot_id, m.since_boot FROM phases f"
            " LEFT JOIN clock_marks m ON m.session_id = f.session_id"
            " WHERE f.phase = ? AND f.started IS NOT NULL AND f.ended IS NOT NULL"
            f" AND f.session_id > {recent}",
            (phase, RECENT_SESSIONS),
        ):
            ends.append(self._effective(float(ended), tuple(mark), now_wall, now))
            if not self._same_boot(tuple(mark), now) and float(ended) > now_wall + CLOCK_SLACK:
                future.add(int(session_id))
        for session_id, status, remaining, updated, *mark in self._read(
            "SELECT s.id, p.status, p.remaining, p.updated, m.wall, m.boot_id, m.since_boot"
            " FROM phases f JOIN sessions s ON s.id = f.session_id"
            " JOIN progress p ON p.session_id = s.id"
            " LEFT JOIN clock_marks m ON m.session_id = s.id"
            " WHERE f.phase = ? AND f.started IS NOT NULL AND f.ended IS NULL"
            f" AND s.ended IS NULL AND s.id > {recent}",
            (phase, RECENT_SESSIONS),
        ):
            seen = self._effective(float(updated), tuple(mark), now_wall, now)
            ends.append(self._assumed_end(str(status), float(remaining), seen, now_wall))
            if not self._same_boot(tuple(mark), now) and float(updated) > now_wall + CLOCK_SLACK:
                future.add(int(session_id))
        if future:
            self._pull_back(future, now_wall)
        return max(ends) if ends else None

    def _pull_back(self, session_ids: set[int], now_wall: float) -> None:
        """Times after now: the clock was turned back since they were written. Take them
        as "just now", once, so the gap runs from now instead of until the clock gets
        back to them (which could be a day or a year)."""
        ids = ",".join(str(i) for i in sorted(session_ids))
        try:
            with self._write("times corrected after a clock change") as conn:
                for table, columns in (
                    ("phases", ("started", "ended")),
                    ("sessions", ("started", "ended")),
                ):
                    key = "session_id" if table == "phases" else "id"
                    for column in columns:
                        conn.execute(
                            f"UPDATE {table} SET {column} = ? WHERE {key} IN ({ids})"
                            f" AND {column} > ?",
                            (now_wall, now_wall),
                        )
                conn.execute(
                    f"UPDATE progress SET updated = ? WHERE session_id IN ({ids}) AND updated > ?",
                    (now_wall, now_wall),
                )
                conn.execute(f"DELETE FROM clock_marks WHERE session_id IN ({ids})")
        except JournalError as exc:  # read-only: the clamp still holds, each time
            log.warning("could not correct times after a clock change: %s", exc)

    @staticmethod
    def _same_boot(mark: tuple[Any, ...], now: BootTime | None) -> bool:
        return now is not None and len(mark) == 3 and mark[1] == now.boot_id

    def _now_boot(self) -> BootTime | None:
        return self._boot() if self._boot is not None else None

    def gap_check(self, kind: str, now_wall: float, plan: Plan | None = None) -> str | None:
        """None when a session of ``kind`` ("ice", "heat", "ice_then_heat") may start
        now; otherwise the refusal to say, with how long to wait. Each ice/heat phase
        of the plan is checked at the time it would start."""
        plan = plan or self.config.plan_for(kind)
        if plan is None:
            return None
        offset = 0.0
        for phase in plan.phases:
            last = self.last_application_end(phase.kind, now_wall) if phase.is_application else None
            if last is not None:
                allowed_start = last + self.config.gap_seconds(phase.kind) - offset
                wait = allowed_start - now_wall
                if wait > 0:
                    cfg = self.config
                    return cfg.say(
                        "journal.gap_refusal",
                        phase=cfg.phase_name(phase.kind),
                        ago=spoken_duration(max(0.0, now_wall - last)),
                        gap=cfg.spoken_gap(phase.kind),
                        wait=spoken_wait(wait),
                        time=spoken_clock_time(
                            ceil_to_minute(allowed_start), self._tz, reference=now_wall
                        ),
                        session=cfg.session_name(kind),
                    )
            offset += phase.seconds
        return None

    def history(self, limit: int = 20) -> list[HistoryRow]:
        """The latest sessions, newest first."""
        rows = self._read(
            "SELECT s.id, s.kind, s.started, s.ended, s.ended_how, s.planned_minutes,"
            " COALESCE(s.actual_minutes, (SELECT SUM(seconds) / 60.0 FROM phases f"
            "   WHERE f.session_id = s.id AND f.phase != 'rest'))"
            " FROM sessions s ORDER BY s.started DESC, s.id DESC LIMIT ?",
            (limit,),
        )
        return [
            HistoryRow(
                int(r[0]),
                str(r[1]),
                float(r[2]),
                None if r[3] is None else float(r[3]),
                None if r[4] is None else str(r[4]),
                float(r[5]),
                None if r[6] is None else float(r[6]),
            )
            for r in rows
        ]

    def answers(self, conversation_id: str) -> list[tuple[str, str, float]]:
        """(question id, answer, time) in the order given."""
        rows = self._read(
            "SELECT question_id, answer, at FROM answers WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [(str(q), str(a), float(t)) for q, a, t in rows]

    def events(self, session_id: int) -> list[tuple[str, str]]:
        """(kind, text) of everything said in a session, in order."""
        rows = self._read(
            "SELECT kind, text FROM events WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return [(str(k), str(t)) for k, t in rows]

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


def open_journal(
    data_dir: Path,
    config: SessionConfig | None = None,
    tz: tzinfo | None = None,
    boot: BootClock | None = None,
) -> Journal:
    """Open (or create) ``data_dir/journal.sqlite3``.

    Raises JournalError with a message for the user when the folder is not
    writable or the file is damaged; the caller may fall back to ``Journal.in_memory()``.
    """
    try:
        private_folder(data_dir)
    except OSError as exc:
        raise JournalError(
            f"Cannot create the folder for the session journal, {data_dir} "
            f"({exc.strerror or exc}). Sessions will not be remembered: choose another "
            "folder with --data-dir or fix its permissions."
        ) from exc
    path = data_dir / FILE_NAME
    _refuse_newer(path)
    damage = _damaged_wal(path)
    conn: sqlite3.Connection | None = None
    with suppress(OSError):  # the connect below says what is wrong in words
        private_file(path)  # 0600 before SQLite makes -wal/-shm, which copy its mode
    try:
        conn = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        tighten_files([path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))])
        conn.execute("PRAGMA synchronous=FULL")
        check = conn.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {check}")
        with conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:  # checked again: it may have changed meanwhile
                raise _newer(path, version)
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except JournalError:
        if conn is not None:
            conn.close()
        raise
    except sqlite3.OperationalError as exc:
        if conn is not None:
            conn.close()
        raise JournalError(
            f"Cannot write the session journal {path} ({exc}). Sessions will not be "
            "remembered: choose another folder with --data-dir or fix its permissions."
        ) from exc
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise JournalError(
            f"The session journal {path} is damaged ({exc}). Sessions will not be "
            "remembered: move the file aside or delete it, and a new one will be started."
        ) from exc
    journal = Journal(conn, path, config, tz, boot)
    if damage is not None:
        journal.warnings.append(damage)
    return journal


def _newer(path: Path, version: int) -> JournalError:
    return JournalError(
        f"The session journal {path} was written by a newer heat-or-ice "
        f"(format {version}); I left it untouched. Update heat-or-ice, or move the file aside"
    )


def _refuse_newer(path: Path) -> None:
    """Raise before anything is written when a newer heat-or-ice made the journal."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return  # the normal open says what is wrong
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error:
        return
    finally:
        conn.close()
    if version > SCHEMA_VERSION:
        raise _newer(path, version)


def _damaged_wal(path: Path) -> str | None:
    """Words for a damaged write-ahead log (kill -9 or power cut, then a bad disk or
    a meddler): SQLite would silently drop what follows the damage. A copy is kept."""
    wal = path.with_name(path.name + "-wal")
    try:
        problem = wal_problem(wal)
    except OSError as exc:
        problem = f"its write-ahead log cannot be read ({exc.strerror or exc})"
    if problem is None:
        return None
    copy = wal.with_name(f"{wal.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        shutil.copyfile(wal, copy)
        private_file(copy)
        kept = f" A copy of it is in {copy}."
    except OSError:
        kept = ""
    return (
        f"The session journal {path} was damaged ({problem}), probably by a crash or a "
        f"power cut, so the last things it saved may be missing.{kept}"
    )


def open_journal_readonly(
    data_dir: Path, config: SessionConfig | None = None, tz: tzinfo | None = None
) -> Journal:
    """Open the journal for reading only (``history``): works on a read-only folder or
    disk, while another heat-or-ice writes it, and never creates or changes anything.
    A missing journal reads as empty."""
    path = data_dir / FILE_NAME
    if not path.is_file():
        return Journal.in_memory(config, tz)
    _refuse_newer(path)
    uri = path.resolve().as_uri()
    problem: sqlite3.Error | None = None
    # immutable=1 is the fallback for a folder where even the WAL index cannot be made.
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(uri + query, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            problem = exc
            continue
        try:
            conn.execute("SELECT COUNT(*) FROM sessions").fetchone()
        except sqlite3.Error as exc:
            problem = exc
            conn.close()
            continue
        return Journal(conn, path, config, tz)
    raise JournalError(
        f"Cannot read the session journal {path} ({problem}). Check the folder's "
        "permissions, or move the file aside to start a new journal."
    )
