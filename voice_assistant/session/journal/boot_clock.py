"""Time since boot: true elapsed time between sessions, whatever the wall clock did.

The journal stores Unix (wall) times, which jump when the clock is set by hand,
by NTP after a dead RTC battery, or at a daylight-saving mistake. Next to each
write it keeps the boot id and ``CLOCK_BOOTTIME`` (which counts suspend too), so
a later start in the same boot measures the real gap since a pack came off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voice_assistant.clock import since_boot

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class BootTime:
    boot_id: str
    seconds: float  # since boot, suspend included


BootClock = Callable[[], "BootTime | None"]


def boot_time() -> BootTime | None:
    """Now, as (boot id, seconds since boot); None where the system cannot say."""
    try:
        boot_id = BOOT_ID.read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None
    seconds = since_boot()
    return BootTime(boot_id, seconds) if boot_id and seconds is not None else None
