"""The wall clock moved between sessions: gaps are neither skipped nor stretched to a day."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from test_journal import WALL0, run_session

from voice_assistant.clock import FakeClock
from voice_assistant.session.journal.boot_clock import BootTime, boot_time
from voice_assistant.session.journal.journal import Journal, open_journal
from voice_assistant.session.plans import SessionConfig, load_session_config

ICE_END = WALL0 + 905  # run_session: ice confirmed off 905 s after the start
HOUR, DAY = 3600.0, 86400.0


class FakeBoot:
    """Seconds since boot, moved by the test (the real elapsed time)."""

    def __init__(self, boot_id: str = "boot-a", seconds: float = 1000.0) -> None:
        self.boot_id = boot_id
        self.seconds = seconds

    def __call__(self) -> BootTime:
        return BootTime(self.boot_id, self.seconds)


@pytest.fixture(scope="module")
def config() -> SessionConfig:
    return load_session_config()


def _ice_session(tmp_path: Path, config: SessionConfig, boot: FakeBoot | None) -> Journal:
    journal = open_journal(tmp_path / "data", config, tz=UTC, boot=boot)
    clock = FakeClock()
    if boot is not None:
        start = boot.seconds

        class Ticking(FakeClock):  # boot time follows the fake clock while the session runs
            def now(self) -> float:
                value = super().now()
                boot.seconds = start + value  # type: ignore[union-attr]  # not None here: mypy drops the narrowing inside the nested class
                return value

        clock = Ticking()
    run_session(journal, config, "ice", clock, until=2000)
    return journal


def test_clock_turned_back_a_day_never_blocks_for_a_day(
    tmp_path: Path, config: SessionConfig
) -> None:
    journal = _ice_session(tmp_path, config, boot=None)  # another boot: only wall times
    refusal = journal.gap_check("ice", ICE_END - DAY)  # "the last ice ended tomorrow"
    assert refusal is not None
    assert "can start in two hours," in refusal  # the full gap from now, no more
    assert "day" not in refusal
    assert "You used ice a few seconds ago" in refusal
    assert journal.gap_check("ice", ICE_END - DAY + 2 * HOUR) is None


def test_clock_jumped_forward_in_the_same_boot_does_not_skip_the_gap(
    tmp_path: Path, config: SessionConfig
) -> None:
    boot = FakeBoot()
    journal = _ice_session(tmp_path, config, boot)
    boot.seconds += 30 * 60  # really thirty minutes later ...
    now = ICE_END + 5 * HOUR + 30 * 60  # ... but the wall clock jumped five hours ahead
    refusal = journal.gap_check("ice", now)
    assert refusal is not None
    assert "You used ice thirty minutes ago" in refusal
    assert "can start in an hour and a half," in refusal
    boot.seconds += 90 * 60
    assert journal.gap_check("ice", now + 90 * 60) is None


def test_clock_turned_back_in_the_same_boot_counts_the_real_gap(
    tmp_path: Path, config: SessionConfig
) -> None:
    boot = FakeBoot()
    journal = _ice_session(tmp_path, config, boot)
    boot.seconds += 90 * 60  # really ninety minutes later, the clock set back three hours
    refusal = journal.gap_check("ice", ICE_END - 3 * HOUR + 90 * 60)
    assert refusal is not None and "can start in thirty minutes," in refusal
    boot.seconds += 30 * 60
    assert journal.gap_check("ice", ICE_END - 3 * HOUR + 2 * HOUR) is None


def test_a_reboot_falls_back_to_wall_times(tmp_path: Path, config: SessionConfig) -> None:
    boot = FakeBoot()
    journal = _ice_session(tmp_path, config, boot)
    boot.boot_id, boot.seconds = "boot-b", 60.0  # rebooted: boot times are not comparable
    refusal = journal.gap_check("ice", ICE_END + HOUR)
    assert refusal is not None and "can start in an hour," in refusal
    assert journal.gap_check("ice", ICE_END + 2 * HOUR) is None


def test_interrupted_message_after_clock_changes_says_a_sane_time(
    tmp_path: Path, config: SessionConfig
) -> None:
    journal = open_journal(tmp_path / "data", config, tz=UTC, boot=None)
    run_session(journal, config, "ice", FakeClock(), until=300)  # killed 5 minutes in
    found = journal.find_interrupted(WALL0 + 300 - DAY)  # the clock went back a day
    assert found is not None and found.minutes_ago == 0.0
    message = journal.interrupted_message(found)
    assert message.startswith("Your ice session was interrupted a few seconds ago")


def test_refusal_past_midnight_says_tomorrow(tmp_path: Path, config: SessionConfig) -> None:
    journal = open_journal(tmp_path / "data", config, tz=UTC)
    clock = FakeClock(wall_start=WALL0 + 15 * HOUR)  # 11 pm
    run_session(journal, config, "ice", clock, until=2000)  # off at 11:15:05 pm
    refusal = journal.gap_check("ice", WALL0 + 15 * HOUR + 45 * 60)  # asked at 11:45 pm
    assert refusal is not None
    assert refusal.endswith("can start in an hour and thirty-one minutes, tomorrow at 1:16 am.")


def test_real_boot_clock_reads_this_machine() -> None:
    now = boot_time()
    if now is None:
        pytest.skip("no /proc boot id here")
    later = boot_time()
    assert later is not None and later.boot_id == now.boot_id
    assert later.seconds >= now.seconds > 0
