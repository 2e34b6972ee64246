"""Typed answers: one line of stdin per answer (``--text``).

A line may start with ``@SECONDS`` (for example ``@90 how long left``) to be
delivered only when the assistant's clock reaches that time: scripted demos
and tests use it to speak during a timed session.
"""

from __future__ import annotations

import queue
import re
import threading
from typing import TextIO

from voice_assistant.events import InputClosed, Scheduled, Transcript

_TIMED = re.compile(r"^@(\d+(?:\.\d+)?)\s*(.*)$")


def parse_line(line: str) -> object:
    """One typed line as an event (a Transcript, possibly Scheduled)."""
    text = line.strip()
    match = _TIMED.match(text)
    if match:
        return Scheduled(at=float(match.group(1)), event=Transcript(match.group(2).strip()))
    return Transcript(text)


class ConsoleInput:
    """Reads stdin on a daemon thread so the timer keeps running while nobody types."""

    def __init__(self, stream: TextIO, inbox: queue.Queue[object]) -> None:
        self.stream = stream
        self.inbox = inbox
        self._thread = threading.Thread(target=self._read, name="console-input", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self.stream:
                self.inbox.put(parse_line(line))
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        self.inbox.put(InputClosed())
