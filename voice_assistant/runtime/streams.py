"""Printing must never stop speaking: standard streams that fail quietly, and print no
terminal control characters.

A closed terminal, ``heat-or-ice ... | head -1`` or a full disk behind a
redirect make writes to stdout/stderr fail (EPIPE, EBADF, ENOSPC). Printing is
only one of the ways the assistant talks: the failure stops printing on that
stream, never speech, the timer or the journal, and never shows a traceback.

Whatever is printed may quote input (a typed line, a settings key, a file name), so
control characters are written as visible escapes (ESC as ``\\x1b``): input can never
retitle, recolour or rewrite the user's terminal. Newlines and tabs pass.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

_STD_FDS = (0, 1, 2)
_CONTROL = {
    code: f"\\x{code:02x}"
    for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))
    if chr(code) not in "\n\t"
}


def printable(text: str) -> str:
    """``text`` with terminal control characters (C0 but newline and tab, DEL, C1)
    written as visible escapes."""
    return text.translate(_CONTROL)


class GuardedStream:
    """Wraps a text stream; the first failed write or flush silences it for good.

    The file descriptor underneath is then pointed at /dev/null, so the
    interpreter's own flush at exit cannot fail either ("Exception ignored ...
    BrokenPipeError").
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._stream.write(printable(text))
                return len(text)
            except (OSError, ValueError):
                self._break()
        return len(text)

    def flush(self) -> None:
        if self.broken:
            return
        try:
            self._stream.flush()
        except (OSError, ValueError):
            self._break()

    def _break(self) -> None:
        self.broken = True
        try:
            fd = self._stream.fileno()
        except (OSError, ValueError):
            return
        point_at_devnull(fd)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def point_at_devnull(fd: int) -> None:
    """Make ``fd`` a /dev/null descriptor (later writes succeed, unseen); quiet on failure."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, fd)
    except OSError:
        pass
    finally:
        os.close(devnull)


def write_line(stream: TextIO | None, text: str) -> bool:
    """Print ``text`` and a newline; False (and nothing raised) when the stream is unusable."""
    if stream is None:
        return False
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        return False
    return True


def guard_standard_streams() -> None:
    """Call once at program start (cli.main).

    - Standard descriptors that are closed (``heat-or-ice >&-``) are opened on
      /dev/null, so a file opened later (the journal!) can never become fd 1
      and receive what a child process prints.
    - sys.stdout and sys.stderr become :class:`GuardedStream`.
    - Logging handlers never print a traceback of their own failures
      (``logging.raiseExceptions = False``): a full disk or a broken stderr
      silences the log, nothing else.
    """
    for fd in _STD_FDS:
        try:
            os.fstat(fd)
        except OSError:
            flags = os.O_RDONLY if fd == 0 else os.O_WRONLY
            opened = os.open(os.devnull, flags)
            if opened != fd:  # a lower descriptor was free too: move it
                os.dup2(opened, fd)
                os.close(opened)
    logging.raiseExceptions = False
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, GuardedStream):
            setattr(sys, name, GuardedStream(stream))
