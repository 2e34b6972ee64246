"""The session journal: SQLite file with sessions, phases, answers and progress.

Every write is its own committed transaction with ``synchronous=FULL`` (WAL mode
where the filesystem allows), so a ``kill -9`` at any moment loses nothing already
said. On start the assistant asks ``find_interrupted`` whether the last session
ended without an end, and tells the user to take the pack off.

Wall times (Unix seconds) come from the caller; the timer's clock times in a
snapshot are converted with ``wall - (snapshot.now - t)``. Each write of a
session also stores the boot id and time since boot (``clock_marks``), so gap
checks survive the wall clock being changed (see ``JournalStore._effective``). A
session stopped by a signal is closed as "interrupted" and said once at the next
start (``told``).

The work is split by job: journal_schema.py (tables, format version, opening the
file), journal_store.py (connection and time rules), journal_writer.py (writes),
journal_recovery.py (closing what a crash left open),
journal_queries.py (reads), gaps.py (the gap rule and its words).
"""

from __future__ import annotations

import time
from datetime import tzinfo
from pathlib import Path

from voice_assistant import paths
from voice_assistant.clock import Zone, zone_now
from voice_assistant.errors import JournalError
from voice_assistant.runtime.privacy import NotPrivate, check_private_file
from voice_assistant.session.gaps import gap_refusal
from voice_assistant.session.journal.boot_clock import BootClock
from voice_assistant.session.journal.journal_queries import InterruptedSession, JournalQueries
from voice_assistant.session.journal.journal_recovery import JournalRecovery
from voice_assistant.session.journal.journal_schema import (
    FILE_NAME,
    connect_file,
    connect_memory,
    connect_readonly,
)
from voice_assistant.session.numbers import spoken_duration
from voice_assistant.session.plans import APPLICATION_PHASES, Plan, SessionConfig


def default_data_dir() -> Path:
    """Per-user data folder (XDG on Linux: ~/.local/share/heat-or-ice); not created here."""
    return paths.data_dir()


class Journal(JournalRecovery, JournalQueries):
    """All reads and writes of the journal; thread-safe, one connection."""

    @classmethod
    def in_memory(cls, config: SessionConfig | None = None, tz: tzinfo | None = None) -> Journal:
        """A journal that forgets on exit: the fallback when the file cannot be used."""
        return cls(connect_memory(), None, config, tz)

    def gap_check(self, kind: str, now_wall: float, plan: Plan | None = None) -> str | None:
        """None when a session of ``kind`` may start now, else the refusal (see gaps.py)."""
        return gap_refusal(
            self.config, kind, now_wall, self.last_application_end, zone_now(self._tz), plan
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


def open_journal(
    data_dir: Path,
    config: SessionConfig | None = None,
    tz: Zone = None,
    boot: BootClock | None = None,
) -> Journal:
    """Open (or create) ``data_dir/journal.sqlite3``.

    Raises JournalError with a message for the user when the folder is not
    writable or the file is damaged; the caller may fall back to ``Journal.in_memory()``.
    """
    conn, path, damage = connect_file(data_dir)
    journal = Journal(conn, path, config, tz, boot)
    if damage is not None:
        journal.warnings.append(damage)
    journal.warnings.extend(journal.check_rows(time.time()))
    return journal


def open_journal_readonly(
    data_dir: Path,
    config: SessionConfig | None = None,
    tz: Zone = None,
    boot: BootClock | None = None,
) -> Journal:
    """Open the journal for reading only (``history``): works on a read-only folder or
    disk, while another heat-or-ice writes it, and never creates or changes anything.
    A missing journal reads as empty."""
    path = data_dir / FILE_NAME
    try:
        check_private_file(path)
        if not path.exists():
            return Journal(connect_memory(), None, config, tz, boot)
    except NotPrivate as exc:
        raise JournalError(f"Cannot read the session journal: {exc}") from exc
    except OSError as exc:
        raise JournalError(
            f"Cannot read the session journal in {data_dir} ({exc.strerror or exc}). "
            "Check that the folder is yours and readable (ls -ld it)."
        ) from exc
    return Journal(connect_readonly(path), path, config, tz, boot)
