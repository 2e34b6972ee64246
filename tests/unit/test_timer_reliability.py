"""Issue 21: a timer that nothing can silence or stretch (faults F02, F03, F05, F06, F07,
F10, F19 of the hostile test pass; each test injects its fault)."""

from __future__ import annotations

import time

import pytest
from support import make_timer, run_until

from voice_assistant import clock as clock_module
from voice_assistant.clock import WAIT_SLICE, SystemClock
from voice_assistant.session.plans import SessionConfig, load_session_config
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
