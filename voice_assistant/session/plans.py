"""Session plans and the timer's sentences, loaded from dialogs/session.yaml.

Loaded in layers (``from_file`` -> ``from_yaml`` -> ``from_dict``) so tests can pass
YAML strings. Everything is checked at load: a bad file fails at start, with the
key that is wrong, rather than mid-session.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from voice_assistant.errors import DialogDataError
from voice_assistant.paths import dialogs_dir
from voice_assistant.session.numbers import spoken_duration, spoken_minutes, spoken_number

FILE_NAME = "session.yaml"


def default_path() -> Path:
    """dialogs/session.yaml (HEAT_OR_ICE_DIALOGS moves the folder, see paths.py)."""
    return dialogs_dir() / FILE_NAME


APPLICATION_PHASES = ("ice", "heat")
PHASES = (*APPLICATION_PHASES, "rest")
KINDS = ("ice", "heat", "ice_then_heat", "seek_care")

# Placeholders each section's sentences may use (checked at load).
_ALLOWED = {
    "requests": {"minutes", "phase", "duration", "max", "min", "remaining"},
    "announcements": {
        "duration",
        "phase",
        "pack",
        "remaining",
        "next_phase",
        "next_pack",
        "time",
        "gap",
    },
    "commands": {"duration", "phase", "pack", "remaining", "next_phase", "next_pack", "max"},
    "journal": {"session", "ago", "left", "overdue", "phase", "pack", "gap", "wait", "time"},
}
_REQUIRED_TEXTS = {
    "requests": ("accepted", "accepted_running", "accepted_capped", "too_long", "too_short"),
    "announcements": (
        "start",
        "halfway",
        "one_minute",
        "times_up",
        "times_up_repeat",
        "final",
        "off_ack",
        "rest_start",
        "put_on",
        "put_on_repeat",
        "put_on_timeout",
        "plan_done",
        "next_allowed",
        "next_allowed_no_clock",
    ),
    "commands": (
        "remaining_running",
        "remaining_rest",
        "remaining_paused",
        "remaining_awaiting_off",
        "remaining_awaiting_on",
        "no_session",
        "pause",
        "pause_awaiting_off",
        "pause_awaiting_on",
        "already_paused",
        "pause_reminder",
        "pause_timeout",
        "pause_pack_off",
        "pause_reminder_pack_off",
        "resume_pack_on",
        "resume_capped",
        "pause_limit",
        "resume",
        "not_paused",
        "already_running",
        "stop_pack_on",
        "stop_no_pack",
        "cancel_not_started",
        "confirm_early",
        "confirm_rest",
        "confirm_paused",
        "nothing_to_repeat",
        "help_running",
        "help_rest",
        "help_paused",
        "help_awaiting_off",
        "help_awaiting_on",
        "help_idle",
    ),
    "journal": (
        "interrupted_running",
        "interrupted_overdue",
        "interrupted_paused",
        "interrupted_awaiting_off",
        "interrupted_rest",
        "interrupted_awaiting_on",
        "interrupted_idle",
        "take_off",
        "gap_refusal",
    ),
}
_SCHEDULE_KEYS = (
    "min_spacing_seconds",
    "one_minute_before_seconds",
    "times_up_repeat_seconds",
    "times_up_repeat_for_seconds",
    "put_on_repeat_seconds",
    "put_on_wait_seconds",
    "pause_reminder_seconds",
    "pause_max_seconds",
)
_NAME_TABLES = {
    "phase": PHASES,
    "pack": PHASES,
    "kind": KINDS[:3],
    "session": (*KINDS[:3], "rest"),
}


@dataclass(frozen=True)
class Phase:
    """One step of a plan: ``kind`` is "ice", "heat" (a pack on the skin) or "rest"."""

    kind: str
    seconds: float

    @property
    def is_application(self) -> bool:
        return self.kind in APPLICATION_PHASES


@dataclass(frozen=True)
class Plan:
    """The phases of one recommendation, in order (``kind`` is the recommendation)."""

    kind: str
    phases: tuple[Phase, ...]

    def with_minutes(self, minutes: float) -> Plan:
        """The same plan with every application phase set to ``minutes`` (rests unchanged).

        Check the value first with ``SessionConfig.check_minutes``.
        """
        phases = tuple(
            replace(p, seconds=minutes * 60.0) if p.is_application else p for p in self.phases
        )
        return replace(self, phases=phases)

    def next_application(self, index: int) -> int | None:
        """Index of the first ice/heat phase after ``index``; None when there is none."""
        for i in range(index + 1, len(self.phases)):
            if self.phases[i].is_application:
                return i
        return None

    @property
    def application_seconds(self) -> float:
        """Planned seconds with a pack on (rests excluded)."""
        return sum(p.seconds for p in self.phases if p.is_application)

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "phases": [{"phase": p.kind, "seconds": p.seconds} for p in self.phases],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        return cls(
            data["kind"], tuple(Phase(p["phase"], float(p["seconds"])) for p in data["phases"])
        )


@dataclass(frozen=True)
class Schedule:
    """When the timer speaks. All values in clock seconds."""

    min_spacing_seconds: float
    one_minute_before_seconds: float
    times_up_repeat_seconds: float
    times_up_repeat_for_seconds: float
    put_on_repeat_seconds: float
    put_on_wait_seconds: float
    pause_reminder_seconds: float
    pause_max_seconds: float


@dataclass(frozen=True)
class MinutesCheck:
    """Answer to "make it N minutes": ``ok`` and the sentence to say either way."""

    ok: bool
    minutes: float
    text: str


def sentence(text: str) -> str:
    """Capitalise the first letter (templates may start with a placeholder)."""
    return text[:1].upper() + text[1:] if text else text


@dataclass(frozen=True)
class SessionConfig:
    """Everything in dialogs/session.yaml, validated."""

    default_minutes: int
    min_minutes: int
    max_minutes: int
    rest_minutes: int
    gaps_minutes: Mapping[str, int]
    plans: Mapping[str, Plan]
    schedule: Schedule
    names: Mapping[str, Mapping[str, str]]
    texts: Mapping[str, str]  # "announcements.start" -> template
    heartbeat_seconds: float
    history: Mapping[str, Any]

    # -- loading -----------------------------------------------------------------
    @classmethod
    def from_file(cls, path: Path | None = None) -> SessionConfig:
        path = path or default_path()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DialogDataError(
                f"Cannot read the session settings {path} ({exc.strerror or exc}). "
                "Reinstall heat-or-ice or restore the dialogs folder."
            ) from exc
        return cls.from_yaml(text, source=str(path))

    @classmethod
    def from_yaml(cls, text: str, source: str = "session.yaml") -> SessionConfig:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DialogDataError(f"{source} is not valid YAML: {exc}. Fix the file.") from exc
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: Any, source: str = "session.yaml") -> SessionConfig:
        return _Loader(source).load(data)

    # -- use -----------------------------------------------------------------------
    def plan_for(self, kind: str) -> Plan | None:
        """The plan for a recommendation kind; None for "seek_care" (no timer)."""
        try:
            plan = self.plans[kind]
        except KeyError:
            raise ValueError(f"unknown recommendation kind {kind!r}") from None
        return plan if plan.phases else None

    def check_minutes(self, minutes: float, kind: str = "ice") -> MinutesCheck:
        """Validate a requested application length in minutes (5..20, halves allowed)."""
        limits = {"min": spoken_number(self.min_minutes), "max": spoken_number(self.max_minutes)}
        if minutes > self.max_minutes:
            return MinutesCheck(False, minutes, self.say("requests.too_long", **limits))
        if minutes < self.min_minutes:
            return MinutesCheck(False, minutes, self.say("requests.too_short", **limits))
        text = self.say(
            "requests.accepted",
            minutes=spoken_number(int(minutes)) if minutes == int(minutes) else str(minutes),
            duration=spoken_duration(minutes * 60),
            phase=self.names["kind"].get(kind, self.phase_name(kind)),
            **limits,
        )
        return MinutesCheck(True, minutes, text)

    def minutes_refusal(self, minutes: float) -> str | None:
        """None when ``minutes`` is allowed, else the refusal with its reason."""
        check = self.check_minutes(minutes)
        return None if check.ok else check.text

    def plan_steps(self) -> dict[str, tuple[tuple[str, float], ...]]:
        """Plans as (phase, minutes) steps, e.g. for the conversation's ConversationOptions."""
        return {
            kind: tuple((p.kind, p.seconds / 60) for p in plan.phases)
            for kind, plan in self.plans.items()
            if plan.phases
        }

    def say(self, key: str, **values: str) -> str:
        """Fill in the sentence ``key`` ("section.name") and capitalise it."""
        return sentence(self.texts[key].format(**values).strip())

    def phase_name(self, phase: str) -> str:
        return self.names["phase"].get(phase, phase)

    def pack_name(self, phase: str) -> str:
        return self.names["pack"].get(phase, phase)

    def session_name(self, kind_or_phase: str) -> str:
        return self.names["session"].get(kind_or_phase, kind_or_phase)

    def gap_seconds(self, phase: str) -> float:
        return self.gaps_minutes[phase] * 60.0

    def spoken_gap(self, phase: str) -> str:
        return spoken_minutes(self.gaps_minutes[phase])

    @staticmethod
    def spoken(seconds: float) -> str:
        return spoken_duration(seconds)


def load_session_config(path: Path | None = None) -> SessionConfig:
    """Load dialogs/session.yaml (or ``path``); raises DialogDataError with the reason."""
    return SessionConfig.from_file(path)


class _Loader:
    """Turns the parsed YAML into a SessionConfig, naming the bad key on failure."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, what: str) -> DialogDataError:
        return DialogDataError(f"{self.source}: {what}. Fix the file or restore it.")

    def section(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key)
        if not isinstance(value, Mapping):
            raise self.fail(f"'{key}' is missing or not a mapping")
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str) -> float:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(f"'{where}.{key}' must be a positive number, not {value!r}")
        return float(value)

    def load(self, data: Any) -> SessionConfig:
        if not isinstance(data, Mapping):
            raise self.fail("the file must be a mapping of sections")
        durations = self.section(data, "durations")
        minutes = {
            k: int(self.number(durations, k, "durations"))
            for k in ("default_minutes", "min_minutes", "max_minutes", "rest_minutes")
        }
        if not minutes["min_minutes"] <= minutes["default_minutes"] <= minutes["max_minutes"]:
            raise self.fail("durations must satisfy min_minutes <= default_minutes <= max_minutes")
        gaps_raw = self.section(data, "gaps_minutes")
        gaps = {k: int(self.number(gaps_raw, k, "gaps_minutes")) for k in APPLICATION_PHASES}
        sched_raw = self.section(data, "schedule")
        schedule = Schedule(**{k: self.number(sched_raw, k, "schedule") for k in _SCHEDULE_KEYS})
        plans = self.plans(self.section(data, "plans"), minutes["max_minutes"])
        names = self.names(self.section(data, "names"))
        texts = self.texts(data)
        journal = self.section(data, "journal")
        history = self.section(data, "history")
        for key in ("title", "empty", "columns", "kinds", "ended", "date_format", "minutes"):
            if key not in history:
                raise self.fail(f"'history.{key}' is missing")
        if not isinstance(history["columns"], list) or len(history["columns"]) != 5:
            raise self.fail("'history.columns' must list five headings")
        return SessionConfig(
            gaps_minutes=gaps,
            plans=plans,
            schedule=schedule,
            names=names,
            texts=texts,
            heartbeat_seconds=self.number(journal, "heartbeat_seconds", "journal"),
            history=history,
            **minutes,
        )

    def plans(self, raw: Mapping[str, Any], max_minutes: int) -> dict[str, Plan]:
        plans: dict[str, Plan] = {}
        for kind in KINDS:
            steps = raw.get(kind)
            if not isinstance(steps, list):
                raise self.fail(f"'plans.{kind}' is missing or not a list")
            phases = []
            for i, step in enumerate(steps):
                where = f"plans.{kind}[{i}]"
                if not isinstance(step, Mapping) or step.get("phase") not in PHASES:
                    raise self.fail(f"'{where}.phase' must be one of {', '.join(PHASES)}")
                mins = self.number(step, "minutes", where)
                if step["phase"] != "rest" and mins > max_minutes:
                    raise self.fail(f"'{where}' is longer than the {max_minutes}-minute cap")
                phases.append(Phase(step["phase"], mins * 60.0))
            if phases and not phases[0].is_application:
                raise self.fail(f"'plans.{kind}' must start with ice or heat")
            plans[kind] = Plan(kind, tuple(phases))
        if plans["seek_care"].phases:
            raise self.fail("'plans.seek_care' must be empty: no timer when care is needed")
        return plans

    def names(self, raw: Mapping[str, Any]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for table, keys in _NAME_TABLES.items():
            entries = self.section(raw, table)
            for key in keys:
                if not isinstance(entries.get(key), str):
                    raise self.fail(f"'names.{table}.{key}' is missing")
            out[table] = {str(k): str(v) for k, v in entries.items()}
        return out

    def texts(self, data: Mapping[str, Any]) -> dict[str, str]:
        texts: dict[str, str] = {}
        formatter = string.Formatter()
        for section, keys in _REQUIRED_TEXTS.items():
            raw = self.section(data, section)
            for key in keys:
                where = f"{section}.{key}"
                template = raw.get(key)
                if not isinstance(template, str) or not template.strip():
                    raise self.fail(f"the sentence '{where}' is missing")
                try:
                    fields = {f for _, f, _, _ in formatter.parse(template) if f is not None}
                except ValueError as exc:
                    raise self.fail(f"'{where}' has a broken placeholder ({exc})") from exc
                unknown = fields - _ALLOWED[section]
                if unknown:
                    raise self.fail(
                        f"'{where}' uses unknown placeholder(s) {sorted(unknown)}; "
                        f"allowed: {sorted(_ALLOWED[section])}"
                    )
                texts[where] = " ".join(template.split())
        return texts
