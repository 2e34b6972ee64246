"""Typed answers: one line of stdin per answer (``--text``).

A line may start with ``@SECONDS`` (for example ``@90 how long left``) to be
delivered only when the assistant's clock reaches that time: scripted demos
and tests use it to speak during a timed session.

A line that can't be used (bytes that are not UTF-8 text, or an ``@`` time
that is not a number of seconds) is skipped and reported once; the lines
after it are read as usual, so a session never ends because of one bad line.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import TextIO

from voice_assistant.events import InputClosed, Scheduled, Transcript
from voice_assistant.hearing.timing_marks import BadTimeMark, parse_at_seconds

log = logging.getLogger(__name__)

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
            for number, line in enumerate(self._lines(), start=1):
                if line is None:
                    self._problem("unreadable_line", line=number)
                    continue
                try:
                    event = parse_line(line)
                except BadTimeMark as exc:
                    self._problem("bad_time_line", line=number, problem=str(exc))
                    continue
                self.inbox.put(event)
        except (OSError, ValueError) as exc:
            log.warning("typed input ended: %s", exc)
        self.inbox.put(InputClosed())

    def _lines(self) -> Iterator[str | None]:
        """Decoded lines; None for a line that is not UTF-8 text."""
        raw = getattr(self.stream, "buffer", None)
        if raw is None:  # already text (tests, or a stream without bytes underneath)
            yield from self.stream
            return
        for data in raw:
            try:
                yield data.decode("utf-8-sig")
            except UnicodeDecodeError:
                yield None

    def _problem(self, key: str, **values: object) -> None:
        """Each kind of problem is told once; later ones only go to the log."""
        log.warning("skipped typed line: %s %s", key, values)
        if key in self._reported:
            return
        self._reported.add(key)
        self.on_problem(key, values)
