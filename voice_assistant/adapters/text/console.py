"""Typed answers: one line of stdin per answer (``--text``).

A line may start with ``@SECONDS`` (for example ``@90 how long left``) to be
delivered only when the assistant's clock reaches that time: scripted demos
and tests use it to speak during a timed session.

A line that can't be used (bytes that are not UTF-8 text, or an ``@`` time
that is not a number of seconds) is skipped and reported once; the lines
after it are read as usual, so a session never ends because of one bad line.

Lines are read in bounded pieces: a line longer than :data:`MAX_LINE_CHARACTERS`
(a paste, or ``/dev/zero`` that never sends a newline) is cut to its start, said
once, and the rest of it is read and thrown away up to the next newline. Memory
stays small, and understanding a line takes milliseconds, never minutes.
"""

from __future__ import annotations

import codecs
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import AnyStr, TextIO

from voice_assistant.events import InputClosed, Scheduled, Transcript
from voice_assistant.hearing.timing_marks import BadTimeMark, parse_at_seconds

log = logging.getLogger(__name__)

MAX_LINE_CHARACTERS = 2000
"""A typed answer is a few words; a longer line is cut to this many characters."""
_MAX_LINE_BYTES = 4 * MAX_LINE_CHARACTERS  # UTF-8 takes at most four bytes a character
_DISCARD_PIECE = 65536

_TIMED = re.compile(r"^@(\S*)\s*(.*)$", re.DOTALL)

Problem = Callable[[str, dict[str, object]], None]
"""Reports a skipped line: a message key ("unreadable_line", "bad_time_line") and its values."""


def parse_line(line: str) -> object:
    """One typed line as an event (a Transcript, possibly Scheduled).

    Raises BadTimeMark when the line starts with ``@`` but the time is unusable:
    such a line must not be taken as an answer ("@-5 no" is not "no").
    """
    text = line.strip()
    match = _TIMED.match(text)
    if match:
        at = parse_at_seconds(match.group(1))
        return Scheduled(at=at, event=Transcript(match.group(2).strip()))
    return Transcript(text)


def bounded_lines(
    read_line: Callable[[int], AnyStr], limit: int, newline: AnyStr
) -> Iterator[tuple[AnyStr, bool]]:
    """Lines from ``read_line(size)`` (a ``readline`` with a size), each with True when
    it was longer than ``limit`` and cut: at most ``limit`` items are kept in memory."""
    while True:
        line = read_line(limit)
        if not line:
            return
        if len(line) < limit or line.endswith(newline):
            yield line, False
            continue
        yield line, True  # at once: the rest may never end (/dev/zero)
        while True:  # the rest of an over-long line is read and thrown away
            rest = read_line(_DISCARD_PIECE)
            if not rest or rest.endswith(newline):
                break


def _decode_start(data: bytes) -> str:
    """The UTF-8 text at the start of a cut line (a character cut in two is left out);
    raises UnicodeDecodeError when the bytes are not UTF-8."""
    return codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=False)


class ConsoleInput:
    """Reads stdin on a daemon thread so the timer keeps running while nobody types."""

    def __init__(
        self,
        stream: TextIO,
        inbox: queue.Queue[object],
        on_problem: Problem = lambda key, values: None,
    ) -> None:
        self.stream = stream
        self.inbox = inbox
        self.on_problem = on_problem
        self._reported: set[str] = set()
        self._thread = threading.Thread(target=self._read, name="console-input", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _read(self) -> None:
        try:
            for number, (line, cut) in enumerate(self._lines(), start=1):
                if line is None:
                    self._problem("unreadable_line", line=number)
                    continue
                if cut or len(line.rstrip("\r\n")) > MAX_LINE_CHARACTERS:
                    line = line[:MAX_LINE_CHARACTERS]
                    self._problem("long_line", line=number, limit=MAX_LINE_CHARACTERS)
                try:
                    event = parse_line(line)
                except BadTimeMark as exc:
                    self._problem("bad_time_line", line=number, problem=str(exc))
                    continue
                self.inbox.put(event)
        except (OSError, ValueError) as exc:
            log.warning("typed input ended: %s", exc)
        self.inbox.put(InputClosed())

    def _lines(self) -> Iterator[tuple[str | None, bool]]:
        """Decoded lines, each with True when it was cut; None for a line that is not
        UTF-8 text."""
        raw = getattr(self.stream, "buffer", None)
        if raw is None:  # already text (tests, or a stream without bytes underneath)
            yield from bounded_lines(self.stream.readline, MAX_LINE_CHARACTERS + 1, "\n")
            return
        for data, cut in bounded_lines(raw.readline, _MAX_LINE_BYTES + 1, b"\n"):
            try:
                yield (_decode_start(data) if cut else data.decode("utf-8-sig")), cut
            except UnicodeDecodeError:
                yield None, cut

    def _problem(self, key: str, **values: object) -> None:
        """Each kind of problem is told once; later ones only go to the log."""
        log.warning("skipped typed line: %s %s", key, values)
        if key in self._reported:
            return
        self._reported.add(key)
        self.on_problem(key, values)
