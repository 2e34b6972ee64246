"""Session journal: durable writes, interrupted sessions, gaps, history, bad files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from voice_assistant.clock import FakeClock
from voice_assistant.errors import JournalError
from voice_assistant.events import TimerEvent
from voice_assistant.session.history import format_history
from voice_assistant.session.journal.journal import Journal, default_data_dir, open_journal
from voice_assistant.session.journal.journal_queries import InterruptedSession
from voice_assistant.session.journal.journal_schema import FILE_NAME
from voice_assistant.session.plans import SessionConfig, load_session_config
from voice_assistant.session.timer.timer import SessionTimer

WALL0 = 1_800_000_000.0  # FakeClock's wall time at 0: 2027-01-15 08:00:00 UTC
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def config() -> SessionConfig:
    return load_session_config()


@pytest.fixture
def journal(tmp_path: Path, config: SessionConfig) -> Iterator[Journal]:
    j = open_journal(tmp_path / "data", config, tz=UTC)
    yield j
    j.close()


def run_session(
    journal: Journal,
    config: SessionConfig,
    kind: str,
    clock: FakeClock,
    *,
    until: float,
    confirm_after: float | None = 5.0,
) -> tuple[int, SessionTimer]:
    """Drive timer + journal like the assistant loop, answering confirmations.
    No end_session call: recording the final event closes the session."""
    plan = config.plan_for(kind)
    assert plan is not None
    timer = SessionTimer(plan, config, tz=UTC)
    sid = journal.begin_session(kind, plan, clock.wall_time(), conversation_id="c1")

    def speak(events: list[TimerEvent]) -> None:
        for event in events:
            journal.record_event(sid, timer.to_snapshot(clock.now()), clock.wall_time(), event)

    speak(timer.start(clock.now(), clock.wall_time()))
    end = clock.now() + until
    while not timer.finished and (due := timer.next_due()) is not None and due <= end:
        clock.set(due)
        speak(timer.due_events(clock.now()))
        if confirm_after is not None and timer.state.awaiting:
            clock.advance(confirm_after)
            speak(timer.confirm(clock.now()))
    clock.set(max(clock.now(), end))
    return sid, timer


def test_every_write_is_visible_to_another_connection_and_after_reopen(
    tmp_path: Path, journal: Journal, config: SessionConfig
) -> None:
    clock = FakeClock()
    journal.record_answers("c1", {"emergency": "no", "onset": "two days ago"}, WALL0)
    sid, _ = run_session(journal, config, "ice", clock, until=300)  # still running
    other = sqlite3.connect(tmp_path / "data" / FILE_NAME)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert other.execute("SELECT kind, ended FROM sessions").fetchall() == [("ice", None)]
    assert other.execute("SELECT kind FROM events ORDER BY id").fetchall() == [("start",)]
    assert other.execute("SELECT phase, status, elapsed, remaining FROM progress").fetchall() == [
        ("ice", "running", 0.0, 900.0)
    ]
    assert other.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 2
    other.close()
    journal.close()

    again = open_journal(tmp_path / "data", config, tz=UTC)
    assert again.answers("c1") == [("emergency", "no", WALL0), ("onset", "two days ago", WALL0)]
    assert again.events(sid) == [("start", "Fifteen minutes of ice, starting now.")]
    assert again.find_interrupted(WALL0 + 600) is not None
    again.close()


def test_completed_session_is_closed_with_actual_minutes(
    journal: Journal, config: SessionConfig
) -> None:
    clock = FakeClock()
    sid, timer = run_session(journal, config, "ice_then_heat", clock, until=5000)
    assert timer.state.ended_how == "completed"
    assert journal.find_interrupted(clock.wall_time()) is None
    [row] = journal.history()
    assert (row.session_id, row.kind, row.ended_how) == (sid, "ice_then_heat", "completed")
    assert row.planned_minutes == 30
    assert row.actual_minutes == pytest.approx((905 + 905) / 60)
    kinds = [k for k, _ in journal.events(sid)]
    assert kinds == [
        "start", "halfway", "one_minute", "times_up", "rest_start",
        "phase_next", "start", "halfway", "one_minute", "times_up", "plan_done",
    ]  # fmt: skip


def test_find_interrupted_and_message_while_running(
    journal: Journal, config: SessionConfig
) -> None:
    clock = FakeClock()
    sid, timer = run_session(journal, config, "ice", clock, until=420)
    journal.heartbeat(sid, timer.to_snapshot(clock.now()), clock.wall_time())
    info = journal.find_interrupted(WALL0 + 420 + 7 * 60)
    assert info is not None
    assert (info.session_id, info.kind, info.phase, info.status) == (sid, "ice", "ice", "running")
    assert (info.minutes_ago, info.minutes_left) == (7, 8)
    assert journal.interrupted_message(info) == (
        "Your ice session was interrupted seven minutes ago, with eight minutes left. "
        "If a pack is still on, take it off now."
    )
    later = journal.find_interrupted(WALL0 + 420 + 20 * 60)
    assert later is not None
    assert journal.interrupted_message(later) == (
        "Your ice session was interrupted twenty minutes ago; its time ran out twelve minutes "
        "ago. If a pack is still on, take it off now."
    )


@pytest.mark.parametrize(
    ("phase", "status", "awaiting", "expected"),
    [
        ("ice", "paused", "", "Your ice session was interrupted three minutes ago while "
         "paused, with eight minutes left."),
        ("heat", "awaiting_confirmation", "off", "Your heat session was interrupted three "
         "minutes ago, after its time was up."),
        ("rest", "running", "", "Your ice and heat session was interrupted three minutes ago, "
         "during the rest between ice and heat."),
        ("heat", "awaiting_confirmation", "on", "Your ice and heat session was interrupted "
         "three minutes ago, before the heat went on."),
        ("ice", "idle", "", "Your ice session was interrupted three minutes ago, just as it "
         "was starting."),
    ],
)  # fmt: skip
def test_interrupted_message_variants(
    config: SessionConfig, phase: str, status: str, awaiting: str, expected: str
) -> None:
    info = InterruptedSession(1, "ice_then_heat", phase, 0, status, awaiting, WALL0, WALL0, 3, 8)
    journal = Journal.in_memory(config)
    message = journal.interrupted_message(info)
    journal.close()
    assert message == f"{expected} If a pack is still on, take it off now."


def test_mark_interrupted_closes_the_session_conservatively(
    journal: Journal, config: SessionConfig
) -> None:
    clock = FakeClock()
    sid, timer = run_session(journal, config, "ice", clock, until=420)
    journal.heartbeat(sid, timer.to_snapshot(clock.now()), clock.wall_time())
    now = WALL0 + 420 + 5 * 60
    journal.mark_interrupted(sid, now)
    assert journal.find_interrupted(now) is None
    [row] = journal.history()
    assert row.ended_how == "interrupted" and row.actual_minutes == 7
    # The pack may have stayed on until now: the next ice waits two hours from now.
    assert journal.last_application_end("ice", now) == now
    refusal = journal.gap_check("ice", now)
    assert refusal is not None and "can start in two hours," in refusal
    # Interrupted long ago: assume it ended when the reminders would have stopped.
    assert journal.last_application_end("heat", now) is None


def test_unmarked_old_crash_does_not_block_forever(journal: Journal, config: SessionConfig) -> None:
    clock = FakeClock()
    sid, timer = run_session(journal, config, "ice", clock, until=420)
    journal.heartbeat(sid, timer.to_snapshot(clock.now()), clock.wall_time())
    # last seen 420 s, 480 s left, reminders for 300 s more: pack off by 1200 s at the latest
    assert journal.last_application_end("ice", WALL0 + 86400) == WALL0 + 1200
    assert journal.gap_check("ice", WALL0 + 1200 + 7200) is None


def test_gap_boundaries_ice_two_hours_heat_one_hour(
    journal: Journal, config: SessionConfig
) -> None:
    clock = FakeClock()
    run_session(journal, config, "ice", clock, until=2000)  # ice confirmed off at 905 s
    ice_end = WALL0 + 905
    assert journal.last_application_end("ice", ice_end) == ice_end
    assert journal.gap_check("ice", ice_end + 30 * 60) == (
        "You used ice thirty minutes ago; the next ice session can start in an hour and a "
        "half, at 10:16 am."
    )
    almost = journal.gap_check("ice", ice_end + 7199)
    assert almost is not None and "can start in one minute," in almost
    assert journal.gap_check("ice", ice_end + 7200) is None
    assert journal.gap_check("heat", ice_end + 1) is None  # kinds are separate
    assert journal.gap_check("seek_care", ice_end) is None

    clock.set(10_000)
    run_session(journal, config, "heat", clock, until=2000)
    heat_end = WALL0 + 10_905
    assert journal.gap_check("heat", heat_end + 3599) is not None
    assert journal.gap_check("heat", heat_end + 3600) is None


def test_gap_check_for_ice_then_heat_counts_when_the_heat_would_start(
    journal: Journal, config: SessionConfig
) -> None:
    clock = FakeClock()
    run_session(journal, config, "heat", clock, until=2000)
    heat_end = WALL0 + 905
    # The heat of an ice-then-heat plan starts 35 minutes in: 20 minutes after the last
    # heat it would come 55 minutes after it, five minutes too soon.
    refusal = journal.gap_check("ice_then_heat", heat_end + 20 * 60)
    assert refusal is not None
    assert refusal.startswith("You used heat twenty minutes ago;")
    assert "the next ice and heat session can start in five minutes," in refusal
    assert journal.gap_check("ice_then_heat", heat_end + 25 * 60) is None


def test_history_table(journal: Journal, config: SessionConfig) -> None:
    assert format_history([], config) == "Your sessions\nNo sessions yet."
    clock = FakeClock()
    run_session(journal, config, "ice", clock, until=2000)
    clock.set(20_000)
    sid, timer = run_session(journal, config, "heat", clock, until=300)
    journal.end_session(sid, timer.to_snapshot(clock.now()), clock.wall_time(), "stopped")
    assert format_history(journal.history(), config, UTC).splitlines() == [
        "Your sessions",
        "Date              Kind  Planned  Actual  Ended",
        "----------------  ----  -------  ------  ---------",
        "2027-01-15 13:33  heat  15 min   5 min   stopped",
        "2027-01-15 08:00  ice   15 min   15 min  completed",
    ]
    assert len(journal.history(limit=1)) == 1


def test_unwritable_folder_gives_a_clear_error(tmp_path: Path, config: SessionConfig) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(JournalError) as err:
        open_journal(blocker / "data", config)
    message = str(err.value)
    assert "Cannot create the folder for the session journal" in message
    assert "--data-dir" in message and "Traceback" not in message


def test_journal_path_that_cannot_be_opened(tmp_path: Path, config: SessionConfig) -> None:
    (tmp_path / FILE_NAME).mkdir()  # a folder where the file should be
    with pytest.raises(JournalError, match="Cannot write the session journal"):
        open_journal(tmp_path, config)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_folder(tmp_path: Path, config: SessionConfig) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(JournalError, match="Cannot write the session journal"):
            open_journal(tmp_path, config)
    finally:
        tmp_path.chmod(0o700)


def test_corrupt_file_gives_a_clear_error(tmp_path: Path, config: SessionConfig) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"this is not sqlite at all " * 200)
    with pytest.raises(JournalError) as err:
        open_journal(tmp_path, config)
    assert "is damaged" in str(err.value) and "move the file aside" in str(err.value)


def test_newer_format_is_refused(tmp_path: Path, config: SessionConfig) -> None:
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(JournalError, match="newer heat-or-ice"):
        open_journal(tmp_path, config)


def test_failed_write_becomes_journal_error(config: SessionConfig) -> None:
    journal = Journal.in_memory(config)
    journal.record_answers("c", [("q", "a")], WALL0)
    assert journal.answers("c") == [("q", "a", WALL0)]
    journal.close()
    with pytest.raises(JournalError, match="Could not save your answers"):
        journal.record_answers("c", [("q", "a")], WALL0)


def test_default_data_dir_is_per_user() -> None:
    assert default_data_dir().name == "heat-or-ice"


# A session driven by a FakeClock up to a given clock time, then left hanging so the
# test can kill it. Every spoken event is printed only after its commit.
_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from voice_assistant.clock import FakeClock
    from voice_assistant.events import TimerEvent
    from voice_assistant.session.journal.journal import open_journal
    from voice_assistant.session.plans import load_session_config
    from voice_assistant.session.timer.timer import SessionTimer

    data_dir, kind, stop_at = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    config = load_session_config()
    journal = open_journal(data_dir, config)
    clock = FakeClock()
    plan = config.plan_for(kind)
    timer = SessionTimer(plan, config)
    sid = journal.begin_session(kind, plan, clock.wall_time())

    def speak(events):
        for e in events:
            journal.record_event(sid, timer.to_snapshot(clock.now()), clock.wall_time(), e)
            print("SAID", e.kind, flush=True)

    speak(timer.start(clock.now(), clock.wall_time()))
    while clock.now() < stop_at:
        step = min(config.heartbeat_seconds, stop_at - clock.now())
        due = timer.next_due()
        if due is not None:
            step = min(step, due - clock.now())
        clock.advance(step)
        speak(timer.due_events(clock.now()))
        if timer.state.awaiting:
            speak(timer.confirm(clock.now()))
        journal.heartbeat(sid, timer.to_snapshot(clock.now()), clock.wall_time())
    print("READY", flush=True)
    if stop_at == 0:  # hammer mode: write as fast as possible until killed
        i = 0
        while True:
            clock.advance(0.01)
            e = TimerEvent("tick", clock.now(), f"tick {i}")
            journal.record_event(sid, timer.to_snapshot(clock.now()), clock.wall_time(), e)
            print("TICK", i, flush=True)
            i += 1
    time.sleep(120)
    """
)


def _spawn(tmp_path: Path, kind: str, stop_at: float) -> subprocess.Popen[str]:
    script = tmp_path / "session_script.py"
    script.write_text(_SCRIPT)
    path = [str(REPO), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in path if p))
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "data"), kind, str(stop_at)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("kind", "stop_at", "phase", "left", "message"),
    [
        ("ice", 420, "ice", 8, "Your ice session was interrupted five minutes ago, with eight "
         "minutes left. If a pack is still on, take it off now."),
        ("ice_then_heat", 1500, "rest", 10, "Your ice and heat session was interrupted five "
         "minutes ago, during the rest between ice and heat. If a pack is still on, take it "
         "off now."),
    ],
)  # fmt: skip
def test_killed_session_is_found_after_restart(
    tmp_path: Path,
    config: SessionConfig,
    kind: str,
    stop_at: float,
    phase: str,
    left: float,
    message: str,
) -> None:
    proc = _spawn(tmp_path, kind, stop_at)
    assert proc.stdout is not None
    said = []
    for line in proc.stdout:
        if line.startswith("READY"):
            break
        said.append(line.split()[1])
    _kill(proc)
    journal = open_journal(tmp_path / "data", config)
    info = journal.find_interrupted(WALL0 + stop_at + 300)
    assert info is not None
    assert (info.kind, info.phase, info.minutes_ago, info.minutes_left) == (kind, phase, 5, left)
    assert journal.interrupted_message(info) == message
    assert [k for k, _ in journal.events(info.session_id)] == said
    journal.close()


def test_kill_during_writes_loses_nothing_committed(tmp_path: Path, config: SessionConfig) -> None:
    proc = _spawn(tmp_path, "ice", 0)
    assert proc.stdout is not None
    last = -1
    for line in proc.stdout:
        if line.startswith("TICK"):
            last = int(line.split()[1])
            if last >= 50:
                break
    _kill(proc)
    journal = open_journal(tmp_path / "data", config)  # quick_check passes
    ticks = [t for k, t in journal.events(1) if k == "tick"]
    assert len(ticks) >= last + 1  # every printed (committed) write is there
    assert ticks[: last + 1] == [f"tick {i}" for i in range(last + 1)]
    journal.close()


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("UPDATE progress SET remaining = 9e999", "the time left is inf"),
        ("UPDATE progress SET updated = 'yesterday'", "its last heartbeat is 'yesterday'"),
        ("UPDATE sessions SET started = 1e300", "its start is 1e+300"),
    ],
)
def test_odd_values_in_the_journal_are_reported_and_skipped(
    tmp_path: Path, config: SessionConfig, sql: str, words: str
) -> None:
    """F17: infinity, text in a number column or a time of 1e300 in an unfinished
    session crashed the start (OverflowError, ValueError) or `history`."""
    data = tmp_path / "data"
    journal = open_journal(data, config, tz=UTC)
    clock = FakeClock()
    run_session(journal, config, "ice", clock, until=300)  # left unfinished
    journal.close()
    with sqlite3.connect(data / FILE_NAME) as db:
        db.execute(sql)
    reopened = open_journal(data, config, tz=UTC)
    try:
        assert any(words in warning and "I skipped it" in warning for warning in reopened.warnings)
        assert reopened.find_interrupted(WALL0 + 400) is None  # skipped, not a crash
        format_history(reopened.history(), config)  # no crash
        reopened.last_application_end("ice", WALL0 + 400)
    finally:
        reopened.close()
