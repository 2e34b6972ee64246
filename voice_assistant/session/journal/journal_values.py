"""Values read back from the journal are checked before use: a row with an impossible
value (infinity, text in a number column, a time in the year 10^300) is reported and
skipped, never a crash at start.

The journal is ours, but a disk fault, an old bug or a meddler can leave anything in it;
SQLite's column types do not stop text in a REAL column.
"""

from __future__ import annotations

import math

MAX_WALL = 4_102_444_800.0  # 2100-01-01 UTC: later than any real session
MAX_SECONDS = 366 * 86_400.0  # a phase or a rest longer than a year is no session
MAX_MINUTES = MAX_SECONDS / 60


class BadRow(ValueError):
    """A stored value that cannot be true; the message says which."""


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRow(f"{name} is {value!r}, not a number")
    number = float(value)
    if not math.isfinite(number):
        raise BadRow(f"{name} is {number}")
    return number


def wall(value: object, name: str) -> float:
    """A Unix time between 1970 and 2100."""
    number = _number(value, name)
    if not 0 <= number <= MAX_WALL:
        raise BadRow(f"{name} is {number:g}, not a time between 1970 and 2100")
    return number


def seconds(value: object, name: str, limit: float = MAX_SECONDS) -> float:
    """A duration from 0 to a year (``limit``); a slightly negative one reads as 0."""
    number = _number(value, name)
    if not -1 <= number <= limit:
        raise BadRow(f"{name} is {number:g}, not a duration")
    return max(0.0, number)


def minutes(value: object, name: str) -> float:
    return seconds(value, name, MAX_MINUTES)


def optional_wall(value: object, name: str) -> float | None:
    """None stays None; else a Unix time (see :func:`wall`)."""
    return None if value is None else wall(value, name)


def integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRow(f"{name} is {value!r}, not a whole number")
    return value


def text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise BadRow(f"{name} is {value!r}, not text")
    return value


def clock_mark(mark: tuple[object, ...]) -> tuple[object, ...]:
    """A (wall, boot id, seconds since boot) mark, checked; an unusable one becomes
    (None, None, None) (the stored wall time is then trusted, clamped to now)."""
    if len(mark) != 3 or mark[0] is None:
        return (None, None, None)
    try:
        return (wall(mark[0], "a clock mark"), text(mark[1], "a boot id"),
                seconds(mark[2], "time since boot", math.inf))  # fmt: skip
    except BadRow:
        return (None, None, None)
