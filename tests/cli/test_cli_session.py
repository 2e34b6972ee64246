"""Timed sessions through the real command line: kill -9, SIGTERM, history."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support import REPO, SCREEN_CLEAR, json_turns, run_cli

ICE = "no\n" * len(SCREEN_CLEAR) + "two days ago\nyes\nstart\n"


def start_session(data_dir: Path, speed: float) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(data_dir / "cfg"))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voice_assistant",
            "--text",
            "--mute",
            "--json",
            "--clock-speed",
            str(speed),
            "--data-dir",
            str(data_dir),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(ICE)
    process.stdin.flush()
    return process


def read_until(
    process: subprocess.Popen[str], event: str, limit: float = 60
) -> list[dict[str, Any]]:
    seen = []
    deadline = time.monotonic() + limit
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(json.loads(line))
        if seen[-1].get("event") == event:
            return seen
    raise AssertionError(f"never saw {event}: {seen[-3:]}")


def test_sigkill_mid_session_then_restart_says_so_first(tmp_path: Path) -> None:
    process = start_session(tmp_path, speed=100)
    read_until(process, "halfway")  # 450 clock seconds = 4.5 s real at 100x
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        rows = db.execute("SELECT kind, ended_how FROM sessions").fetchall()
        said = [text for (text,) in db.execute("SELECT text FROM events")]
    assert rows == [("ice", None)]  # open: nothing closed it
    assert "Fifteen minutes of ice, starting now." in said
    assert any(text.startswith("Halfway") for text in said)  # announced, so journaled

    result = run_cli("--text", "--mute", "--json", "--data-dir", str(tmp_path), stdin="stop\n")
    turns = json_turns(result.stdout)
    assert turns[0]["state"] == "notice"
    assert "ice session was interrupted" in turns[0]["say"]
    assert "minutes left" in turns[0]["say"] and "take it off now" in turns[0]["say"]
    assert turns[1]["state"] == "greeting"
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        assert db.execute("SELECT ended_how FROM sessions").fetchall() == [("interrupted",)]


def test_sigterm_says_goodbye_and_records_interrupted(tmp_path: Path) -> None:
    process = start_session(tmp_path, speed=20)
    read_until(process, "start")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    last = json_turns(out)[-1]
    assert "Take the ice off now" in last["say"]
    assert "Traceback" not in err
    history = run_cli("history", "--data-dir", str(tmp_path))
    assert history.returncode == 0
    assert "interrupted" in history.stdout.lower()


def test_whole_ice_session_at_high_speed(tmp_path: Path) -> None:
    result = run_cli(
        "--text",
        "--mute",
        "--json",
        "--clock-speed",
        "400",
        "--data-dir",
        str(tmp_path),
        # Well after time's up (the nine screening answers take a few clock seconds
        # at 400x on a busy machine), well before the final chime.
        stdin=ICE + "@1050 done\n",
    )
    assert result.returncode == 0, result.stderr
    events = [t.get("event") for t in json_turns(result.stdout)]
    # "done" comes some time after time's up (how long depends on the machine's load at
    # 400x): reminders may be repeated until then, nothing else.
    started = events.index("start")
    main_events = [e for e in events[started:] if e != "times_up_repeat"]
    assert main_events == ["start", "halfway", "one_minute", "times_up", "plan_done"]
    history = run_cli("history", "--data-dir", str(tmp_path))
    assert "completed" in history.stdout.lower() and "ice" in history.stdout.lower()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signal_mid_session_is_reported_at_the_next_start_once(
    tmp_path: Path, signum: signal.Signals
) -> None:
    process = start_session(tmp_path, speed=20)
    read_until(process, "start")
    time.sleep(1.5)  # 30 clock seconds into the ice
    process.send_signal(signum)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Take the ice off now" in json_turns(out)[-1]["say"]
    assert "Traceback" not in err
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        assert db.execute("SELECT ended_how FROM sessions").fetchall() == [("interrupted",)]

    again = run_cli("--text", "--mute", "--json", "--data-dir", str(tmp_path), stdin="stop\n")
    turns = json_turns(again.stdout)
    assert turns[0]["state"] == "notice", turns[0]
    said = turns[0]["say"]
    assert said.startswith("Your ice session was interrupted ") and " ago, with " in said
    assert "minutes left." in said and said.endswith("If a pack is still on, take it off now.")
    assert turns[1]["state"] == "greeting"

    third = run_cli("--text", "--mute", "--json", "--data-dir", str(tmp_path), stdin="stop\n")
    assert json_turns(third.stdout)[0]["state"] == "greeting"  # said once, not every start


def test_a_fast_clock_is_a_trial_that_leaves_the_real_history_alone(tmp_path: Path) -> None:
    real = tmp_path / "data"
    env = {"XDG_DATA_HOME": str(real), "TMPDIR": str(tmp_path)}
    result = run_cli(
        "--text", "--mute", "--clock-speed", "400", stdin=ICE + "@1050 done\n", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "This is a trial run: the clock runs 400 times faster" in result.stdout + result.stderr
    assert "time's up" in result.stdout.lower()
    assert not list(tmp_path.glob("heat-or-ice-trial-*"))  # the throwaway folder is gone
    history = run_cli("history", env=env)
    assert "no sessions" in history.stdout.lower(), history.stdout
    # so real ice is not refused for the next two hours
    real_run = run_cli("--text", "--mute", stdin=ICE.removesuffix("start\n"), env=env)
    assert "You used ice" not in real_run.stdout
    assert "say no thanks" in real_run.stdout.lower()  # the timer is offered, not refused


def test_try_says_so_at_start_and_keeps_a_named_folder(tmp_path: Path) -> None:
    result = run_cli("--text", "--mute", "--try", "--data-dir", str(tmp_path), stdin="stop\n")
    assert result.returncode == 0, result.stderr
    said = result.stdout + result.stderr
    assert "the clock runs 60 times faster" in said
    assert f"Sessions are written to {tmp_path}" in said
    assert tmp_path.is_dir()


def test_ctrl_z_is_refused_out_loud_and_the_timer_keeps_running(tmp_path: Path) -> None:
    """F07: SIGTSTP used to stop the process without a word, pack on, no time's up."""
    process = start_session(tmp_path, speed=100)
    read_until(process, "start")
    process.send_signal(signal.SIGTSTP)
    time.sleep(0.5)
    state = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    assert state != "T"  # not stopped
    read_until(process, "halfway")  # still timing: 450 clock seconds = 4.5 s at 100x
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    assert "Ctrl-Z can't pause me: I keep running" in err
    assert "Traceback" not in err


def test_always_on_restart_tells_the_interrupted_session_before_any_wake_phrase(
    tmp_path: Path,
) -> None:
    """F03: in --wake mode the warning used to wait for the wake phrase."""
    process = start_session(tmp_path, speed=20)
    read_until(process, "start")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=20)
    again = run_cli("--wake", "--text", "--mute", "--json", "--data-dir", str(tmp_path))
    turns = json_turns(again.stdout)
    assert turns and turns[0]["state"] == "notice", (again.stdout, again.stderr)
    assert turns[0]["say"].startswith("Your ice session was interrupted ")
    assert "Traceback" not in again.stderr


def test_after_sigstop_past_the_end_the_reminders_still_run_in_full(tmp_path: Path) -> None:
    """F06: stopped (SIGSTOP) past time's up and its five minutes of reminders, the
    assistant used to say time's up and "I'll stop reminding you" in the same breath."""
    process = start_session(tmp_path, speed=100)  # 15 minutes of ice = 9 s
    read_until(process, "start")
    time.sleep(0.5)
    process.send_signal(signal.SIGSTOP)
    time.sleep(14)  # past time's up (9 s) and its reminders (3 s)
    process.send_signal(signal.SIGCONT)
    seen = read_until(process, "final_chime", limit=20)
    kinds = [turn.get("event") for turn in seen]
    after = kinds[kinds.index("times_up") :]
    assert after.count("times_up_repeat") >= 5, kinds
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=20)
