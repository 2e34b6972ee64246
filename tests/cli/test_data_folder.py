"""The data folder: one assistant at a time, private files whatever the umask."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from support import DIALOGS, REPO, SCREEN_CLEAR, run_cli, spoken_names
from test_cli_session import read_until, start_session

from voice_assistant.runtime.lock import LOCK_FILE, AlreadyRunning, DataFolderLock
from voice_assistant.session.journal.journal import open_journal
from voice_assistant.session.plans import load_session_config

ICE = "no\n" * len(SCREEN_CLEAR) + "two days ago\nyes\nstart\n@925 done\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _journal_state(data: Path) -> tuple[list[tuple[object, ...]], int, list[tuple[object, ...]]]:
    with sqlite3.connect(data / "journal.sqlite3") as db:
        sessions = db.execute("SELECT id, kind, ended, ended_how FROM sessions").fetchall()
        events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        progress = db.execute("SELECT session_id, status FROM progress").fetchall()
    return sessions, events, progress


def test_second_start_on_a_busy_folder_says_so_and_leaves_the_journal_alone(
    tmp_path: Path,
) -> None:
    first = start_session(tmp_path, speed=1)
    try:
        read_until(first, "start")
        before = _journal_state(tmp_path)
        assert before[0][0][3] is None  # the first one's session is live

        wav = tmp_path / "wav"
        second = run_cli(
            "--text", "--mute", "--save-speech", str(wav), "--data-dir", str(tmp_path), stdin="no\n"
        )
        message = (
            f"heat-or-ice is already running for this data folder (process {first.pid}). "
            "Use that one, or stop it first."
        )
        assert second.returncode == 1
        assert message in second.stderr  # printed
        spoken = spoken_names(wav)
        assert len(spoken) == 1 and "heat-or-ice-is-already-running" in spoken[0]  # and spoken
        assert "Traceback" not in second.stderr
        after = _journal_state(tmp_path)
        assert after[0] == before[0]  # not marked interrupted, nothing added
        assert after[2] == before[2]

        # Read-only commands still work while it runs.
        history = run_cli("history", "--data-dir", str(tmp_path))
        assert history.returncode == 0, history.stderr
        assert "not finished" in history.stdout
        doctor = run_cli("doctor", "--data-dir", str(tmp_path))
        assert "Traceback" not in doctor.stderr
        assert "Journal" in doctor.stdout
        assert _journal_state(tmp_path)[0] == before[0]
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 0


def test_lock_is_taken_over_after_kill_9(tmp_path: Path) -> None:
    """The kernel drops a flock with its process: a killed holder leaves no stale lock."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from voice_assistant.runtime.lock import DataFolderLock;"
            "DataFolderLock(Path(sys.argv[1])).acquire(); print('held', flush=True);"
            "time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with pytest.raises(AlreadyRunning) as busy:
        DataFolderLock(tmp_path).acquire()
    assert busy.value.pid == holder.pid
    holder.kill()
    holder.communicate(timeout=10)
    lock = DataFolderLock(tmp_path)
    assert lock.acquire()
    assert lock.previous["pid"] == holder.pid  # what it left behind is readable
    again = DataFolderLock(tmp_path)
    with pytest.raises(AlreadyRunning) as busy:
        again.acquire()
    assert busy.value.pid == os.getpid()
    lock.release()
    assert again.acquire()
    again.release()


def test_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    data = tmp_path / "data"
    command = [sys.executable, "-m", "voice_assistant", "--text", "--mute"]
    command += ["--data-dir", str(data)]
    result = subprocess.run(
        ["sh", "-c", 'umask 000; exec "$@"', "sh", *command],
        input=ICE.replace("@925 done", "stop"),
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(tmp_path / "cfg")),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _mode(data) == 0o700
    for name in ("journal.sqlite3", "heat-or-ice.log", LOCK_FILE):
        assert _mode(data / name) == 0o600, name
    for leftover in data.glob("journal.sqlite3-*"):
        assert _mode(leftover) == 0o600, leftover.name


def test_loose_modes_of_existing_files_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    for name in ("journal.sqlite3", "heat-or-ice.log"):
        (data / name).touch()
        os.chmod(data / name, 0o644)
    result = run_cli("--text", "--mute", "--data-dir", str(data), stdin="stop\n")
    assert result.returncode == 0, result.stderr
    assert _mode(data) == 0o700
    assert _mode(data / "journal.sqlite3") == 0o600
    assert _mode(data / "heat-or-ice.log") == 0o600


def test_a_shared_folder_keeps_its_mode_but_our_files_are_private(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    (shared / "someone-elses.txt").write_text("hi")
    result = run_cli("--text", "--mute", "--data-dir", str(shared), stdin="stop\n")
    assert result.returncode == 0, result.stderr
    assert _mode(shared) == 0o755
    assert _mode(shared / "journal.sqlite3") == 0o600


def test_wal_and_shm_are_private_while_open(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        journal = open_journal(tmp_path / "d", load_session_config(DIALOGS / "session.yaml"))
        journal.record_answers("c", {"q": "no"}, 1.0)
        files = sorted((tmp_path / "d").iterdir())
        assert {p.name for p in files} >= {"journal.sqlite3-wal", "journal.sqlite3-shm"}
        assert all(_mode(p) == 0o600 for p in files), [(p.name, oct(_mode(p))) for p in files]
        assert _mode(tmp_path / "d") == 0o700
        journal.close()
    finally:
        os.umask(old)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a folder another user's needs root")
def test_a_data_folder_of_another_user_is_refused_and_the_questions_still_come(
    tmp_path: Path,
) -> None:
    """F11/F15: a folder pre-created by someone else (or left root-owned by sudo -E) was
    used silently, or crashed the start; now it is said, and the journal runs in memory."""
    data = tmp_path / "shared"
    data.mkdir()
    data.chmod(0o777)
    (data / "journal.sqlite3").touch()
    os.chown(data, 64102, 64102)
    os.chown(data / "journal.sqlite3", 64102, 64102)
    wav = tmp_path / "wav"
    result = run_cli(
        "--text", "--mute", "--save-speech", str(wav), "--data-dir", str(data), stdin="no\nyes\n"
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    assert f"The folder {data} belongs to another user (uid 64102)" in result.stderr
    assert "numbness" in result.stdout  # the danger questions still come
    assert "i-can-t-open-the-session" in spoken_names(wav)[0]  # said aloud too
    assert (data / "journal.sqlite3").stat().st_size == 0  # nothing of the answers there
    history = run_cli("history", "--data-dir", str(data))
    assert "Traceback" not in history.stderr
    doctor = run_cli("doctor", "--data-dir", str(data))
    assert "belongs to another user" in doctor.stdout
    assert stat.S_IMODE(data.stat().st_mode) == 0o777  # never changed


def test_an_unenterable_data_folder_is_said_and_the_questions_still_come(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root enters every folder")
    data = tmp_path / "locked"
    data.mkdir(mode=0o000)
    try:
        result = run_cli("--text", "--mute", "--data-dir", str(data), stdin="no\n")
        history = run_cli("history", "--data-dir", str(data))
    finally:
        data.chmod(0o700)
    assert "Traceback" not in result.stderr + history.stderr
    assert "numbness" in result.stdout
    assert "Permission denied" in result.stderr
