"""Session timer under a FakeClock: whole plans run in milliseconds."""

from __future__ import annotations

import itertools
from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import make_timer, run_until

from voice_assistant.clock import FakeClock
from voice_assistant.events import TimerEvent
from voice_assistant.session.plans import Phase, Plan, SessionConfig, load_session_config
from voice_assistant.session.timer.timer import SessionTimer
from voice_assistant.session.timer.timer_state import Status

WALL0 = 1_800_000_000.0  # FakeClock's default wall time at 0: 2027-01-15 08:00:00 UTC


CLOSING = (
    "Gentle movement helps. If it's not better in about three days, or it stops you doing "
    "normal things, see a doctor, pharmacist or physiotherapist."
)


@pytest.fixture(scope="module")
def config() -> SessionConfig:
    return load_session_config()


def said(events: list[TimerEvent]) -> list[tuple[float, str, str]]:
    return [(e.due, e.kind, e.text) for e in events]


TIMES_UP_ICE = "Time's up: take the ice off now. Say done when it's off."
REPEAT_ICE = "Time's up: take the ice off now, and say done when it's off."
PLAN_DONE = (
    "That's the end of the session. Gentle movement helps. If it's not better in about "
    "three days, or it stops you doing normal things, see a doctor, pharmacist or "
    "physiotherapist."
)


def test_full_ice_then_heat_plan_every_announcement(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice_then_heat")
    events = timer.start(clock.now(), clock.wall_time())
    events += run_until(timer, clock, 905)
    events += timer.confirm(clock.now())  # "done" 5 s after time's up
    events += run_until(timer, clock, 2110)
    assert timer.state.status is Status.AWAITING and timer.state.awaiting == "on"
    events += timer.confirm(clock.now())  # "start": heat is on
    events += run_until(timer, clock, 3012)
    events += timer.confirm(clock.now())
    assert said(events) == [
        (0, "start", "Fifteen minutes of ice, starting now."),
        (450, "halfway", "Halfway: seven and a half minutes left."),
        (840, "one_minute", "One minute left."),
        (900, "times_up", TIMES_UP_ICE),
        (
            905,
            "rest_start",
            "Good, the ice is off. Now rest for twenty minutes; "
            "I'll tell you when to put the heat on.",
        ),
        (
            2105,
            "phase_next",
            "The rest is over: time to put the heat on, wrapped in a cloth. "
            "Say start when it's on.",
        ),
        (2110, "start", "Fifteen minutes of heat, starting now."),
        (2560, "halfway", "Halfway: seven and a half minutes left."),
        (2950, "one_minute", "One minute left."),
        (3010, "times_up", "Time's up: take the heat off now. Say done when it's off."),
        (
            3012,
            "plan_done",
            # ice ended 08:15:05 + 2 h; heat ended 08:50:12 + 1 h (rounded up).
            f"Good, the heat is off. {PLAN_DONE} "
            "The next ice can start at 10:16 am. The next heat can start at 9:51 am.",
        ),
    ]
    assert [e.needs_confirmation for e in events].count(True) == 3
    assert timer.finished and timer.state.ended_how == "completed"
    assert timer.next_due() is None
    phases = timer.to_snapshot(clock.now()).phases
    assert [(p.phase, p.started, p.ended, p.ended_how, p.seconds) for p in phases] == [
        ("ice", 0, 905, "completed", 905),
        ("rest", 905, 2105, "completed", 1200),
        ("heat", 2110, 3012, "completed", 902),
    ]


def test_times_up_repeats_for_a_bounded_time_then_final_chime(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice")
    timer.start(0.0, WALL0)
    events = run_until(timer, clock, 5000)
    tail = [e for e in events if e.due >= 900]
    assert [(e.due, e.kind) for e in tail] == [
        (900, "times_up"),
        *[(900 + 30 * k, "times_up_repeat") for k in range(1, 10)],
        (1200, "final_chime"),
        (1200, "plan_done"),
    ]
    assert all(e.text == REPEAT_ICE and e.needs_confirmation for e in tail[1:10])
    assert tail[-2].text == (
        "I'll stop reminding you now. If the ice is still on, take it off straight away."
    )
    assert tail[-1].text == f"{PLAN_DONE} The next ice can start at 10:20 am."
    assert timer.state.ended_how == "completed"
    assert timer.to_snapshot(5000).phases[0].ended_how == "unconfirmed"
    assert timer.due_events(9999) == []


def test_unconfirmed_ice_still_rests_then_waits_for_heat_then_gives_up(
    config: SessionConfig,
) -> None:
    timer, clock = make_timer(config, "ice_then_heat")
    timer.start(0.0)  # no wall time: the end says the gap instead of a clock time
    events = run_until(timer, clock, 9999)
    kinds = [(e.due, e.kind) for e in events if e.due >= 1200]
    assert kinds == [
        (1200, "final_chime"),
        (1200, "rest_start"),
        (2400, "phase_next"),
        *[(2400 + 60 * k, "put_on_reminder") for k in range(1, 10)],
        (3000, "put_on_timeout"),
    ]
    assert events[-1].text == (
        "I haven't heard start, so I'm ending the session here. "
        "Leave at least two hours before the next ice."
    )
    assert timer.state.status is Status.FINISHED and timer.state.ended_how == "cancelled"
    heat = timer.to_snapshot(9999).phases[2]
    assert heat.started is None and heat.ended_how == "skipped"


def test_pause_says_take_it_off_and_resume_says_put_it_back(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice")
    timer.start(0.0)
    run_until(timer, clock, 300)
    assert said(timer.pause(300)) == [
        (
            300,
            "paused",
            "Paused, with ten minutes of ice left. "
            "Take the ice off now, and say resume when it's back on.",
        )
    ]
    assert timer.remaining(350) == 600
    assert said(timer.resume(400)) == [
        (
            400,
            "resumed",
            "Carrying on: ten minutes of ice left. Put the ice back on, wrapped in a cloth.",
        )
    ]
    assert timer.next_due() == 550  # halfway: 450 s of ice time, 100 s paused
    assert [(e.due, e.kind) for e in run_until(timer, clock, 600)] == [(550, "halfway")]
    assert said(timer.how_long_left(700)) == [(700, "remaining", "Five minutes of ice left.")]
    events = run_until(timer, clock, 1000)
    assert [(e.due, e.kind) for e in events] == [(940, "one_minute"), (1000, "times_up")]
    timer.confirm(1000)
    assert timer.to_snapshot(1000).phases[0].seconds == 900  # pack time: pause excluded


def test_a_pause_counts_toward_the_cap_so_resume_may_get_less(config: SessionConfig) -> None:
    """Nobody can check the pack came off: from the start of the phase it is never
    on past twenty minutes, paused or not."""
    timer, clock = make_timer(config, "ice")
    timer.start(0.0)
    run_until(timer, clock, 300)
    timer.pause(300)
    assert said(run_until(timer, clock, 700)) == [
        (
            600,
            "pause_reminder",
            "Still paused, with ten minutes of ice left. Keep the ice off, and say resume "
            "when it's back on, or stop to end it.",
        )
    ]
    # 300 s on + 400 s paused: 500 s of the 1200 s cap remain, less than the 600 s planned.
    assert timer.remaining(700) == 500
    assert said(timer.resume(700)) == [
        (
            700,
            "resumed",
            "Carrying on, but the pause counts toward the twenty-minute limit, so only "
            "eight and a half minutes of ice is left. Put the ice back on, wrapped in a cloth.",
        )
    ]
    events = run_until(timer, clock, 1200)
    assert [(e.due, e.kind) for e in events][-1] == (1200, "times_up")
    assert timer.to_snapshot(1200).elapsed == 800  # pack time, pauses excluded
    assert timer.to_snapshot(1200).phases[0].planned_seconds == 900  # the plan is kept


@pytest.mark.parametrize("kind", ["ice", "heat"])
def test_a_long_pause_ends_the_phase_with_times_up(config: SessionConfig, kind: str) -> None:
    timer, clock = make_timer(config, kind)
    timer.start(0.0, WALL0)
    run_until(timer, clock, 100)
    timer.pause(100)
    events = run_until(timer, clock, 1260)
    assert [(e.due, e.kind) for e in events] == [
        *[(100 + 300 * k, "pause_reminder") for k in range(1, 4)],
        (1200, "times_up"),  # the cap, counted from the start: 100 s on + 1100 s paused
        (1230, "times_up_repeat"),
        (1260, "times_up_repeat"),
    ]
    assert events[3].text == (
        f"That pause has used up the twenty minutes this {kind} may take. "
        f"Time's up: take the {kind} off now. Say done when it's off."
    )
    assert events[3].needs_confirmation
    assert timer.state.status is Status.AWAITING and timer.state.awaiting == "off"
    assert said(timer.confirm(1270))[0][2].startswith(f"Good, the {kind} is off.")
    record = timer.to_snapshot(1270).phases[0]
    assert record.ended_how == "completed"
    assert record.seconds == 100 + 70  # pack time before the pause + waiting for "done"


def test_a_long_pause_during_the_rest_ends_the_session(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice_then_heat")
    timer.start(0.0)
    run_until(timer, clock, 900)
    timer.confirm(905)  # resting now
    assert timer.pause(1000)[0].text == (
        "Paused, with eighteen minutes of rest left. Say resume to carry on."
    )
    events = run_until(timer, clock, 5000)
    assert [(e.due, e.kind) for e in events] == [
        *[(1000 + 300 * k, "pause_reminder") for k in range(1, 6)],
        (2800, "pause_timeout"),
    ]
    assert events[-1].text.startswith("The session has been paused for thirty minutes")
    assert timer.state.ended_how == "stopped"


@pytest.mark.parametrize("pause_at", [0.0, 60.0, 450.0, 880.0])
@pytest.mark.parametrize("paused_for", [10.0, 200.0, 700.0, 1500.0])
@pytest.mark.parametrize("minutes", [5, 15, 20])
def test_the_pack_is_never_on_past_the_cap_or_the_plan(
    config: SessionConfig, pause_at: float, paused_for: float, minutes: int
) -> None:
    """Pause, resume, pause again: pack time never exceeds the plan, and the time's
    up comes no later than twenty minutes after the pack went on."""
    plan = config.plan_for("ice")
    assert plan is not None
    timer = SessionTimer(plan.with_minutes(minutes), config, tz=UTC)
    clock = FakeClock()
    timer.start(0.0)
    times_up_at = None
    t = 0.0
    for step in (pause_at, paused_for, 30.0, paused_for / 2, 10_000.0):
        t += step
        for event in run_until(timer, clock, t):
            if event.kind == "times_up" and times_up_at is None:
                times_up_at = event.due
        status = timer.state.status
        if status is Status.RUNNING:
            timer.pause(t)
        elif status is Status.PAUSED:
            timer.resume(t)
    assert times_up_at is not None
    assert times_up_at <= config.max_minutes * 60 + 1e-6
    snap = timer.to_snapshot(times_up_at)
    assert snap.elapsed <= minutes * 60 + 1e-6


def test_pause_refused_after_times_up_and_double_pause(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice")
    timer.start(0.0)
    timer.pause(10)
    assert timer.pause(20)[0].text.startswith("It's already paused")
    assert timer.resume(30)[0].kind == "resumed"
    assert timer.resume(40)[0].text == "The session isn't paused."
    run_until(timer, clock, 925)
    refusal = timer.pause(925)
    assert [e.kind for e in refusal] == ["info"]
    assert refusal[0].text == (
        "The time is up, so there's nothing to pause: take the ice off now, and say done."
    )


def test_stop_during_ice_and_during_rest(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice")
    timer.start(0.0, WALL0)
    assert said(timer.stop(200)) == [
        (
            200,
            "stopped",
            "Stopping the session. Take the ice off now. "
            + CLOSING
            + " The next ice can start at 10:04 am.",
        )
    ]
    assert timer.finished and timer.state.ended_how == "stopped"
    assert timer.next_due() is None and timer.due_events(5000) == []
    assert timer.stop(300)[0].text == "There's no session running."

    timer, clock = make_timer(config, "ice_then_heat")
    timer.start(0.0)
    run_until(timer, clock, 901)
    timer.confirm(901)
    events = timer.stop(1000)
    assert events[0].text == (
        f"Stopping the session. {CLOSING} Leave at least two hours before the next ice."
    )
    assert [p.ended_how for p in timer.to_snapshot(1000).phases] == [
        "completed",
        "stopped",
        "skipped",
    ]


def test_stop_before_start_cancels(config: SessionConfig) -> None:
    timer, _ = make_timer(config, "ice")
    events = timer.stop(0.0)
    assert [(e.kind, e.text) for e in events] == [("stopped", "All right, no session.")]
    assert timer.state.ended_how == "cancelled"


def test_how_long_left_in_every_state(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice_then_heat")

    def answer(now: float) -> str:
        events = timer.how_long_left(now)
        assert events[-1].kind == "remaining"
        return events[-1].text

    assert answer(0) == "There's no session running."
    timer.start(0.0)
    assert answer(0.5) == "Fifteen minutes of ice left."
    assert answer(890) == "Ten seconds of ice left."
    run_until(timer, clock, 901)
    assert answer(901) == "The time is up: take the ice off now, and say done."
    timer.confirm(901)
    assert answer(901 + 660) == "Nine minutes of rest left before the heat."
    run_until(timer, clock, 2200)
    assert answer(2200) == "The rest is over: put the heat on and say start."


def test_confirm_early_and_confirm_during_rest_change_nothing(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice_then_heat")
    timer.start(0.0)
    events = timer.confirm(420)
    assert [(e.kind, e.text) for e in events] == [
        ("info", "There's still eight minutes of ice left. If you want to finish early, say stop.")
    ]
    assert timer.state.status is Status.RUNNING and timer.next_due() == 450
    run_until(timer, clock, 900)
    timer.confirm(900)
    assert timer.confirm(960)[0].text == (
        "Nineteen minutes of rest left; I'll tell you when to put the heat on."
    )


def test_events_are_delivered_exactly_once(config: SessionConfig) -> None:
    timer, _ = make_timer(config, "ice")
    timer.start(0.0)
    assert [e.kind for e in timer.due_events(450)] == ["halfway"]
    assert timer.due_events(450) == []
    assert timer.due_events(451) == []
    assert timer.next_due() == 840


def test_late_wake_up_says_only_what_still_matters(config: SessionConfig) -> None:
    timer, _ = make_timer(config, "ice")
    timer.start(0.0)
    # Nobody looked between 449 s and 1000 s: halfway, one minute left, time's up
    # and a repeat are all due; only "time's up" is worth saying now.
    assert [(e.due, e.kind) for e in timer.due_events(1000)] == [(900, "times_up")]
    # Its reminders count from when it was said (F06), not from when it was due.
    assert timer.next_due() == 1030
    # A wake-up a few ms late still says the halfway announcement.
    timer, _ = make_timer(config, "ice")
    timer.start(0.0)
    assert [e.kind for e in timer.due_events(450.05)] == ["halfway"]


def test_short_phases_merge_announcements(config: SessionConfig) -> None:
    def schedule(seconds: float) -> list[tuple[float, str, str]]:
        timer = SessionTimer(Plan("ice", (Phase("ice", seconds),)), config)
        events = timer.start(0.0)
        while (due := timer.next_due()) is not None and due <= seconds:
            events += timer.due_events(due)
        return said(events)

    # two minutes: halfway and one-minute-left fall together; one is said
    assert [k for _, k, _ in schedule(120)] == ["start", "one_minute", "times_up"]
    assert schedule(60) == [
        (0, "start", "One minute of ice, starting now."),
        (30, "halfway", "Halfway: thirty seconds left."),
        (60, "times_up", TIMES_UP_ICE),
    ]
    assert [k for _, k, _ in schedule(30)] == ["start", "times_up"]


@given(seconds=st.floats(min_value=20, max_value=1200))
def test_scheduled_announcements_never_crowd_each_other(seconds: float) -> None:
    config = load_session_config()
    timer = SessionTimer(Plan("heat", (Phase("heat", seconds),)), config)
    dues = [e.due for e in timer.start(0.0)]
    while (due := timer.next_due()) is not None and due <= seconds:
        dues += [e.due for e in timer.due_events(due)]
    assert dues[0] == 0 and dues[-1] == pytest.approx(seconds)
    gaps = [b - a for a, b in itertools.pairwise(dues)]
    assert all(g >= config.schedule.min_spacing_seconds - 1e-6 for g in gaps)


def test_repeat_and_help(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice")
    assert timer.repeat(0)[0].text == "I haven't said anything yet."
    assert timer.help(0)[0].text == "Say start when the pack is on."
    timer.start(0.0)
    run_until(timer, clock, 460)
    assert [(e.kind, e.text) for e in timer.repeat(460)] == [
        ("repeat", "Halfway: seven and a half minutes left.")
    ]
    timer.how_long_left(500)
    assert (
        timer.repeat(560)[0].text == "Five and a half minutes of ice left."
    )  # recomputed, not stale
    assert timer.help(560)[0].text == "You can say: how long left, pause, repeat, or stop."
    run_until(timer, clock, 900)
    assert timer.help(900)[0].text == "Take the ice off, then say done."
    assert timer.repeat(905)[0].text == TIMES_UP_ICE


def test_repeat_flushes_due_events_first(config: SessionConfig) -> None:
    timer, _ = make_timer(config, "ice")
    timer.start(0.0)
    assert [e.kind for e in timer.repeat(451)] == ["halfway"]


def test_change_minutes_before_and_during_a_session(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice_then_heat")
    too_long = timer.change_minutes(0, 25)
    assert too_long[0].kind == "info"
    assert "freeze the skin" in too_long[0].text and "burn" in too_long[0].text
    assert "shortest" in timer.change_minutes(0, 3)[0].text
    assert timer.change_minutes(0, 10)[0].text == (
        "All right: ten minutes of ice, then the same of heat."
    )
    assert timer.start(0.0)[0].text == "Ten minutes of ice, starting now."
    assert timer.to_snapshot(0).phases[2].planned_seconds == 600
    events = timer.change_minutes(120, 12)
    assert said(events) == [
        (120, "changed", "All right: twelve minutes of ice in all, so ten minutes left.")
    ]
    assert [(e.due, e.kind) for e in run_until(timer, clock, 720)] == [
        (360, "halfway"),
        (660, "one_minute"),
        (720, "times_up"),
    ]
    timer.confirm(720)  # resting now: a change is for the heat still to come
    assert timer.change_minutes(800, 8)[0].text == "All right: eight minutes of heat."
    assert timer.to_snapshot(800).phases[2].planned_seconds == 480


def test_change_minutes_below_elapsed_means_times_up_now(config: SessionConfig) -> None:
    timer, _ = make_timer(config, "ice")
    timer.start(0.0)
    timer.pause(400)
    events = timer.change_minutes(500, 5)
    assert [(e.due, e.kind) for e in events] == [(500, "times_up")]
    assert events[0].text == f"All right: five minutes of ice. {TIMES_UP_ICE}"
    assert timer.state.awaiting == "off"
    assert timer.next_due() == 530


def test_snapshot_tracks_remaining_and_pack_time(config: SessionConfig) -> None:
    timer, clock = make_timer(config, "ice")
    timer.start(0.0)
    snap = timer.to_snapshot(300)
    assert (snap.phase, snap.status, snap.elapsed, snap.remaining) == ("ice", "running", 300, 600)
    run_until(timer, clock, 950)
    snap = timer.to_snapshot(950)
    assert snap.status == "awaiting_confirmation" and snap.awaiting == "off"
    assert snap.remaining == 0 and snap.phases[0].seconds == 950
    assert snap.last_text == REPEAT_ICE


def test_seek_care_has_no_timer(config: SessionConfig) -> None:
    assert config.plan_for("seek_care") is None
    with pytest.raises(ValueError):
        SessionTimer(Plan("seek_care", ()), config)
