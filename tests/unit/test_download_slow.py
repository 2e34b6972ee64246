"""F25: a download from a server that trickles bytes gives up, in words (127.0.0.1 only)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from voice_assistant.errors import ModelDownloadError
from voice_assistant.install.model_fetch import fetch
from voice_assistant.install.transfer_watch import TransferWatch

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
GAP_S = 0.2  # one byte every 0.2 s: each read succeeds long before the socket timeout
MOST_BYTES = 200  # the server stops by itself after this many trickled bytes


class Trickler:
    """A server that sends its headers (or its body) one byte at a time."""

    def __init__(self, slow_part: str) -> None:
        self.slow_part = slow_part
        self.stop = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/slow.zip"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            with conn:
                self._trickle(conn)

    def _trickle(self, conn: socket.socket) -> None:
        try:
            conn.recv(4096)
            slow = HEAD if self.slow_part == "headers" else b"P" * MOST_BYTES
            if self.slow_part == "body":
                conn.sendall(HEAD)
            for byte in slow[:MOST_BYTES]:
                if self.stop.wait(GAP_S):
                    return
                conn.sendall(bytes([byte]))
        except OSError:
            return  # the client gave up: what the test wants


@pytest.fixture(params=["headers", "body"])
def trickler(request: pytest.FixtureRequest) -> Iterator[Trickler]:
    server = Trickler(request.param)
    server.thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.thread.join(5)
        server.server.close()


def _fetch(url: str, part: Path, watch: TransferWatch) -> None:
    fetch(
        url, part, progress=False, timeout=30, desc="model", by_hand="Get it by hand.", watch=watch
    )


def test_a_trickle_below_the_minimum_rate_is_given_up_in_words(
    trickler: Trickler, tmp_path: Path
) -> None:
    watch = TransferWatch(min_bytes=1000, window_s=1.5)
    began = time.monotonic()
    with pytest.raises(ModelDownloadError) as err:
        _fetch(trickler.url, tmp_path / "model.part", watch)
    assert time.monotonic() - began < 10  # not the 40 s the trickle would take
    message = str(err.value)
    assert "I gave up the download from 127.0.0.1" in message
    assert "slower than" in message and "stalled" in message
    assert "it resumes where it stopped" in message and "Get it by hand." in message
    assert "Traceback" not in message


def test_the_overall_deadline_stops_a_download_that_keeps_a_decent_rate(
    trickler: Trickler, tmp_path: Path
) -> None:
    watch = TransferWatch(deadline_s=1.5, min_bytes=1, window_s=60)
    with pytest.raises(ModelDownloadError, match=r"did not finish within 1\.5 seconds"):
        _fetch(trickler.url, tmp_path / "model.part", watch)


def test_a_fast_enough_transfer_is_not_stopped() -> None:
    now = [0.0]
    watch = TransferWatch(min_bytes=1000, window_s=60, clock=lambda: now[0])
    for _ in range(10):
        now[0] += 30
        watch.note(600)  # 1200 bytes a minute: above the minimum
    assert watch.reason is None
    now[0] += 61
    watch.check()  # nothing for a minute
    assert watch.reason is not None and "slower than" in watch.reason
