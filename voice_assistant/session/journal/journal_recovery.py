"""Closing what a crash or a full disk left open, at the next start.

A session that never ended is closed as "interrupted" (assuming the pack may
have stayed on, the safe reading for gap checks); what a full disk kept out of
the journal is put back from the lock file's note (see safe_journal.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voice_assistant.errors import JournalError
from voice_assistant.session.journal.journal_store import ENDED_HOW
from voice_assistant.session.journal.journal_writer import JournalWriter
from voice_assistant.session.plans import Plan


@dataclass(frozen=True)
class UnsavedSession:
    """A session whose end a full disk kept out of the journal, restored at the next start."""

    session_id: int
    kind: str
    last_seen: float  # Unix seconds: its end, or the last thing known about it
    ended_how: str | None  # None: the program was stopped before the session ended


class JournalRecovery(JournalWriter):
    """Repairs of sessions that did not end normally."""

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
