"""One assistant per data folder: an exclusive ``flock`` on ``heat-or-ice.lock``.

Two assistants on one journal would each see the other's live session as
"interrupted" and close it. The lock belongs to the open file, so the kernel
releases it when the process ends in any way (kill -9 included): a lock file
left behind is simply taken over, never "stale".

The file also carries a small note (JSON, padded to a fixed size and rewritten
in place, so it needs no new disk space): the holder's process id for the
"already running" message, and what the last run could not save in the journal
when the disk was full (see ``session/journal/safe_journal.py``).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
from pathlib import Path
from typing import Any

from voice_assistant.errors import AssistantError
from voice_assistant.runtime.privacy import NotPrivate, open_private, private_folder

log = logging.getLogger(__name__)

LOCK_FILE = "heat-or-ice.lock"
NOTE_BYTES = 4096


class AlreadyRunning(AssistantError):
    """Another heat-or-ice holds the data folder."""

    def __init__(self, pid: int | None) -> None:
        super().__init__(f"heat-or-ice is already running for this data folder (process {pid})")
        self.pid = pid


class DataFolderLock:
    """Hold it for the life of the process; :meth:`acquire` raises AlreadyRunning."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None
        self.previous: dict[str, Any] = {}  # the note the last run left
        self._note: dict[str, Any] = {}

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock. False (and no error) when the folder cannot hold a lock file:
        then the journal cannot be written either and runs in memory."""
        try:
            private_folder(self.path.parent)
            fd = open_private(self.path)
        except NotPrivate as exc:  # the journal is refused too, and says why
            log.warning("no lock file in %s: %s", self.path.parent, exc)
            return False
        except OSError as exc:
            try:
                fd = open_private(self.path, os.O_RDONLY)
            except OSError:
                log.warning("no lock file in %s: %s", self.path.parent, exc)
                return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            note = _read(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                pid = note.get("pid")
                raise AlreadyRunning(pid if isinstance(pid, int) else None) from exc
            log.warning("could not lock %s: %s", self.path, exc)
            return False
        self._fd = fd
        self.previous = _read(fd)
        self._note = {"pid": os.getpid()}
        if self.previous.get("unsaved"):  # keep it until the journal has taken it in
            self._note["unsaved"] = self.previous["unsaved"]
        self._write()
        return True

    def note(self, **values: Any) -> bool:
        """Add ``values`` to the note (``None`` removes a key); False if it could not be saved."""
        for key, value in values.items():
            if value is None:
                self._note.pop(key, None)
            else:
                self._note[key] = value
        return self._write()

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _write(self) -> bool:
        if self._fd is None:
            return False
        data = json.dumps(self._note, separators=(",", ":")).encode()
        if len(data) >= NOTE_BYTES:
            log.warning("lock note too long, not saved")
            return False
        try:
            os.pwrite(self._fd, data.ljust(NOTE_BYTES, b" "), 0)  # same size: no new blocks
            os.fsync(self._fd)
        except OSError as exc:
            log.warning("could not write the lock note: %s", exc)
            return False
        return True


def _read(fd: int) -> dict[str, Any]:
    try:
        raw = os.pread(fd, NOTE_BYTES, 0)
        data = json.loads(raw.decode().strip() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
