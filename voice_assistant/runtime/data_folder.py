"""The data folder at start: claim it, open its journal safely, keep its log.

Split from ``app.py`` because these are the start-up steps that touch the user's
folder (lock file, journal, log file) and say, printed and spoken, what went wrong
there; the composition root only calls them in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voice_assistant.clock import local_zone
from voice_assistant.dialog.script import DialogScript
from voice_assistant.errors import AssistantError, JournalNotWritable
from voice_assistant.ports import Speaker
from voice_assistant.runtime.lock import AlreadyRunning, DataFolderLock
from voice_assistant.runtime.output import TurnSink
from voice_assistant.session.journal.boot_clock import boot_time
from voice_assistant.session.journal.journal import Journal, open_journal, open_journal_readonly
from voice_assistant.session.journal.journal_schema import FILE_NAME
from voice_assistant.session.journal.safe_journal import SafeJournal
from voice_assistant.session.numbers import spoken_clock_time
from voice_assistant.session.plans import SessionConfig

if TYPE_CHECKING:
    from voice_assistant.hearing.listener import VoiceListener

log = logging.getLogger(__name__)

LOG_FILE = "heat-or-ice.log"


def log_to_file(data_dir: Path, level_name: str = "INFO") -> None:
    """Keep a small, private log in the data folder, as detailed as ``[debug] log_level`` asks.

    Silently skipped when it can't be written. The terminal keeps its own threshold
    (errors only, or everything with --verbose).
    """
    from voice_assistant.runtime.privacy import PrivateRotatingFileHandler, private_folder

    level = logging.getLevelName(level_name.upper())
    if not isinstance(level, int):
        level = logging.INFO
    try:
        private_folder(data_dir)
        handler = PrivateRotatingFileHandler(
            data_dir / LOG_FILE, maxBytes=1_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:
        return
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("transitions").setLevel(max(level, logging.WARNING))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > level:
        for existing in root.handlers:
            if existing is not handler and existing.level == logging.NOTSET:
                existing.setLevel(root.level)
        root.setLevel(level)


def claim_data_folder(
    data_dir: Path, script: DialogScript, sink: TurnSink, speaker: Speaker
) -> DataFolderLock | None:
    """Lock the data folder; None after saying (printed and spoken) that another copy has it.

    Nothing in the journal is touched before this, so a second start never marks
    the first one's live session as interrupted.
    """
    lock = DataFolderLock(data_dir)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        if exc.pid is None:
            message = script.device_messages["already_running_unknown"]
        else:
            message = script.device_messages["already_running"].format(pid=exc.pid)
        sink.notice(message)
        speaker.say(message)
        return None
    return lock


class Teller:
    """Says a message about the product itself: printed (stderr) and spoken, with the
    microphone muted meanwhile. For problems the user must hear, not only read."""

    def __init__(self, sink: TurnSink, speaker: Speaker) -> None:
        self.sink = sink
        self.speaker = speaker
        self.gate: VoiceListener | None = None

    def __call__(self, text: str, spoken: str | None = None) -> None:
        """Print ``text``; speak ``spoken`` (a version without file paths) or ``text``."""
        self.sink.notice(text)
        gate = self.gate
        if gate is not None:
            gate.mute(True)
        try:
            self.speaker.say(spoken or text)
        except (AssistantError, OSError, RuntimeError) as exc:  # printed already
            log.warning("could not say %r: %s", text, exc)
        finally:
            if gate is not None:
                gate.mute(False)


def open_safe_journal(
    data_dir: Path,
    config: SessionConfig,
    script: DialogScript,
    sink: TurnSink,
    tell: Teller | None = None,
    lock: DataFolderLock | None = None,
) -> SafeJournal:
    """The journal in the data folder; in memory (said once) when that is impossible.

    Problems are said with ``tell`` (printed in full, spoken in short; printed only
    by default).
    With the data folder's ``lock``, what a full disk kept out of the journal last
    time is put back first, and kept in the lock's note if it happens this time.
    """
    messages = script.device_messages

    def say(text: str, spoken_key: str | None = None) -> None:
        if tell is None:
            sink.notice(text)
        else:
            tell(text, messages[spoken_key] if spoken_key else None)

    read_only = None
    try:
        journal = open_journal(data_dir, config, tz=local_zone, boot=boot_time)
    except JournalNotWritable as exc:
        read_only = readable_journal(data_dir, config)
        detail = str(exc).rstrip(".")
        key = "journal_unavailable" if read_only is None else "journal_read_only"
        say(messages[key].format(detail=detail), key + "_spoken")
        journal = Journal.in_memory(config)
    except AssistantError as exc:
        detail = str(exc).rstrip(".")
        say(messages["journal_unavailable"].format(detail=detail), "journal_unavailable_spoken")
        journal = Journal.in_memory(config)
    for warning in journal.warnings:
        say(messages["journal_damaged"].format(detail=warning), "journal_damaged_spoken")
    note = None
    if lock is not None and lock.held:
        if journal.path is not None and lock.previous.get("unsaved"):
            _restore_unsaved(journal, lock, config, messages, say)

        def note(unsaved: dict[str, Any] | None) -> bool:
            return lock.note(unsaved=unsaved)

    return SafeJournal(
        journal,
        lambda text: say(text, "journal_failed_spoken"),
        messages["journal_failed"],
        note,
        read_only=read_only,
    )


def readable_journal(data_dir: Path, config: SessionConfig) -> Journal | None:
    """The journal opened read-only, when it cannot be written (disk full, read-only
    filesystem) but can still be read; None when there is none or it cannot be read."""
    if not (data_dir / FILE_NAME).is_file():
        return None
    try:
        return open_journal_readonly(data_dir, config, tz=local_zone, boot=boot_time)
    except AssistantError as exc:
        log.warning("cannot read the journal either: %s", exc)
        return None


def _restore_unsaved(
    journal: Journal,
    lock: DataFolderLock,
    config: SessionConfig,
    messages: Mapping[str, str],
    say: Callable[[str], None],
) -> None:
    """The last run's disk filled up: record what it knew, and say so honestly."""
    try:
        restored = journal.restore_unsaved(lock.previous["unsaved"])
    except AssistantError as exc:
        log.warning("could not restore the unsaved session: %s", exc)
        return  # the note stays for the next start
    lock.note(unsaved=None)
    session = config.session_name(restored.kind)
    if restored.ended_how is None:
        say(messages["journal_lost_end"].format(session=session))
        return
    ended = spoken_clock_time(restored.last_seen, local_zone(), reference=time.time())
    say(messages["journal_restored_end"].format(session=session, time=ended))
