"""Printing that can never hold up the assistant: lines go to a thread of their own.

A terminal stopped with Ctrl-S, or a pipe whose reader stopped reading, blocks every
write to it. The assistant prints before it speaks, so a blocked print used to hold up
speech, the timer and the journal: "time's up" was never said. Here the loop only puts a
line into a bounded queue and goes on; a thread of its own writes it. When the queue is
full the line is dropped and counted, never waited for: a stalled console loses printed
lines, never speech or the journal. At exit what is queued is written within a short
deadline, then left.

A stream with a file descriptor is written with ``os.write`` on that descriptor, not
through the stream's buffer: a thread blocked inside the buffer would hold its lock, and
the interpreter's own flush at exit would then abort the program.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import TextIO

from voice_assistant.runtime.streams import point_at_devnull, printable, write_line

log = logging.getLogger(__name__)

QUEUE_LINES = 256
"""Lines waiting to be printed; more are dropped (a full screen of turns is far less)."""
CLOSE_SECONDS = 1.0
"""How long the exit waits for queued lines to be printed."""

WriteLine = Callable[[str], bool]
"""Prints one line (a newline is added); False when the stream is unusable for good."""

_CLOSE = object()


def line_writer_for(stream: TextIO) -> WriteLine:
    """How to print a line on ``stream``: straight to its descriptor when it has one."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return lambda text: write_line(stream, text)
    with contextlib.suppress(OSError, ValueError):
        stream.flush()  # what was printed before goes first
    encoding = getattr(stream, "encoding", None) or "utf-8"

    def write(text: str) -> bool:
        data = (printable(text) + "\n").encode(encoding, "backslashreplace")
        try:
            while data:
                data = data[os.write(fd, data) :]
        except OSError:
            point_at_devnull(fd)  # nor can the interpreter's flush at exit fail
            return False
        return True

    return write


class LineWriter:
    """Prints lines on a daemon thread; :meth:`put` never blocks."""

    def __init__(
        self, write: WriteLine, *, capacity: int = QUEUE_LINES, name: str = "console-output"
    ) -> None:
        self._write = write
        self._queue: queue.Queue[object] = queue.Queue(maxsize=capacity)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False
        self._lock = threading.Lock()
        self.dropped = 0
        self.failed = False
        self._queued = 0
        self._printed = 0

    def put(self, text: str) -> None:
        """Queue ``text`` to be printed, or drop it (counted) when the queue is full."""
        if self.failed:
            return
        with self._lock:
            if not self._started:
                self._started = True
                self._thread.start()
        try:
            self._queue.put_nowait(text)
            self._queued += 1
        except queue.Full:
            self.dropped += 1

    @property
    def unprinted(self) -> int:
        """Lines dropped or still waiting: what a stalled reader never got (0 once the
        stream failed for good: a reader that went away, ``| head -1``, wanted no more)."""
        return 0 if self.failed else self.dropped + self._queued - self._printed

    def close(self, seconds: float = CLOSE_SECONDS) -> bool:
        """Print what is queued within ``seconds``; True when all of it was printed."""
        if not self._started:
            return True
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._queue.put(_CLOSE, timeout=max(0.0, deadline - time.monotonic()))
                break
            except queue.Full:
                if time.monotonic() >= deadline:
                    return False
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _CLOSE:
                return
            if self.failed:
                continue
            if self._write(str(item)):
                self._printed += 1
            else:
                self.failed = True  # a closed pipe: printing stops, nothing else


class QueuedLogHandler(logging.Handler):
    """Log records for the console (stderr), written through a :class:`LineWriter`: a log
    call on the loop's thread (an internal error, ``--verbose``) never waits for a stalled
    terminal. What is queued gets :data:`CLOSE_SECONDS` at exit (``logging.shutdown``)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._writer = LineWriter(line_writer_for(stream), name="console-log")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._writer.put(self.format(record))
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self._writer.close()
        super().close()
