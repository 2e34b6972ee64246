"""Private by default: the data folder is 0700, the journal and the log 0600, whatever the umask.

Answers about bladder trouble or numbness are health data. Files are created
with owner-only modes (``os.open(..., 0o600)`` is never widened by the umask),
and files of ours found with looser modes are tightened on open. An existing
folder is tightened only when it holds nothing but our files, so pointing
``--data-dir`` at a shared folder never changes that folder's permissions.
"""

from __future__ import annotations

import logging
import os
import stat
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
OUR_PREFIXES = ("journal.sqlite3", "heat-or-ice.log", "heat-or-ice.lock")


def tighten(path: Path, mode: int) -> None:
    """Drop permission bits outside ``mode`` from ``path`` if it is ours; never widen."""
    try:
        info = path.stat()
        if info.st_uid != os.getuid():
            return
        current = stat.S_IMODE(info.st_mode)
        if current & ~mode:
            os.chmod(path, current & mode)
    except OSError as exc:  # read-only filesystem, vanished file: nothing to protect here
        log.debug("could not tighten %s: %s", path, exc)


def private_folder(path: Path) -> None:
    """Create ``path`` as 0700 (parents with the usual modes); tighten it if it is ours alone.

    Raises OSError when it cannot be created.
    """
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    if not existed or _only_ours(path):
        tighten(path, FOLDER_MODE)


def _only_ours(path: Path) -> bool:
    try:
        return all(entry.name.startswith(OUR_PREFIXES) for entry in path.iterdir())
    except OSError:
        return False


def private_file(path: Path) -> None:
    """Create ``path`` (empty) as 0600 if missing; tighten it if it exists. Raises OSError."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    tighten(path, FILE_MODE)


def tighten_files(paths: list[Path]) -> None:
    """Make each of ``paths`` that exists 0600 (journal -wal/-shm after opening)."""
    for path in paths:
        if path.exists():
            tighten(path, FILE_MODE)


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, FILE_MODE)


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log whose files (also those made at rollover) are 0600."""

    def _open(self) -> TextIOWrapper:
        stream = open(  # noqa: SIM115 - the handler owns and closes it
            self.baseFilename,
            "a",  # rotating logs always append
            encoding=self.encoding,
            errors=self.errors,
            opener=_private_opener,
        )
        tighten(Path(self.baseFilename), FILE_MODE)
        return stream
