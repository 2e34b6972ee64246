"""The gap rule: how long to wait after ice or heat before the next one, in words.

The durations live in session.yaml (``gaps_minutes``); the journal says when the
last pack came off, and the timer when this session's packs came off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import tzinfo

from voice_assistant.session.numbers import (
    ceil_to_minute,
    spoken_clock_time,
    spoken_duration,
    spoken_wait,
)
from voice_assistant.session.plans import Plan, SessionConfig

LastEnd = Callable[[str, float], float | None]
"""(phase, now) -> Unix time the last pack of that phase came off, or None."""


def gap_refusal(
    config: SessionConfig,
    kind: str,
    now_wall: float,
    last_end: LastEnd,
    tz: tzinfo | None = None,
    plan: Plan | None = None,
) -> str | None:
    """None when a session of ``kind`` ("ice", "heat", "ice_then_heat") may start
    now; otherwise the refusal to say, with how long to wait. Each ice/heat phase
    of the plan is checked at the time it would start."""
    plan = plan or config.plan_for(kind)
    if plan is None:
        return None
    offset = 0.0
    for phase in plan.phases:
        last = last_end(phase.kind, now_wall) if phase.is_application else None
        if last is not None:
            allowed_start = last + config.gap_seconds(phase.kind) - offset
            wait = allowed_start - now_wall
            if wait > 0:
                return config.say(
                    "journal.gap_refusal",
                    phase=config.phase_name(phase.kind),
                    ago=spoken_duration(max(0.0, now_wall - last)),
                    gap=config.spoken_gap(phase.kind),
                    wait=spoken_wait(wait),
                    time=spoken_clock_time(ceil_to_minute(allowed_start), tz, reference=now_wall),
                    session=config.session_name(kind),
                )
        offset += phase.seconds
    return None


def next_allowed_text(
    config: SessionConfig,
    last_ends: Mapping[str, float],
    t: float,
    wall_origin: tuple[float, float] | None,
    tz: tzinfo | None = None,
) -> str:
    """ "The next ice can start at 4:35 pm." for each phase in ``last_ends`` (clock
    seconds its last pack came off). ``wall_origin`` is (clock time, Unix time) at one
    moment; without it the sentence gives the gap instead of a clock time."""
    sentences = []
    for phase, end in last_ends.items():
        name = config.phase_name(phase)
        gap = config.gap_seconds(phase)
        if wall_origin is None:
            sentences.append(
                config.say(
                    "announcements.next_allowed_no_clock",
                    phase=name,
                    gap=config.spoken_gap(phase),
                )
            )
            continue
        clock0, wall0 = wall_origin
        when = spoken_clock_time(
            ceil_to_minute(wall0 + (end + gap - clock0)),
            tz,
            reference=wall0 + (t - clock0),
        )
        sentences.append(config.say("announcements.next_allowed", phase=name, time=when))
    return " ".join(sentences)
