"""Issue 21: a timer that nothing can silence or stretch (faults F02, F03, F05, F06, F07,
F10, F19 of the hostile test pass; each test injects its fault)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import make_timer, run_until

from voice_assistant import clock as clock_module
from voice_assistant.clock import WAIT_SLICE, SystemClock
from voice_assistant.session.plans import SessionConfig, load_session_config
from voice_assistant.session.timer.timer import SessionTimer
from voice_assistant.session.timer.timer_state import Status


@pytest.fixture(scope="module")
def config() -> SessionConfig:
    return load_session_config()


# --- F02: a suspend must not stretch the session -----------------------------------------


class SuspendableMachine:
    """CLOCK_MONOTONIC and CLOCK_BOOTTIME as a process sees them across a suspend."""

    def __init__(self) -> None:
        self.monotonic = 1000.0
        self.boot = 5000.0

    def run(self, seconds: float) -> None:
        self.monotonic += seconds
        self.boot += seconds

    def suspend(self, seconds: float) -> None:
        self.boot += seconds  # the monotonic clock stands still

    def clock_gettime(self, clock_id: int) -> float:
        assert clock_id == time.CLOCK_BOOTTIME
        return self.boot


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> SuspendableMachine:
    fake = SuspendableMachine()
    monkeypatch.setattr(time, "monotonic", lambda: fake.monotonic)
    monkeypatch.setattr(time, "clock_gettime", fake.clock_gettime)
    return fake


def test_the_session_clock_counts_a_suspend(machine: SuspendableMachine) -> None:
    clock = SystemClock()
    machine.run(180)
    machine.suspend(1800)
    assert clock.now() == pytest.approx(1980)


def test_a_suspend_in_the_middle_of_ice_ends_it_on_time(
    config: SessionConfig, machine: SuspendableMachine
) -> None:
    timer, _ = make_timer(config, "ice")
    clock = SystemClock()
    timer.start(clock.now())
    machine.run(180)
    assert timer.due_events(clock.now()) == []
    machine.suspend(1800)  # laptop lid closed for 30 minutes, 3 minutes into 15
    kinds = [e.kind for e in timer.due_events(clock.now())]
    assert "times_up" in kinds  # said at the resume, not 12 minutes later


def test_no_wait_is_longer_than_a_slice_because_waits_do_not_count_suspend() -> None:
    clock = SystemClock(speed=1.0)
    assert clock.real_seconds(12 * 60) == WAIT_SLICE
    assert clock.real_seconds(0.25) == 0.25
    assert clock.real_seconds(-3) == 0.0


def test_without_a_boot_clock_the_session_clock_is_monotonic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(time, "CLOCK_BOOTTIME")
    monkeypatch.setattr(time, "monotonic", lambda: 42.0)
    assert clock_module.session_seconds() == 42.0
    assert clock_module.since_boot() is None


# --- F06: after a late wake-up the reminders still run their full span ----------------


def test_reminders_after_a_late_times_up_run_their_full_span(config: SessionConfig) -> None:
    sched = config.schedule
    timer, clock = make_timer(config, "ice")
    timer.start(0.0)
    late = 900 + sched.times_up_repeat_for_seconds + 300  # SIGSTOP, Ctrl-S, heavy load
    clock.set(late)
    first = timer.due_events(late)
    assert [e.kind for e in first] == ["times_up"]
    events = run_until(timer, clock, late + sched.times_up_repeat_for_seconds + 1)
    repeats = [e for e in events if e.kind == "times_up_repeat"]
    finals = [e for e in events if e.kind == "final_chime"]
    assert repeats and repeats[0].due == pytest.approx(late + sched.times_up_repeat_seconds)
    assert finals[0].due == pytest.approx(late + sched.times_up_repeat_for_seconds)
    # The pack time still counts from when time's up was due: all of it, late or not.
    record = timer.to_snapshot(clock.now()).phases[0]
    assert record.seconds == pytest.approx(late + sched.times_up_repeat_for_seconds)


def test_put_on_reminders_after_a_late_rest_over_run_their_full_span(
    config: SessionConfig,
) -> None:
    sched = config.schedule
    timer, clock = make_timer(config, "ice_then_heat")
    timer.start(0.0)
    run_until(timer, clock, 905)
    timer.confirm(905.0)  # the ice is off; the rest begins
    rest_over = 905 + config.rest_minutes * 60
    late = rest_over + sched.put_on_wait_seconds + 60
    events = timer.due_events(late)
    assert [e.kind for e in events] == ["phase_next"]
    assert timer.state.status is Status.AWAITING and timer.state.awaiting == "on"
    assert timer.next_due() == pytest.approx(late + sched.put_on_repeat_seconds)


# --- F05: the 20-minute cap is a rule of the session, not of one operation -------------


def test_make_it_twenty_after_a_pause_keeps_the_cap(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice")
    timer.start(0.0)
    timer.pause(60.0)
    run_until(timer, clock, 660)
    timer.resume(660.0)  # capped: nine minutes left
    changed = timer.change_minutes(720.0, 20)
    assert [e.kind for e in changed] == ["changed"]
    assert "only eight minutes of ice is left" in changed[0].text
    events = run_until(timer, clock, 1300)
    assert [e.due for e in events if e.kind == "times_up"] == [1200]


CAP = 20 * 60.0
COMMANDS = st.one_of(
    st.tuples(st.just("wait"), st.sampled_from([1.0, 30.0, 60.0, 300.0, 600.0])),
    st.tuples(st.just("wait"), st.floats(min_value=0.0, max_value=900.0)),
    st.tuples(st.sampled_from(["pause", "resume", "start", "done", "left"]), st.just(0.0)),
    st.tuples(st.just("minutes"), st.sampled_from([5, 7.5, 10, 15, 19, 20])),
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["ice", "heat", "ice_then_heat"]),
    first=st.sampled_from([None, 5, 15, 20]),
    steps=st.lists(COMMANDS, max_size=15),
)
def test_no_command_sequence_keeps_a_pack_on_past_the_cap(
    config: SessionConfig,
    kind: str,
    first: float | None,
    steps: list[tuple[str, float]],
) -> None:
    """Any mix of start/pause/resume/"make it N minutes"/time passing: time's up is
    said by the cap (20 minutes from when that pack first went on), every time."""
    timer, clock = make_timer(config, kind)
    if first is not None:
        timer.change_minutes(0.0, first)
    events = timer.start(0.0)
    for command, value in steps:
        if command == "wait":
            events += run_until(timer, clock, clock.now() + value)
            continue
        now = clock.now()
        if command == "minutes":
            events += timer.change_minutes(now, value)
        else:
            events += {
                "pause": timer.pause,
                "resume": timer.resume,
                "start": timer.start,
                "done": timer.confirm,
                "left": timer.how_long_left,
            }[command](now)
        state = timer.state
        if state.status is Status.RUNNING and state.phase != "rest":
            started = timer.to_snapshot(now).phases[state.phase_index].started
            assert started is not None
            assert now + timer.remaining(now) <= started + CAP + 1e-6
    events += run_until(timer, clock, clock.now() + 2 * CAP)
    phases = timer.to_snapshot(clock.now()).phases
    for event in events:
        if event.kind == "times_up":
            started = phases[event.phase_index].started
            assert started is not None and event.due <= started + CAP + 1e-6
    for record in phases:
        if record.phase != "rest" and record.started is not None:
            assert record.ended is not None  # time's up, done, or stopped: never left on


# --- F19: a time-zone change mid-session is followed ------------------------------------


def test_the_local_zone_is_read_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link = tmp_path / "localtime"
    link.symlink_to("/usr/share/zoneinfo/Europe/London")
    monkeypatch.setenv("TZ", f":{link}")
    winter = 1_800_000_000.0  # 2027-01-15 08:00 UTC
    assert datetime.fromtimestamp(winter, SystemClock().zone()).hour == 8
    link.unlink()
    link.symlink_to("/usr/share/zoneinfo/America/New_York")  # travel, timedatectl
    assert datetime.fromtimestamp(winter, SystemClock().zone()).hour == 3
    monkeypatch.setenv("TZ", "")
    assert clock_module.local_zone() == UTC
    monkeypatch.setenv("TZ", ":/nonexistent/zone")
    assert clock_module.local_zone() is None  # the C library's idea of local time


def test_clock_times_said_in_a_session_follow_a_zone_change(config: SessionConfig) -> None:
    zone: list[tzinfo] = [ZoneInfo("Europe/London")]
    plan = config.plan_for("ice")
    assert plan is not None
    timer = SessionTimer(plan, config, tz=lambda: zone[0])
    wall0 = 1_800_000_000.0  # 08:00 in London, 03:00 in New York
    timer.start(0.0, wall0)
    zone[0] = ZoneInfo("America/New_York")
    stopped = timer.stop(60.0)
    # Ice off at 08:01 UTC, two hours' gap: 10:01 UTC = 5:01 am in New York.
    assert "The next ice can start at 5:01 am." in stopped[-1].text
