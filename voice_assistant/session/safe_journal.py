"""A journal that never stops the assistant: on a write failure it says so once and goes on.

A full or read-only disk must not silence a running timer. After the first
failure the session continues in memory (nothing more is saved) and the user
is told once, in words, what happened and what to do.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from voice_assistant.errors import JournalError
from voice_assistant.session.journal import Journal

log = logging.getLogger(__name__)


class SafeJournal:
    """Forwards to a real journal; after a failure, to an in-memory one."""

    def __init__(self, journal: Journal, notify: Callable[[str], None], template: str) -> None:
        self.journal = journal
        self.notify = notify
        self.template = template
        self.failed = False
        self._id_map: dict[int, int] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.journal, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return getattr(self.journal, name)(*args, **kwargs)
            except (JournalError, sqlite3.Error, OSError) as exc:
                self._fail(exc)
                if name in {"begin_session"}:
                    return getattr(self.journal, name)(*args, **kwargs)
                if name in {
                    "record_event",
                    "heartbeat",
                    "end_session",
                    "record_answers",
                    "mark_interrupted",
                }:
                    return None
                return getattr(self.journal, name)(*args, **kwargs)

        return call

    def _fail(self, exc: BaseException) -> None:
        log.warning("journal write failed: %s", exc)
        if self.failed:
            return
        self.failed = True
        config = getattr(self.journal, "config", None)
        try:
            self.journal = Journal.in_memory(config)
        except (JournalError, sqlite3.Error) as again:  # pragma: no cover - memory is fine
            log.error("in-memory journal failed too: %s", again)
        self.notify(self.template.format(detail=str(exc).rstrip(".")))
