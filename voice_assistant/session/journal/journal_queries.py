"""Reading the journal: history, the session left unfinished, and the last pack.

A stored time after "now" means the wall clock was turned back since it was
written; ``last_application_end`` corrects such times once (``_pull_back``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from voice_assistant.errors import JournalError
from voice_assistant.session.journal import journal_values as check
from voice_assistant.session.journal.journal_store import CLOCK_SLACK, RECENT_SESSIONS, JournalStore
from voice_assistant.session.journal.journal_values import BadRow

log = logging.getLogger(__name__)


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
class HistoryRow:
    session_id: int
    kind: str
    started: float
    ended: float | None
    ended_how: str | None  # None: not finished (running, or interrupted and not yet marked)
    planned_minutes: float
    actual_minutes: float | None


class JournalQueries(JournalStore):
    """Every read of the journal."""

    def check_rows(self, now_wall: float) -> list[str]:
        """Words for each recent row with an impossible value (read as the start will read
        them); those rows are skipped by every query."""
        self.find_interrupted(now_wall)
        self.history(RECENT_SESSIONS)
        return [
            f"The session journal {self.path or 'in memory'} holds a record with an impossible "
            f"value ({problem}), so I skipped it."
            for problem in self.bad_rows
        ]

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
        try:
            return self._interrupted(rows[0], now_wall)
        except BadRow as exc:
            self._skip(rows[0][0], exc)
            return None

    def _interrupted(self, row: tuple[object, ...], now_wall: float) -> InterruptedSession:
        sid, kind, phase, index, status, awaiting, started, updated, remaining = row[:9]
        last_seen = check.wall(updated, "its last heartbeat")
        seen = self._effective(last_seen, check.clock_mark(row[9:]), now_wall, self._now_boot())
        return InterruptedSession(
            session_id=check.integer(sid, "its id"),
            kind=check.text(kind, "its kind"),
            phase=check.text(phase, "its phase"),
            phase_index=check.integer(index, "its phase number"),
            status=check.text(status, "its status"),
            awaiting=check.text(awaiting, "what it waited for"),
            started=check.wall(started, "its start"),
            last_seen=last_seen,
            minutes_ago=max(0.0, now_wall - seen) / 60,
            minutes_left=check.seconds(remaining, "the time left") / 60,
        )

    def _skip(self, session_id: object, exc: BadRow) -> None:
        """Report a row with an impossible value, once; the caller skips it."""
        problem = f"session {session_id}: {exc}"
        if problem not in self.bad_rows:
            self.bad_rows.append(problem)
            log.warning("journal row skipped, %s", problem)

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
            try:
                ended_at = check.wall(ended, "the end of a phase")
            except BadRow as exc:
                self._skip(session_id, exc)
                continue
            checked = check.clock_mark(tuple(mark))
            ends.append(self._effective(ended_at, checked, now_wall, now))
            if not self._same_boot(checked, now) and ended_at > now_wall + CLOCK_SLACK:
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
            try:
                updated_at = check.wall(updated, "its last heartbeat")
                left = check.seconds(remaining, "the time left")
                state = check.text(status, "its status")
            except BadRow as exc:
                self._skip(session_id, exc)
                continue
            checked = check.clock_mark(tuple(mark))
            seen = self._effective(updated_at, checked, now_wall, now)
            ends.append(self._assumed_end(state, left, seen, now_wall))
            if not self._same_boot(checked, now) and updated_at > now_wall + CLOCK_SLACK:
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

    def history(self, limit: int = 20) -> list[HistoryRow]:
        """The latest sessions, newest first."""
        rows = self._read(
            "SELECT s.id, s.kind, s.started, s.ended, s.ended_how, s.planned_minutes,"
            " COALESCE(s.actual_minutes, (SELECT SUM(seconds) / 60.0 FROM phases f"
            "   WHERE f.session_id = s.id AND f.phase != 'rest'))"
            " FROM sessions s ORDER BY s.started DESC, s.id DESC LIMIT ?",
            (limit,),
        )
        history = []
        for r in rows:
            try:
                history.append(
                    HistoryRow(
                        check.integer(r[0], "its id"),
                        check.text(r[1], "its kind"),
                        check.wall(r[2], "its start"),
                        check.optional_wall(r[3], "its end"),
                        None if r[4] is None else check.text(r[4], "how it ended"),
                        check.minutes(r[5], "its planned minutes"),
                        None if r[6] is None else check.minutes(r[6], "its minutes"),
                    )
                )
            except BadRow as exc:
                self._skip(r[0], exc)
        return history

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
