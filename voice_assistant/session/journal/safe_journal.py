"""A journal that never stops the assistant: on a write failure it says so once and goes on.

A full or read-only disk must not silence a running timer. After the first
failure the session continues in memory and the user is told once, in words
(printed and spoken), what happened and what to do.

So that the next start reports the true state rather than a false
"interrupted", what the journal could not save about the running session is
kept in a small note (``note``: the lock file's note, rewritten in place, so it
needs no new disk space). The next start puts it into the journal
(:meth:`Journal.restore_unsaved`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from voice_assistant.errors import JournalError
from voice_assistant.events import TimerEvent
from voice_assistant.session.journal.journal import Journal
from voice_assistant.session.journal.journal_queries import HistoryRow, InterruptedSession
from voice_assistant.session.journal.journal_store import to_wall
from voice_assistant.session.plans import Plan
from voice_assistant.session.timer.timer_state import TimerSnapshot

log = logging.getLogger(__name__)

NoteWriter = Callable[[dict[str, Any] | None], bool]
_FAILURES = (JournalError, sqlite3.Error, OSError)
_T = TypeVar("_T")


class SafeJournal:
    """A JournalPort that forwards to a real journal; after a failure, to an in-memory one.

    A failed write is dropped (said once); a failed read is asked again of the
    in-memory journal. ``read_only``: the journal file could not be written at start
    but can be read; it still answers for an interrupted session and the gap between
    packs, while new sessions live in memory only.
    """

    def __init__(
        self,
        journal: Journal,
        notify: Callable[[str], None],
        template: str,
        note: NoteWriter | None = None,
        *,
        read_only: Journal | None = None,
    ) -> None:
        self.journal = journal
        self.notify = notify
        self.template = template
        self.note = note
        self.failed = False
        self.real = journal  # still readable on a full disk: gap checks keep using it
        if read_only is not None:  # could not be written at start (said already): read it
            self.real, self.failed = read_only, True
        self._sessions: dict[int, dict[str, Any]] = {}  # id -> kind, plan, started
        self._told_elsewhere: set[int] = set()  # interrupted sessions found in ``real`` only

    # --- reads: asked again of the in-memory journal after a failure -------------------------

    def find_interrupted(self, now_wall: float) -> InterruptedSession | None:
        """Also in the read-only journal, when the journal could not be written at start."""
        found = self._read(lambda journal: journal.find_interrupted(now_wall))
        if found is None and self.real is not self.journal:
            try:
                found = self.real.find_interrupted(now_wall)
            except (JournalError, sqlite3.Error) as exc:
                log.warning("could not read the journal for an interrupted session: %s", exc)
            if found is not None:
                self._told_elsewhere.add(found.session_id)
        return found

    def interrupted_message(self, info: InterruptedSession) -> str:
        return self._read(lambda journal: journal.interrupted_message(info))

    def history(self, limit: int = 20) -> list[HistoryRow]:
        return self._read(lambda journal: journal.history(limit))

    def events(self, session_id: int) -> list[tuple[str, str]]:
        return self._read(lambda journal: journal.events(session_id))

    def answers(self, conversation_id: str) -> list[tuple[str, str, float]]:
        return self._read(lambda journal: journal.answers(conversation_id))

    def gap_check(self, kind: str, now_wall: float, plan: Plan | None = None) -> str | None:
        """Refuse when either the journal or (after a failure) the in-memory one says so."""
        refusal = self.journal.gap_check(kind, now_wall, plan)
        if refusal is None and self.real is not self.journal:
            try:
                refusal = self.real.gap_check(kind, now_wall, plan)
            except (JournalError, sqlite3.Error) as exc:
                log.warning("could not read the journal for the gap check: %s", exc)
        return refusal

    # --- writes: dropped after a failure (the note keeps the running session) ------------------

    def record_answers(
        self,
        conversation_id: str,
        answers: Mapping[str, str] | Iterable[tuple[str, str]],
        wall: float,
        session_id: int | None = None,
    ) -> None:
        self._write(
            lambda journal: journal.record_answers(conversation_id, answers, wall, session_id)
        )

    def mark_interrupted(self, session_id: int, now_wall: float) -> None:
        if session_id in self._told_elsewhere:
            return  # in a journal that cannot be written: said again at the next start
        self._write(lambda journal: journal.mark_interrupted(session_id, now_wall))

    # --- the running session: remember what could not be saved ---------------------------

    def begin_session(
        self, kind: str, plan: Plan, wall: float, conversation_id: str | None = None
    ) -> int:
        try:
            session_id = self.journal.begin_session(kind, plan, wall, conversation_id)
            saved = not self.failed
        except _FAILURES as exc:
            self._fail(exc)
            session_id = self.journal.begin_session(kind, plan, wall, conversation_id)
            saved = False
        self._sessions[session_id] = {
            "kind": kind,
            "plan": plan.to_json(),
            "started": wall,
            "saved": saved,
        }
        if not saved:
            self._remember(session_id, None, wall, None)
        return session_id

    def record_event(
        self,
        session_id: int,
        snapshot: TimerSnapshot,
        wall: float,
        event: TimerEvent | None = None,
    ) -> None:
        self._write(lambda journal: journal.record_event(session_id, snapshot, wall, event))
        how = snapshot.ended_how if snapshot.status == "finished" else None
        self._remember(session_id, snapshot, wall, how)

    def heartbeat(self, session_id: int, snapshot: TimerSnapshot, wall: float) -> None:
        self._write(lambda journal: journal.heartbeat(session_id, snapshot, wall))
        self._remember(session_id, snapshot, wall, None)

    def end_session(
        self,
        session_id: int,
        snapshot: TimerSnapshot,
        wall: float,
        how: str | None = None,
        last_seen: TimerSnapshot | None = None,
    ) -> None:
        self._write(lambda journal: journal.end_session(session_id, snapshot, wall, how, last_seen))
        ended_how = how or snapshot.ended_how or "completed"
        self._remember(session_id, last_seen or snapshot, wall, ended_how, final=snapshot)

    def _read(self, read: Callable[[Journal], _T]) -> _T:
        try:
            return read(self.journal)
        except _FAILURES as exc:
            self._fail(exc)
            return read(self.journal)

    def _write(self, write: Callable[[Journal], None]) -> None:
        try:
            write(self.journal)
        except _FAILURES as exc:
            self._fail(exc)

    def _remember(
        self,
        session_id: int,
        snapshot: TimerSnapshot | None,
        wall: float,
        how: str | None,
        final: TimerSnapshot | None = None,
    ) -> None:
        """After a failure, keep the note up to date with what the journal lacks."""
        session = self._sessions.get(session_id)
        if not self.failed or self.note is None or session is None:
            return
        unsaved: dict[str, Any] = {
            "session": session_id if session["saved"] else None,
            "kind": session["kind"],
            "plan": session["plan"],
            "started": session["started"],
            "wall": wall,
            "how": how,
        }
        if snapshot is not None:
            unsaved["progress"] = [
                snapshot.phase_index,
                snapshot.phase,
                snapshot.status,
                snapshot.awaiting,
                snapshot.planned_seconds,
                snapshot.elapsed,
                snapshot.remaining,
            ]
            phases_from = final or snapshot
            unsaved["phases"] = [
                [
                    r.index,
                    None if r.started is None else to_wall(phases_from, wall, r.started),
                    None if r.ended is None else to_wall(phases_from, wall, r.ended),
                    r.ended_how,
                    r.seconds,
                ]
                for r in phases_from.phases
            ]
        if not self.note(unsaved):
            log.warning("could not keep a note of the unsaved session either")

    def _fail(self, exc: BaseException) -> None:
        log.warning("journal write failed: %s", exc)
        if self.failed:
            return
        self.failed = True
        try:
            self.journal = Journal.in_memory(self.journal.config)
        except (JournalError, sqlite3.Error) as again:  # pragma: no cover - memory is fine
            log.error("in-memory journal failed too: %s", again)
        self.notify(self.template.format(detail=str(exc).rstrip(".")))
