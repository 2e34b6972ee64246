"""Where the assistant's turns are printed: plain lines or one JSON object per turn."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from voice_assistant.runtime.streams import write_line


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


class _StreamSink:
    """Printing is independent of speaking: a stream that fails (closed pipe,
    ``| head -1``, full disk) is dropped after the first failure, silently, and
    the assistant goes on speaking, timing and journaling."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out: TextIO | None = out or sys.stdout
        self.err: TextIO | None = err or sys.stderr

    def _print(self, text: str) -> None:
        if self.out is not None and not write_line(self.out, text):
            self.out = None

    def notice(self, text: str) -> None:
        if self.err is not None and not write_line(self.err, text):
            self.err = None


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

    @property
    def said(self) -> list[str]:
        return [record.say for record in self.records if record.say]
