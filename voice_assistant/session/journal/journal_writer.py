"""Writing the journal: a session's start, every announcement, its end, and repairs.

So that a ``kill -9`` at any moment loses nothing already said, each write is
its own committed transaction, and each also stores the boot id and time since
boot (``clock_marks``) for the clock-change rules in journal_store.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from voice_assistant.events import TimerEvent
from voice_assistant.session.journal.journal_store import ENDED_HOW, JournalStore, to_wall
from voice_assistant.session.plans import APPLICATION_PHASES, Plan
from voice_assistant.session.timer.timer_state import TimerSnapshot


class JournalWriter(JournalStore):
    """Every write of the journal (sessions, progress, events, answers)."""

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

    def _mark_clock(self, conn: sqlite3.Connection, session_id: int, wall: float) -> None:
        now = self._boot() if self._boot is not None else None
        if now is not None:
            conn.execute(
                "INSERT OR REPLACE INTO clock_marks (session_id, wall, boot_id, since_boot)"
                " VALUES (?, ?, ?, ?)",
                (session_id, wall, now.boot_id, now.seconds),
            )

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
