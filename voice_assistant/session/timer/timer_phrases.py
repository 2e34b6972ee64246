"""The timer's words: turning a moment of a plan into a sentence from session.yaml.

The schedule (timer_schedule.py) decides what happens when; this module only
fills in sentences, so a clinician can change every word in the YAML.
"""

from __future__ import annotations

from collections.abc import Sequence

from voice_assistant.clock import Zone, zone_now
from voice_assistant.session.gaps import next_allowed_text
from voice_assistant.session.numbers import spoken_duration, spoken_number
from voice_assistant.session.plans import Plan, SessionConfig
from voice_assistant.session.timer.timer_state import PhaseRecord


class TimerPhrases:
    """Sentences for one plan (``tz`` is where clock times are said: a zone, or a
    source of the zone as it is when the sentence is made, so a time-zone change
    mid-session is followed)."""

    def __init__(self, plan: Plan, config: SessionConfig, tz: Zone = None) -> None:
        self.plan = plan
        self.config = config
        self.tz = tz

    def say(self, key: str, index: int, planned: float, remaining: float, /, **values: str) -> str:
        """Fill in a sentence about phase ``index`` (``planned`` seconds long, ``remaining``
        left); every placeholder the YAML may use has a value, ``values`` win."""
        config = self.config
        base = {
            "remaining": spoken_duration(remaining),
            "time": "",
            "gap": "",
            "phase": config.phase_name(self.plan.phases[index].kind),
            "pack": self.pack(index),
            "duration": spoken_duration(planned),
            "next_phase": "",
            "next_pack": config.pack_name("rest"),
            "max": spoken_number(config.max_minutes),
        }
        upcoming = self.plan.next_application(index)
        if upcoming is not None:
            base["next_phase"] = config.phase_name(self.plan.phases[upcoming].kind)
            base["next_pack"] = config.pack_name(self.plan.phases[upcoming].kind)
        base.update(values)
        return config.say(key, **base)

    def pack(self, index: int) -> str:
        return self.config.pack_name(self.plan.phases[index].kind)

    def next_allowed(
        self, records: Sequence[PhaseRecord], t: float, wall_origin: tuple[float, float] | None
    ) -> str:
        """ "The next ice can start at 4:35 pm." for each kind used so far (a phase still
        under way counts as ending at ``t``)."""
        last_end: dict[str, float] = {}
        for record in records:
            if record.phase == "rest" or record.started is None:
                continue
            end = record.ended if record.ended is not None else t
            last_end[record.phase] = max(end, last_end.get(record.phase, end))
        return next_allowed_text(self.config, last_end, t, wall_origin, zone_now(self.tz))

    @staticmethod
    def join(*parts: str) -> str:
        return " ".join(p for p in parts if p)
