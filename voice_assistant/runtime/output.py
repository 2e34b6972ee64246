"""Where the assistant's turns are printed: plain lines or one JSON object per turn."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from voice_assistant.runtime.console_writer import (
    CLOSE_SECONDS,
    LineWriter,
    WriteLine,
    line_writer_for,
)
from voice_assistant.runtime.streams import write_line

log = logging.getLogger(__name__)

DROPPED_LINES = (
    "{count} printed lines were left out because the output was not being read "
    "(a paused terminal or a full pipe); speech, the timer and the journal were not affected."
)


@dataclass(frozen=True)
class TurnRecord:
    """One printed turn, as the JSON output documents it."""

    t: float
    state: str
    say: str
    expects: tuple[str, ...] = ()
    recommendation: dict[str, Any] | None = None
    heard: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "t": round(self.t, 3),
            "state": self.state,
            "say": self.say,
            "expects": list(self.expects),
        }
        if self.recommendation is not None:
            data["recommendation"] = self.recommendation
        if self.heard is not None:
            data["heard"] = self.heard
        data.update(self.extra)
        return data


class TurnSink(Protocol):
    def turn(self, record: TurnRecord) -> None: ...

    def notice(self, text: str) -> None:
        """A message about the product itself (devices, setup), not the dialog."""

    def close(self) -> None:
        """Print what is still queued, briefly; called once at exit."""


class _StreamSink:
    """Printing is independent of speaking.

    Given no streams, turns go to stdout and notices to stderr through a
    :class:`LineWriter` each: printing never blocks the loop (a terminal stopped
    with Ctrl-S, a pipe nobody reads) and a stream that fails (closed pipe,
    ``| head -1``, full disk) is dropped, silently, while the assistant goes on
    speaking, timing and journaling. Streams given (tests) are written at once,
    dropped after their first failure. :meth:`close` prints what is queued within
    a short deadline and tells, on stderr, how many lines were dropped.
    """

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out: WriteLine | None = None
        self.err: WriteLine | None = None
        self._writers: list[LineWriter] = []
        if out is not None and err is not None:
            self.out = lambda text: write_line(out, text)
            self.err = lambda text: write_line(err, text)
            return
        self.out = self._background(out or sys.stdout, "console-stdout")
        self.err = self._background(err or sys.stderr, "console-stderr")

    def _background(self, stream: TextIO, name: str) -> WriteLine:
        writer = LineWriter(line_writer_for(stream), name=name)
        self._writers.append(writer)

        def put(text: str) -> bool:
            writer.put(text)
            return not writer.failed

        return put

    def _print(self, text: str) -> None:
        if self.out is not None and not self.out(text):
            self.out = None

    def notice(self, text: str) -> None:
        if self.err is not None and not self.err(text):
            self.err = None

    def close(self, seconds: float = CLOSE_SECONDS) -> None:
        """Print what is queued (within ``seconds`` in all); say how much was dropped."""
        if not self._writers:
            return
        out, err = self._writers
        out.close(seconds / 2)
        if out.unprinted:
            log.warning("%d lines not printed: the output was not read", out.unprinted)
            self.notice(DROPPED_LINES.format(count=out.unprinted))
        err.close(seconds / 2)


class PlainSink(_StreamSink):
    """Prints what the assistant says, one utterance per line (screen-reader friendly)."""

    def turn(self, record: TurnRecord) -> None:
        if record.say:
            self._print(record.say)


class JsonSink(_StreamSink):
    """One JSON object per assistant turn on stdout; notices go to stderr."""

    def turn(self, record: TurnRecord) -> None:
        # ASCII escapes: valid UTF-8 whatever the terminal encoding or the text heard.
        self._print(json.dumps(record.as_json(), ensure_ascii=True))


class MemorySink:
    """Keeps turns in a list (tests)."""

    def __init__(self) -> None:
        self.records: list[TurnRecord] = []
        self.notices: list[str] = []

    def turn(self, record: TurnRecord) -> None:
        self.records.append(record)

    def notice(self, text: str) -> None:
        self.notices.append(text)

    def close(self) -> None:
        pass

    @property
    def said(self) -> list[str]:
        return [record.say for record in self.records if record.say]
