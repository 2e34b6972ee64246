"""The console writer: putting a line never waits, whatever the stream does."""

from __future__ import annotations

import threading
import time

from voice_assistant.runtime.console_writer import LineWriter


def test_a_stalled_stream_drops_and_counts_lines_and_never_blocks() -> None:
    release = threading.Event()
    written: list[str] = []

    def stalled(text: str) -> bool:
        release.wait()  # a terminal stopped with Ctrl-S
        written.append(text)
        return True

    writer = LineWriter(stalled, capacity=4)
    started = time.monotonic()
    for number in range(1000):
        writer.put(f"line {number}")
    assert time.monotonic() - started < 1.0
    assert writer.dropped >= 1000 - 5  # 4 queued, at most 1 being written
    assert not writer.close(0.1)  # still stalled: the exit gives up on time
    assert writer.unprinted == 1000
    release.set()


def test_lines_are_printed_in_order_and_flushed_at_close() -> None:
    written: list[str] = []

    def record(text: str) -> bool:
        written.append(text)
        return True

    writer = LineWriter(record)
    for number in range(10):
        writer.put(str(number))
    assert writer.close()
    assert written == [str(number) for number in range(10)]
    assert writer.unprinted == 0


def test_a_broken_stream_stops_printing_and_reports_nothing_unprinted() -> None:
    calls: list[str] = []

    def broken(text: str) -> bool:
        calls.append(text)
        return False

    writer = LineWriter(broken)
    writer.put("a")
    assert writer.close()
    writer.put("b")
    assert calls == ["a"] and writer.failed and writer.unprinted == 0
