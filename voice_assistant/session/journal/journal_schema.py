"""The journal file: its tables, its format version, and opening it safely.

Opening refuses a journal written by a newer heat-or-ice before anything is
written, checks integrity, makes the file private, and reports a damaged
write-ahead log (kill -9 or power cut) in words, keeping a copy of it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

from voice_assistant.errors import JournalError, JournalNotWritable
from voice_assistant.runtime.privacy import (
    NotPrivate,
    check_private_file,
    open_private,
    private_file,
    private_folder,
    read_private,
    tighten_files,
)
from voice_assistant.session.journal.wal_check import wal_problem

log = logging.getLogger(__name__)

FILE_NAME = "journal.sqlite3"
WAL_COPY_LIMIT = 1 << 30  # bytes of a damaged write-ahead log kept
SCHEMA_VERSION = 1

SCHEMA = """
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


def connect_memory() -> sqlite3.Connection:
    """A journal database that forgets on exit."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.executescript(SCHEMA)
    return conn


def connect_file(data_dir: Path) -> tuple[sqlite3.Connection, Path, str | None]:
    """Open (or create) ``data_dir/journal.sqlite3``: the connection, the file, and
    words about a damaged write-ahead log (None when it was sound).

    Raises JournalError with a message for the user when the folder is not
    writable or the file is damaged.
    """
    try:
        private_folder(data_dir)
    except NotPrivate as exc:
        raise JournalError(str(exc)) from exc
    except OSError as exc:
        raise JournalError(
            f"Cannot create the folder for the session journal, {data_dir} "
            f"({exc.strerror or exc}). Sessions will not be remembered: choose another "
            "folder with --data-dir or fix its permissions."
        ) from exc
    path = data_dir / FILE_NAME
    companions = [path.with_name(path.name + end) for end in ("-wal", "-shm")]
    try:  # SQLite opens these by name: none may be a link, a FIFO or someone else's
        private_file(path)  # 0600 before SQLite makes -wal/-shm, which copy its mode
        for companion in companions:
            check_private_file(companion)
    except NotPrivate as exc:
        raise JournalError(str(exc)) from exc
    except OSError:
        pass  # the connect below says what is wrong in words
    _refuse_newer(path)
    damage = _damaged_wal(path)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        tighten_files([path, *companions])
        conn.execute("PRAGMA synchronous=FULL")
        check = conn.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {check}")
        with conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:  # checked again: it may have changed meanwhile
                raise _newer(path, version)
            conn.executescript(SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except JournalError:
        if conn is not None:
            conn.close()
        raise
    except sqlite3.OperationalError as exc:
        if conn is not None:
            conn.close()
        raise JournalNotWritable(
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
    return conn, path, damage


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
    kept = ""
    try:
        copy = _keep_copy(wal)
        kept = f" A copy of it is in {copy}."
    except OSError as exc:
        log.warning("no copy of the damaged log %s: %s", wal, exc)
    return (
        f"The session journal {path} was damaged ({problem}), probably by a crash or a "
        f"power cut, so the last things it saved may be missing.{kept}"
    )


def _keep_copy(wal: Path) -> Path:
    """A new private file (O_EXCL, no link followed) holding what ``wal`` holds."""
    data = read_private(wal, WAL_COPY_LIMIT)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(100):
        suffix = "" if attempt == 0 else f"-{attempt}"
        copy = wal.with_name(f"{wal.name}.damaged-{stamp}{suffix}")
        try:
            fd = open_private(copy, os.O_WRONLY | os.O_CREAT, exclusive=True)
        except FileExistsError:
            continue  # a name taken (or planted): never written through
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return copy
    raise FileExistsError(f"no free name for a copy of {wal}")


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Read-only access to an existing journal file, that never creates or changes
    anything (works on a read-only folder or disk, and while another heat-or-ice writes it)."""
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
        return conn
    raise JournalError(
        f"Cannot read the session journal {path} ({problem}). Check the folder's "
        "permissions, or move the file aside to start a new journal."
    )
