"""A watchdog for one download: an overall deadline and a minimum transfer rate.

A socket timeout only bounds one read, so a server that trickles a byte every few
seconds (headers or body) would keep a download going for ever. The watch runs a
small thread that looks once a second: when the download has run past its
deadline, or fewer than ``min_bytes`` arrived in the last ``window`` seconds, it
notes why and shuts the connection's socket down, so a blocked read returns at
once. The downloader then raises the watch's reason, in words.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

DEADLINE_S = 3 * 60 * 60.0  # the largest model over a slow line takes well under this
MIN_BYTES = 60 * 1024  # at least 1 KB/s ...
WINDOW_S = 60.0  # ... over every minute
_TICK_S = 1.0


class TransferWatch:
    """Counts the bytes of one transfer and stops it when it is too slow or too long."""

    def __init__(
        self,
        *,
        deadline_s: float = DEADLINE_S,
        min_bytes: int = MIN_BYTES,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._deadline_s = deadline_s
        self._min_bytes = min_bytes
        self._window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._started = clock()
        self._window_start = self._started
        self._window_bytes = 0
        self._sockets: list[socket.socket] = []
        self.reason: str | None = None  # set once the transfer was stopped, in words
        self._thread = threading.Thread(target=self._run, name="download-watch", daemon=True)

    def __enter__(self) -> TransferWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=2 * _TICK_S)

    def attach(self, sock: socket.socket) -> None:
        """The socket to shut down when the transfer must stop."""
        with self._lock:
            self._sockets.append(sock)
            stop = self.reason is not None
        if stop:
            _shut(sock)

    def note(self, count: int) -> None:
        """``count`` more bytes arrived."""
        with self._lock:
            self._window_bytes += count
        self.check()

    def check(self) -> None:
        """Stop the transfer now if it is past its deadline or too slow."""
        now = self._clock()
        with self._lock:
            if self.reason is None:
                self.reason = self._verdict(now)
            sockets = list(self._sockets) if self.reason is not None else []
        for sock in sockets:
            _shut(sock)

    def _verdict(self, now: float) -> str | None:
        if now - self._started >= self._deadline_s:
            hours = self._deadline_s / 3600
            span = f"{hours:g} hours" if hours >= 1 else f"{self._deadline_s:g} seconds"
            return f"it did not finish within {span}"
        if now - self._window_start >= self._window_s:
            if self._window_bytes < self._min_bytes:
                rate = self._min_bytes / self._window_s / 1024
                return (
                    f"it was slower than {rate:g} KB a second for {self._window_s:g} seconds: "
                    "the server or the connection is stalled"
                )
            self._window_start, self._window_bytes = now, 0
        return None

    def _run(self) -> None:
        while not self._stopped.wait(_TICK_S):
            self.check()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing to stop
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the raw socket, under any TLS


def watched_opener(watch: TransferWatch) -> urllib.request.OpenerDirector:
    """A urllib opener whose HTTP(S) connections hand their socket to ``watch``."""

    class _HTTP(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watch.attach(self.sock)

    class _HTTPS(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            watch.attach(self.sock)

    class _HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(_HTTP, req)

    class _HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(_HTTPS, req, context=self._context)  # type: ignore[attr-defined]

    return urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)
