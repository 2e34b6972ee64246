"""Private by default: our folders are 0700 and our files 0600, ours alone, never reached
through a link.

Answers about bladder trouble or numbness are health data. This module is the one
place for the rules:

- a folder we use (data folder, saved speech, phrase cache) must be a real folder
  owned by the running user; one owned by someone else (pre-created in /tmp by
  another user, or left root-owned by ``sudo -E``) is refused with
  :class:`NotPrivate`, a message for a person;
- a file is opened with ``O_NOFOLLOW`` (and ``O_NONBLOCK``, so a FIFO never hangs),
  then checked on its descriptor: a regular file owned by us, or refused;
  new files are made with ``O_EXCL`` where a name may be planted (copies);
- modes are only ever tightened, through the open descriptor (``fchmod``), so no
  symlink is followed; an existing folder is tightened only when it holds nothing
  but our files, so pointing ``--data-dir`` at a shared folder never changes that
  folder's permissions.

``os.open(..., 0o600)`` is never widened by the umask.
"""

from __future__ import annotations

import errno
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
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class NotPrivate(OSError):
    """A folder or file we must not use: someone else's, a link, or not a regular file.

    An OSError, so code that skips a file it cannot write skips this one too; ``str()``
    is the whole message for the user (what is wrong and what to do).
    """

    def __init__(self, message: str) -> None:
        super().__init__(errno.EPERM, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _owner_problem(path: Path, info: os.stat_result, what: str) -> str | None:
    if info.st_uid != os.getuid():
        return (
            f"The {what} {path} belongs to another user (uid {info.st_uid}), so what is "
            "saved there would not be private. I won't use it: remove it, or choose "
            "another folder with --data-dir."
        )
    return None


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def special_file_problem(path: Path, info: os.stat_result) -> str | None:
    """Words for ``path`` when it is not a regular file (FIFO, device, folder), else None."""
    if stat.S_ISREG(info.st_mode):
        return None
    return f"{path} is {_kind(info.st_mode)}, not a regular file"


def check_folder(path: Path) -> os.stat_result:
    """``path`` is a folder of ours (a link to one is allowed); NotPrivate otherwise.

    Other OSErrors (missing, cannot be searched) are raised as they are.
    """
    info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise NotPrivate(
            f"{path} is {_kind(info.st_mode)}, not a folder. Remove it, or choose another "
            "folder with --data-dir."
        )
    problem = _owner_problem(path, info, "folder")
    if problem:
        raise NotPrivate(problem)
    return info


def private_folder(path: Path) -> None:
    """Create ``path`` as 0700 (parents with the usual modes); tighten it if it is ours alone.

    Raises NotPrivate when it exists but is not ours, OSError when it cannot be made.
    """
    created = False
    if not os.path.lexists(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(path, FOLDER_MODE)
            created = True
        except FileExistsError:
            pass
    check_folder(path)
    if created or _only_ours(path):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            _tighten_fd(fd, path, FOLDER_MODE)
        finally:
            os.close(fd)


def _only_ours(path: Path) -> bool:
    try:
        return all(entry.name.startswith(OUR_PREFIXES) for entry in path.iterdir())
    except OSError:
        return False


def _tighten_fd(fd: int, path: Path, mode: int) -> None:
    try:
        current = stat.S_IMODE(os.fstat(fd).st_mode)
        if current & ~mode:
            os.fchmod(fd, current & mode)
    except OSError as exc:  # read-only filesystem: nothing to protect here
        log.debug("could not tighten %s: %s", path, exc)


def open_private(
    path: Path, flags: int = os.O_RDWR | os.O_CREAT, *, exclusive: bool = False
) -> int:
    """Open (creating 0600 when ``flags`` has O_CREAT) a regular file of ours, never
    through a link and never blocking on a FIFO; tightened to 0600. Returns the
    descriptor (blocking again). ``exclusive``: the file must be new (O_EXCL).

    Raises NotPrivate for a link, a special file or someone else's file; OSError else.
    """
    flags |= _NOFOLLOW | (os.O_EXCL | os.O_CREAT if exclusive else 0)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotPrivate(
                f"{path} is a link, so I won't open it (it could point at any file). "
                "Remove the link."
            ) from exc
        if exc.errno == errno.ENXIO:  # a FIFO with no reader, a device without a driver
            raise NotPrivate(
                f"{path} is not a regular file. Remove it, or choose another "
                "folder with --data-dir."
            ) from exc
        raise
    try:
        info = os.fstat(fd)
        problem = special_file_problem(path, info) or _owner_problem(path, info, "file")
        if problem:
            raise NotPrivate(problem + ". Remove it, or choose another folder with --data-dir.")
        _tighten_fd(fd, path, FILE_MODE)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def private_file(path: Path) -> None:
    """Create ``path`` (empty) as 0600 if missing; tighten it if it exists.

    Raises NotPrivate (a link, a FIFO, someone else's) or OSError."""
    os.close(open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND))


def check_private_file(path: Path) -> None:
    """When ``path`` exists, it must be a regular file of ours, not a link (tightened to
    0600); NotPrivate otherwise. A missing file is fine (whoever makes it makes it 0600)."""
    try:
        fd = open_private(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    os.close(fd)


def tighten_files(paths: list[Path]) -> None:
    """Make each of ``paths`` that exists 0600 (journal -wal/-shm after opening); links,
    special files and other users' files are left alone (see :func:`check_private_file`)."""
    for path in paths:
        try:
            check_private_file(path)
        except OSError as exc:
            log.debug("not tightening %s: %s", path, exc)


def read_private(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file (no link followed, no FIFO waited on).

    FileNotFoundError when missing; NotPrivate for a link or special file; OSError else.
    """
    fd = open_private(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as stream:
        return stream.read(limit)


def _private_opener(path: str, flags: int) -> int:
    return open_private(Path(path), flags)


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log whose files (also those made at rollover) are 0600, never a link."""

    def _open(self) -> TextIOWrapper:
        return open(
            self.baseFilename,
            "a",  # rotating logs always append
            encoding=self.encoding,
            errors=self.errors,
            opener=_private_opener,
        )
