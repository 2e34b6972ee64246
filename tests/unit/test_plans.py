"""dialogs/session.yaml: plans, limits, validation; spoken numbers and durations."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import yaml

from voice_assistant.errors import DialogDataError
from voice_assistant.session.numbers import (
    ceil_to_minute,
    spoken_clock_time,
    spoken_duration,
    spoken_minutes,
    spoken_number,
    spoken_wait,
)
from voice_assistant.session.plans import Phase, Plan, SessionConfig, default_path

WALL0 = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC


@pytest.fixture(scope="module")
def raw() -> dict[str, object]:
    data = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def config() -> SessionConfig:
    return SessionConfig.from_file()


def test_plans_follow_the_domain_rules(config: SessionConfig) -> None:
    assert config.plan_for("ice") == Plan("ice", (Phase("ice", 900),))
    assert config.plan_for("heat") == Plan("heat", (Phase("heat", 900),))
    assert config.plan_for("ice_then_heat") == Plan(
        "ice_then_heat", (Phase("ice", 900), Phase("rest", 1200), Phase("heat", 900))
    )
    assert config.plan_for("seek_care") is None
    with pytest.raises(ValueError):
        config.plan_for("sauna")
    assert (config.min_minutes, config.default_minutes, config.max_minutes) == (5, 15, 20)
    assert config.gap_seconds("ice") == 2 * 3600 and config.gap_seconds("heat") == 3600


@pytest.mark.parametrize(
    ("minutes", "ok"), [(4, False), (5, True), (10, True), (20, True), (21, False), (60, False)]
)
def test_requested_minutes_are_bounded(config: SessionConfig, minutes: int, ok: bool) -> None:
    check = config.check_minutes(minutes)
    assert check.ok is ok and check.minutes == minutes
    if ok:
        assert check.text == f"All right: {spoken_minutes(minutes)} of ice."
    elif minutes > 20:
        assert "more than twenty minutes" in check.text
        assert "freeze the skin" in check.text and "burn" in check.text
    else:
        assert "five minutes is the shortest" in check.text.lower()


def test_with_minutes_changes_only_the_applications(config: SessionConfig) -> None:
    plan = config.plan_for("ice_then_heat")
    assert plan is not None
    changed = plan.with_minutes(10)
    assert [p.seconds for p in changed.phases] == [600, 1200, 600]
    assert changed.application_seconds == 1200
    assert Plan.from_json(changed.to_json()) == changed


def _broken(raw: dict[str, object], path: str, value: object) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(yaml.safe_dump(raw))  # deep copy
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is None:
        del node[last]
    else:
        node[int(last) if isinstance(node, list) else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("announcements.times_up", None, "'announcements.times_up' is missing"),
        ("announcements.halfway", "Halfway: {minutes_left}", "unknown placeholder"),
        ("announcements.start", "{duration of", "broken placeholder"),
        ("plans.ice.0.minutes", 25, "longer than the 20-minute cap"),
        ("plans.seek_care", [{"phase": "ice", "minutes": 10}], "must be empty"),
        ("plans.heat.0.phase", "sauna", "must be one of"),
        ("gaps_minutes.ice", -5, "positive number"),
        ("schedule.times_up_repeat_seconds", "often", "positive number"),
        ("durations.default_minutes", 30, "min_minutes <= default_minutes <= max_minutes"),
        ("names.pack.ice", None, "'names.pack.ice' is missing"),
        ("history.columns", ["Date"], "five headings"),
    ],
)
def test_bad_files_fail_at_load_naming_the_key(
    raw: dict[str, object], path: str, value: object, message: str
) -> None:
    with pytest.raises(DialogDataError, match=r"session\.yaml") as err:
        SessionConfig.from_dict(_broken(raw, path, value))
    assert message in str(err.value)


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(DialogDataError, match="Cannot read the session settings"):
        SessionConfig.from_file(tmp_path / "missing.yaml")
    with pytest.raises(DialogDataError, match="not valid YAML"):
        SessionConfig.from_yaml("plans: [unclosed")
    with pytest.raises(DialogDataError, match="mapping of sections"):
        SessionConfig.from_yaml("- just a list")


def test_sentences_are_capitalised(config: SessionConfig) -> None:
    assert config.say("announcements.start", duration="ten minutes", phase="heat") == (
        "Ten minutes of heat, starting now."
    )


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (15, "fifteen"),
        (20, "twenty"),
        (42, "forty-two"),
        (90, "ninety"),
        (100, "one hundred"),
        (125, "one hundred and twenty-five"),
        (1005, "one thousand and five"),
        (-3, "minus three"),
    ],
)
def test_spoken_number(n: int, words: str) -> None:
    assert spoken_number(n) == words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1, "one minute"),
        (8, "eight minutes"),
        (60, "an hour"),
        (61, "an hour and one minute"),
        (90, "an hour and a half"),
        (120, "two hours"),
        (135, "two hours and fifteen minutes"),
        (150, "two and a half hours"),
        (1440, "a day"),
        (3 * 1440, "three days"),
    ],
)
def test_spoken_minutes(minutes: int, words: str) -> None:
    assert spoken_minutes(minutes) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (3, "a few seconds"),
        (28, "thirty seconds"),
        (50, "fifty seconds"),
        (58, "one minute"),
        (60, "one minute"),
        (90, "a minute and a half"),
        (450, "seven and a half minutes"),
        (480, "eight minutes"),
        (899.6, "fifteen minutes"),
        (1200, "twenty minutes"),
        (3600, "an hour"),
        (5400, "an hour and a half"),
        (4000, "an hour and five minutes"),
    ],
)
def test_spoken_duration(seconds: float, words: str) -> None:
    assert spoken_duration(seconds) == words


def test_waits_round_up_and_clock_times() -> None:
    assert spoken_wait(5340.5) == "an hour and a half"  # 89.0083 min -> 90
    assert spoken_wait(5400) == "an hour and a half"
    assert spoken_wait(5400.5) == "an hour and thirty-one minutes"
    assert spoken_wait(1) == "one minute"
    assert ceil_to_minute(WALL0 + 1) == WALL0 + 60
    assert ceil_to_minute(WALL0) == WALL0
    assert spoken_clock_time(WALL0 + 8 * 3600 + 35 * 60, UTC) == "4:35 pm"
    assert spoken_clock_time(WALL0 + 4 * 3600, UTC) == "12 pm"
    assert spoken_clock_time(WALL0 + 16 * 3600 + 5 * 60, UTC) == "12:05 am"
    assert spoken_clock_time(WALL0 + 16 * 3600 + 5 * 60, UTC, reference=WALL0) == (
        "tomorrow at 12:05 am"
    )
    assert spoken_clock_time(WALL0 + 3 * 86400, UTC, reference=WALL0) == "on Monday at 8 am"
    assert spoken_clock_time(WALL0 + 60, UTC, reference=WALL0) == "at 8:01 am"
    assert spoken_clock_time(WALL0 - 86400, UTC, reference=WALL0) == "yesterday at 8 am"
