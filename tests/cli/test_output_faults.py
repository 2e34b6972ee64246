"""Printing never silences speech: broken or closed stdout/stderr, with real pipes."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from support import DIALOGS, REPO, SCREEN_CLEAR, spoken_names

from voice_assistant.app import build_assistant
from voice_assistant.clock import FakeClock
from voice_assistant.events import Transcript
from voice_assistant.runtime.output import JsonSink, PlainSink
from voice_assistant.runtime.streams import GuardedStream
from voice_assistant.session.journal.journal import Journal
from voice_assistant.session.journal.safe_journal import SafeJournal
from voice_assistant.session.plans import load_session_config
from voice_assistant.speech.speakers import RecordingSpeaker

ICE = "no\n" * len(SCREEN_CLEAR) + "two days ago\nyes\nstart\n"
NO_TRACE = ("Traceback", "BrokenPipe", "Exception ignored")


def _env(home: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=str(REPO),
        XDG_CONFIG_HOME=str(home / "cfg"),
        XDG_DATA_HOME=str(home / "share"),
    )


def _assert_clean(stderr: str) -> None:
    for word in NO_TRACE:
        assert word not in stderr, stderr


def _spoken(folder: Path) -> list[str]:
    return spoken_names(folder)


def _journal_rows(data: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(data / "journal.sqlite3") as db:
        return db.execute("SELECT kind, ended_how FROM sessions").fetchall()


def test_stdout_pipe_closed_after_first_line_keeps_speaking_and_journaling(
    tmp_path: Path,
) -> None:
    """``heat-or-ice --text ... | head -1``: the reader goes away after one line."""
    wav, data = tmp_path / "wav", tmp_path / "data"
    command = [sys.executable, "-m", "voice_assistant", "--text", "--mute", "--json"]
    command += ["--save-speech", str(wav), "--clock-speed", "1000", "--data-dir", str(data)]
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert '"greeting"' in first
    process.stdout.close()  # EPIPE on the next print
    _, err = process.communicate(ICE, timeout=120)
    assert process.returncode == 0, err
    _assert_clean(err)
    spoken = _spoken(wav)
    # Every turn after the pipe broke was still spoken, up to the session's end.
    assert any("fifteen-minutes-of-ice" in name for name in spoken), spoken
    assert any("times-up" in name for name in spoken), spoken
    assert "that-s-the-end-of-the" in spoken[-1]
    assert _journal_rows(data) == [("ice", "completed")]


def test_stdout_closed_from_the_start_keeps_speaking_and_journaling(tmp_path: Path) -> None:
    """``heat-or-ice ... >&-``: no stdout at all; the journal must not become fd 1."""
    wav, data = tmp_path / "wav", tmp_path / "data"
    command = [sys.executable, "-m", "voice_assistant", "--text", "--mute"]
    command += ["--save-speech", str(wav), "--clock-speed", "1000", "--data-dir", str(data)]
    result = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *command],
        input=ICE,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stderr)
    assert "that-s-the-end-of-the" in _spoken(wav)[-1]
    assert _journal_rows(data) == [("ice", "completed")]
    with sqlite3.connect(data / "journal.sqlite3") as db:
        assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)


def _closed_pipe_run(tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run a command whose stdout reader is gone before it prints anything."""
    process = subprocess.Popen(
        [sys.executable, "-m", "voice_assistant", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    return process.wait(timeout=120), err


def test_help_history_doctor_into_a_closed_pipe_print_no_traceback(tmp_path: Path) -> None:
    code, err = _closed_pipe_run(tmp_path, "--help")
    assert code == 0
    _assert_clean(err)
    code, err = _closed_pipe_run(tmp_path, "history", "--data-dir", str(tmp_path / "d"))
    assert code == 0
    _assert_clean(err)
    code, err = _closed_pipe_run(tmp_path, "doctor", "--data-dir", str(tmp_path / "d"))
    assert code in (0, 1)  # no microphone here: doctor may report it missing
    _assert_clean(err)


def test_doctor_piped_into_head(tmp_path: Path) -> None:
    """The real shell pipeline the tester used."""
    result = subprocess.run(
        f'"{sys.executable}" -m voice_assistant doctor --data-dir "{tmp_path}/d" | head -2',
        shell=True,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        check=False,
    )
    assert len(result.stdout.splitlines()) <= 2
    _assert_clean(result.stderr)


def _full_pipe() -> tuple[int, int]:
    """A pipe already full, whose reader never reads: every write to it blocks."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        while True:
            os.write(write_fd, b"x" * 4096)
    except BlockingIOError:
        pass
    try:
        while True:
            os.write(write_fd, b"x")
    except BlockingIOError:
        pass
    os.set_blocking(write_fd, True)
    return read_fd, write_fd


def test_stdout_nobody_reads_never_holds_up_speech_timer_or_journal(tmp_path: Path) -> None:
    """Ctrl-S in a terminal, or a pipe whose reader stopped: a whole session with stdout
    blocked. Time's up is said and journaled on time; printed lines are dropped and counted."""
    wav, data = tmp_path / "wav", tmp_path / "data"
    command = [sys.executable, "-m", "voice_assistant", "--text", "--mute", "--json"]
    command += ["--save-speech", str(wav), "--clock-speed", "1000", "--data-dir", str(data)]
    read_fd, write_fd = _full_pipe()
    try:
        result = subprocess.run(
            command,
            input=ICE,
            stdout=write_fd,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_fd)
        os.close(read_fd)
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stderr)
    spoken = _spoken(wav)
    assert any("times-up" in name for name in spoken), spoken
    assert "that-s-the-end-of-the" in spoken[-1]
    assert _journal_rows(data) == [("ice", "completed")]
    assert "printed lines were left out because the output was not being read" in result.stderr


class _BrokenPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_broken_stdout_and_stderr_never_stop_speech_in_process() -> None:
    config = load_session_config(DIALOGS / "session.yaml")
    from voice_assistant.dialog.script import load_script

    script = load_script(DIALOGS)
    for sink in (PlainSink(_BrokenPipe(), _BrokenPipe()), JsonSink(_BrokenPipe(), _BrokenPipe())):
        speaker, clock = RecordingSpeaker(), FakeClock()
        journal = SafeJournal(Journal.in_memory(config), sink.notice, "failed: {detail}")
        assistant = build_assistant(script, config, journal, speaker, clock, sink)
        assistant.begin()
        for answer in [*SCREEN_CLEAR, "two days ago", "yes", "start"]:
            assistant.handle(Transcript(answer))
        sink.notice("a notice into a broken stderr")
        clock.set(450)
        assistant.tick()
        assert speaker.spoken[0].startswith("Hello.")
        assert "Fifteen minutes of ice, starting now." in speaker.spoken
        assert any(text.startswith("Halfway") for text in speaker.spoken)
        assert sink.out is None and sink.err is None  # dropped after the first failure
        session = journal.history(1)[0]
        assert session.kind == "ice" and session.ended_how is None  # still running


def test_guarded_stream_swallows_a_broken_pipe_and_stays_quiet() -> None:
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    with open(write_fd, "w", encoding="utf-8") as raw:
        stream = GuardedStream(raw)
        assert stream.write("x" * 100_000) == 100_000
        stream.flush()
        assert stream.broken
        stream.write("more")  # nothing raised, nothing written
        # the descriptor now points at /dev/null, so the final flush cannot fail
        assert os.path.samefile(f"/proc/self/fd/{raw.fileno()}", os.devnull)


def test_logging_handler_failure_prints_no_traceback(tmp_path: Path) -> None:
    """A log file on a full disk (/dev/full) and a broken stderr: no traceback anywhere."""
    code = (
        "import logging, sys\n"
        "from voice_assistant.runtime.streams import guard_standard_streams\n"
        "guard_standard_streams()\n"
        "logging.getLogger().addHandler(logging.FileHandler('/dev/full'))\n"
        "logging.getLogger().addHandler(logging.StreamHandler(sys.stderr))\n"
        "logging.getLogger('x').error('disk full?')\n"
        "print('still here', file=sys.stdout, flush=True)\n"
    )
    with tempfile.TemporaryFile() as err:
        result = subprocess.run(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=err,
            env=_env(tmp_path),
            timeout=60,
            check=False,
        )
        err.seek(0)
        errors = err.read().decode()
    assert result.returncode == 0
    assert result.stdout.decode() == "still here\n"
    assert "Traceback" not in errors and "Logging error" not in errors


def test_stdout_and_stderr_nobody_reads_with_verbose_logging_still_complete(
    tmp_path: Path,
) -> None:
    """Both streams full pipes and --verbose (a log line for nearly every event): the
    log, like printing, never holds up speech, the timer or the journal."""
    wav, data = tmp_path / "wav", tmp_path / "data"
    command = [sys.executable, "-m", "voice_assistant", "--text", "--mute", "--verbose"]
    command += ["--save-speech", str(wav), "--clock-speed", "1000", "--data-dir", str(data)]
    out_read, out_write = _full_pipe()
    err_read, err_write = _full_pipe()
    try:
        result = subprocess.run(
            command,
            input=ICE,
            stdout=out_write,
            stderr=err_write,
            text=True,
            env=_env(tmp_path),
            timeout=120,
            check=False,
        )
    finally:
        for fd in (out_read, out_write, err_read, err_write):
            os.close(fd)
    assert result.returncode == 0
    spoken = _spoken(wav)
    assert any("times-up" in name for name in spoken), spoken
    assert _journal_rows(data) == [("ice", "completed")]
