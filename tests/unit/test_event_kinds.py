"""Every kind of timer announcement is a TimerEventKind, and prints as before."""

from __future__ import annotations

import json

import pytest
from support import make_timer, run_until

from voice_assistant.events import TimerEvent, TimerEventKind
from voice_assistant.session.plans import SessionConfig, load_session_config

HOURS = 4 * 3600.0


@pytest.fixture(scope="module")
def config() -> SessionConfig:
    return load_session_config()


def every_kind_said(config: SessionConfig) -> set[str]:
    """Kinds from sessions that go every way: unconfirmed, confirmed, paused, changed, stopped."""
    events: list[TimerEvent] = []
    # Nobody answers: time's up repeats, final chime, rest, "put the heat on" reminders.
    timer, clock = make_timer(config, "ice_then_heat")
    events += timer.start(0.0)
    events += run_until(timer, clock, HOURS)
    # Every "done" and "it's on" given: the plan ends.
    timer, clock = make_timer(config, "ice_then_heat")
    events += timer.start(0.0)
    while not timer.finished and clock.now() < HOURS:
        events += run_until(timer, clock, clock.now() + 60)
        events += timer.confirm(clock.now())
    # Questions, a change of minutes, a pause that is resumed, then stop.
    timer, clock = make_timer(config, "ice")
    events += timer.start(0.0)
    events += run_until(timer, clock, 120)
    events += timer.how_long_left(clock.now()) + timer.repeat(clock.now())
    events += timer.help(clock.now()) + timer.change_minutes(clock.now(), 12)
    events += timer.pause(clock.now()) + timer.resume(clock.now() + 30)
    events += timer.stop(clock.now() + 60)
    # A pause nobody ends.
    timer, clock = make_timer(config, "heat")
    events += timer.start(0.0)
    events += run_until(timer, clock, 60) + timer.pause(60.0)
    events += run_until(timer, clock, HOURS)
    return {event.kind for event in events}


def test_every_kind_the_timer_says_is_a_timer_event_kind(config: SessionConfig) -> None:
    kinds = every_kind_said(config)
    assert len(kinds) >= 15, sorted(kinds)  # the sessions above really go every way
    unknown = kinds - {kind.value for kind in TimerEventKind}
    assert not unknown, f"add {sorted(unknown)} to TimerEventKind in events.py"


def test_a_kind_prints_as_its_plain_value() -> None:
    assert json.dumps({"event": TimerEventKind.TIMES_UP}) == '{"event": "times_up"}'
    assert str(TimerEventKind.PHASE_NEXT) == "phase_next"
