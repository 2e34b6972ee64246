"""Journal faults injected for real: full disk, damaged WAL, newer format, read-only folder."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from support import DIALOGS, REPO, SCREEN_CLEAR, json_turns, run_cli, spoken_names

from voice_assistant.app import build_assistant, tell_interrupted
from voice_assistant.clock import FakeClock
from voice_assistant.dialog.script import DialogScript
from voice_assistant.events import Transcript
from voice_assistant.runtime.assistant import Assistant
from voice_assistant.runtime.data_folder import Teller, open_safe_journal
from voice_assistant.runtime.lock import DataFolderLock
from voice_assistant.runtime.output import MemorySink
from voice_assistant.session.journal.journal import open_journal
from voice_assistant.session.journal.safe_journal import SafeJournal
from voice_assistant.session.plans import SessionConfig, load_session_config
from voice_assistant.speech.speakers import RecordingSpeaker

ICE = "no\n" * len(SCREEN_CLEAR) + "two days ago\nyes\nstart\n"
ICE_ANSWERS = [*SCREEN_CLEAR, "two days ago", "yes", "start"]
FULL = "I can't save the session history any more"


@pytest.fixture
def config() -> SessionConfig:
    return load_session_config(DIALOGS / "session.yaml")


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(home / "cfg"))


def _run(
    home: Path, *args: str, stdin: str = "stop\n", limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    def small_disk() -> None:  # every file the process writes stops growing here
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "voice_assistant", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=120,
        preexec_fn=small_disk,
        check=False,
    )


def _sessions(data: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(data / "journal.sqlite3") as db:
        return db.execute("SELECT kind, ended IS NOT NULL, ended_how FROM sessions").fetchall()


# --- a disk that fills mid-session --------------------------------------------------------


def test_disk_fills_mid_session_keeps_announcing_and_next_start_tells_the_truth(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = _run(
        tmp_path,
        "--text", "--mute", "--json", "--clock-speed", "400", "--data-dir", str(data),
        stdin=ICE,
        limit=160_000,  # the journal's write-ahead log passes this after a few writes
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr and "Logging error" not in first.stderr
    assert first.stderr.count(FULL) == 1  # said once
    events = [turn.get("event") for turn in json_turns(first.stdout)]
    assert "start" in events and events[-1] == "plan_done"  # kept announcing to the end
    assert "times_up" in events
    # The journal on disk could not record the end: it looks unfinished.
    assert _sessions(data) in ([], [("ice", False, None)])

    second = _run(tmp_path, "--text", "--mute", "--json", "--data-dir", str(data))
    assert second.returncode == 0, second.stderr
    assert (
        "Last time the disk was full, so I could only save the end of your last ice "
        "session now: it ended at"
    ) in second.stderr
    turns = json_turns(second.stdout)
    assert turns[0]["state"] == "greeting"  # no false "interrupted"
    assert "interrupted" not in second.stdout
    assert _sessions(data) == [("ice", True, "completed")]
    lock_note = json.loads((data / "heat-or-ice.lock").read_text())
    assert "unsaved" not in lock_note  # taken in, not said again
    third = _run(tmp_path, "--text", "--mute", "--data-dir", str(data))
    assert "Last time the disk was full" not in third.stderr


def _rig(
    data: Path, config: SessionConfig, script: DialogScript, lock: DataFolderLock | None = None
) -> tuple[MemorySink, RecordingSpeaker, FakeClock, SafeJournal, Assistant]:
    sink, speaker, clock = MemorySink(), RecordingSpeaker(), FakeClock()
    journal = open_safe_journal(data, config, script, sink, Teller(sink, speaker), lock)
    tell_interrupted(journal, speaker, clock, sink)  # as run_assistant does, in every mode
    assistant = build_assistant(script, config, journal, speaker, clock, sink)
    return sink, speaker, clock, journal, assistant


def test_write_failure_is_said_once_aloud_and_the_timer_goes_on(
    tmp_path: Path, config: SessionConfig, script: DialogScript
) -> None:
    lock = DataFolderLock(tmp_path)
    assert lock.acquire()
    sink, speaker, clock, journal, assistant = _rig(tmp_path, config, script, lock)
    assistant.begin()
    for answer in ICE_ANSWERS:
        assistant.handle(Transcript(answer))
    journal.journal._conn.execute("PRAGMA query_only = 1")  # every write fails from now on
    for now in range(15, 1400, 15):
        clock.set(now)
        assistant.tick()
    failed = [text for text in speaker.spoken if text.startswith(FULL)]
    assert failed == [script.device_messages["journal_failed_spoken"]]  # spoken once, short
    printed = [text for text in sink.notices if text.startswith(FULL)]
    assert len(printed) == 1 and "attempt to write a readonly database" in printed[0]
    said = speaker.spoken[speaker.spoken.index(failed[0]) :]
    assert any(text.startswith("Halfway") for text in said)
    assert any(text.startswith("Time's up") for text in said)
    assert assistant.done
    note = json.loads((tmp_path / "heat-or-ice.lock").read_text())["unsaved"]
    assert note["session"] == 1 and note["how"] == "completed"
    lock.release()


def test_killed_after_the_disk_filled_says_so_honestly(
    tmp_path: Path, config: SessionConfig, script: DialogScript
) -> None:
    lock = DataFolderLock(tmp_path)
    assert lock.acquire()
    _, speaker, clock, journal, assistant = _rig(tmp_path, config, script, lock)
    assistant.begin()
    for answer in ICE_ANSWERS:
        assistant.handle(Transcript(answer))
    journal.journal._conn.execute("PRAGMA query_only = 1")
    clock.set(300)
    assistant.tick()  # a heartbeat fails: the disk is "full"
    lock.release()  # ... and the program is killed here

    again = DataFolderLock(tmp_path)
    assert again.acquire()
    _, speaker, clock, _, assistant = _rig(tmp_path, config, script, again)
    assistant.begin()
    assert speaker.spoken[0] == (
        "Last time the disk was full, so I could not save the end of your last ice session."
    )
    assert speaker.spoken[1].startswith("Your ice session was interrupted")
    assert "with ten minutes left" in speaker.spoken[1]  # what memory knew, not the journal
    assert speaker.spoken[1].endswith("If a pack is still on, take it off now.")


# --- a journal that can be read but not written at start (F04) ----------------------------


def _ice_killed_after_start(home: Path, data: Path) -> None:
    """An ice session under way, then kill -9 (nothing ends it in the journal)."""
    run = subprocess.Popen(
        [sys.executable, "-m", "voice_assistant", "--text", "--mute", "--json", "--data-dir",
         str(data)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env(home),
    )  # fmt: skip
    assert run.stdin is not None and run.stdout is not None
    run.stdin.write(ICE)
    run.stdin.flush()
    for line in run.stdout:
        if json.loads(line).get("event") == "start":
            break
    run.kill()
    run.communicate(timeout=10)


@pytest.mark.parametrize("fault", ["disk full", "read-only"])
def test_a_journal_that_cannot_be_written_is_still_read(tmp_path: Path, fault: str) -> None:
    data = tmp_path / "data"
    _ice_killed_after_start(tmp_path, data)
    if fault == "read-only":  # a journal that refuses writes, as on a read-only disk
        if os.getuid() == 0:
            pytest.skip("root writes a read-only file; the disk-full case covers the fallback")
        db = sqlite3.connect(data / "journal.sqlite3")
        db.execute("PRAGMA journal_mode=DELETE")  # no log for a read-only open to need
        db.close()
        (data / "journal.sqlite3").chmod(0o444)
    second = _run(
        tmp_path,
        "--text", "--mute", "--json", "--data-dir", str(data),
        stdin=ICE,
        limit=40_000 if fault == "disk full" else None,  # past its log: no file may grow
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    assert "I can't save to the session history (Cannot write the session journal" in (
        second.stderr
    )
    assert "new sessions will not be recorded" in second.stderr
    said = [turn.get("say") or "" for turn in json_turns(second.stdout)]
    assert said[0].startswith("Your ice session was interrupted")  # read from the journal
    assert said[0].endswith("If a pack is still on, take it off now.")
    events = [turn.get("event") for turn in json_turns(second.stdout)]
    assert "start" not in events  # the gap between packs still holds
    assert any("the next ice session can start in two hours" in text for text in said), said
    assert _sessions(data) == [("ice", False, None)]  # nothing new recorded, nothing lost
    if fault == "disk full":  # it could not be marked as told: said again at the next start
        third = _run(tmp_path, "--text", "--mute", "--json", "--data-dir", str(data), limit=40_000)
        assert json_turns(third.stdout)[0]["say"].startswith("Your ice session was interrupted")


# --- a damaged write-ahead log after kill -9 ------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from voice_assistant.session.journal.journal import open_journal
journal = open_journal(Path(sys.argv[1]))
for n in range(20):
    journal.record_answers(f"c{n}", {"onset": "two days ago"}, 1_800_000_000.0 + n)
print("ready", flush=True)
time.sleep(60)
"""


def _write_then_kill_9(home: Path, data: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data)], stdout=subprocess.PIPE, text=True, env=_env(home)
    )
    assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=10)


def test_damaged_wal_after_kill_9_is_reported_in_words(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write_then_kill_9(tmp_path, data)
    wal = data / "journal.sqlite3-wal"
    damaged = bytearray(wal.read_bytes())
    assert len(damaged) > 8192
    damaged[-1000] ^= 0xFF  # one flipped bit in the last page saved
    wal.write_bytes(bytes(damaged))

    wav = tmp_path / "wav"
    result = _run(tmp_path, "--text", "--mute", "--save-speech", str(wav), "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    assert f"The session journal {data / 'journal.sqlite3'} was damaged" in result.stderr
    assert "the last things it saved may be missing" in result.stderr
    assert "If a pack is still on, take it off now." in result.stderr
    copies = list(data.glob("journal.sqlite3-wal.damaged-*"))
    assert len(copies) == 1 and copies[0].read_bytes() == bytes(damaged)
    assert str(copies[0]) in result.stderr
    spoken = spoken_names(wav)
    assert "the-session-history-was-damaged" in spoken[0]  # said aloud before the greeting
    assert "hello" in spoken[1]


def test_sound_wal_after_kill_9_is_not_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write_then_kill_9(tmp_path, data)
    journal = open_journal(data)
    assert journal.warnings == []
    assert len(journal.answers("c19")) == 1  # nothing lost
    journal.close()


def _lone_frame_header(wal: Path, commit: int) -> bytes:
    """A frame header with the current salt, as SQLite writes it before the page."""
    data = wal.read_bytes()
    return struct.pack(">2I", 2, commit) + data[16:24] + b"\x00" * 8


@pytest.mark.parametrize("commit", [0, 3])
def test_kill_9_between_frame_header_and_page_is_not_damage(tmp_path: Path, commit: int) -> None:
    # F18: SQLite writes a WAL frame as two writes; a kill between them leaves a header with
    # no page. That frame was never committed and SQLite ignores it: no damage to report.
    data = tmp_path / "data"
    _write_then_kill_9(tmp_path, data)
    wal = data / "journal.sqlite3-wal"
    with wal.open("ab") as out:
        out.write(_lone_frame_header(wal, commit))
    journal = open_journal(data)
    assert journal.warnings == []
    assert len(journal.answers("c19")) == 1  # nothing committed lost
    journal.close()
    assert not list(data.glob("journal.sqlite3-wal.damaged-*"))


def test_damaged_frame_of_an_unfinished_transaction_is_not_damage(tmp_path: Path) -> None:
    # a whole last frame that fails its checksum but ends no transaction: nothing is lost
    data = tmp_path / "data"
    _write_then_kill_9(tmp_path, data)
    wal = data / "journal.sqlite3-wal"
    page = int.from_bytes(wal.read_bytes()[8:12], "big")
    with wal.open("ab") as out:
        out.write(_lone_frame_header(wal, 0) + b"\x01" * page)
    journal = open_journal(data)
    assert journal.warnings == []
    assert len(journal.answers("c19")) == 1
    journal.close()


# --- a journal from a newer heat-or-ice -----------------------------------------------------


def test_newer_journal_is_left_untouched_and_the_session_runs_in_memory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    journal = open_journal(data)
    journal.record_answers("c", {"onset": "today"}, 1_800_000_000.0)
    journal.close()
    with sqlite3.connect(data / "journal.sqlite3") as db:
        db.execute("CREATE TABLE future_things (x)")
        db.execute("PRAGMA user_version = 99")
    db.close()
    for leftover in data.glob("journal.sqlite3-*"):
        leftover.unlink()
    before = hashlib.sha256((data / "journal.sqlite3").read_bytes()).hexdigest()

    wav = tmp_path / "wav"
    result = _run(
        tmp_path,
        "--text", "--mute", "--save-speech", str(wav), "--data-dir", str(data),
        stdin=ICE + "stop\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "written by a newer heat-or-ice (format 99); I left it untouched" in result.stderr
    spoken = spoken_names(wav)
    assert "i-can-t-open-the-session" in spoken[0]
    assert any("fifteen-minutes-of-ice" in name for name in spoken)  # ran in memory
    assert hashlib.sha256((data / "journal.sqlite3").read_bytes()).hexdigest() == before


# --- history on a read-only folder -----------------------------------------------------------


def test_history_works_on_a_read_only_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = _run(tmp_path, "--text", "--mute", "--data-dir", str(data), stdin=ICE + "stop\n")
    assert done.returncode == 0, done.stderr
    for path in data.iterdir():
        path.chmod(0o444)
    data.chmod(0o555)
    prefix: list[str] = []
    if os.getuid() == 0:  # root ignores permissions unless it gives up that power
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "voice_assistant", "history", "--data-dir", str(data)],
            capture_output=True,
            text=True,
            env=_env(tmp_path),
            timeout=60,
            check=False,
        )
    finally:
        data.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert "stopped" in result.stdout and "ice" in result.stdout
    assert sorted(p.name for p in data.iterdir()) == sorted(
        ["journal.sqlite3", "heat-or-ice.log", "heat-or-ice.lock"]
    )  # nothing created


# --- --data-dir "" -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["--text"], ["history"]])
def test_empty_data_dir_flag_is_refused(tmp_path: Path, command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "voice_assistant", *command, "--data-dir", ""],
        input="stop\n",
        capture_output=True,
        text=True,
        env=dict(_env(tmp_path), XDG_DATA_HOME=str(tmp_path / "share")),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert 'The option --data-dir "" is not allowed: it must be a folder path' in result.stderr
    assert not list(tmp_path.glob("journal*")) and not list(tmp_path.glob("heat-or-ice*"))


def test_empty_data_dir_in_settings_file_is_reported_the_same_way(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[storage]\ndata_dir = ""\n')
    result = run_cli(
        "--text", "--mute", "--config", str(settings), stdin="stop\n",
        env={"XDG_DATA_HOME": str(tmp_path / "share")},
    )  # fmt: skip
    assert result.returncode == 0
    assert "data_dir" in result.stderr and "a folder path in quotes" in result.stderr
    assert (tmp_path / "share" / "heat-or-ice").is_dir()  # the default folder was used
