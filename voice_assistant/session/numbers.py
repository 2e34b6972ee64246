"""Numbers, durations and clock times as words, so the speech engine says them naturally.

Hand-written on purpose: the phrasing ("seven and a half minutes", "an hour and a
half") is ours, and a number-to-words library would only cover the easy part.
"""

from __future__ import annotations

import math
from datetime import datetime, tzinfo

# fmt: off
_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# fmt: on


def spoken_number(n: int) -> str:
    """0 -> "zero", 15 -> "fifteen", 42 -> "forty-two", 125 -> "one hundred and twenty-five"."""
    if n < 0:
        return "minus " + spoken_number(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_ONES[hundreds]} hundred"
        return head + (f" and {spoken_number(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    head = f"{spoken_number(thousands)} thousand"
    if not rest:
        return head
    return head + (" and " if rest < 100 else " ") + spoken_number(rest)


def _half_round(value: float) -> float:
    """Round to the nearest half, halves going up (never banker's rounding)."""
    return math.floor(value * 2 + 0.5) / 2


def _minutes_with_halves(minutes: float) -> str:
    whole = int(minutes)
    half = minutes - whole >= 0.5
    if whole == 0:
        return "half a minute"
    if whole == 1:
        return "a minute and a half" if half else "one minute"
    words = spoken_number(whole)
    return f"{words} and a half minutes" if half else f"{words} minutes"


def spoken_minutes(minutes: int) -> str:
    """Exact whole minutes: 1 -> "one minute", 90 -> "an hour and a half",
    135 -> "two hours and fifteen minutes", 2880 -> "two days".
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if minutes < 60:
        return "one minute" if minutes == 1 else f"{spoken_number(minutes)} minutes"
    if minutes >= 24 * 60:
        days = math.floor(minutes / (24 * 60) + 0.5)
        return "a day" if days == 1 else f"{spoken_number(days)} days"
    hours, rest = divmod(minutes, 60)
    if rest == 30:
        return "an hour and a half" if hours == 1 else f"{spoken_number(hours)} and a half hours"
    head = "an hour" if hours == 1 else f"{spoken_number(hours)} hours"
    if rest == 0:
        return head
    tail = "one minute" if rest == 1 else f"{spoken_number(rest)} minutes"
    return f"{head} and {tail}"


def spoken_duration(seconds: float) -> str:
    """A duration as people say it, rounded to what matters at that size.

    Under ten seconds: "a few seconds"; under a minute: tens of seconds;
    under ten minutes: half minutes ("seven and a half minutes"); under an hour:
    whole minutes; beyond that: five-minute steps ("an hour and ten minutes").
    """
    if seconds < 10:
        return "a few seconds"
    if seconds < 55:
        tens = math.floor(seconds / 10 + 0.5) * 10
        return f"{spoken_number(tens)} seconds"
    if seconds < 585:  # below 9.75 minutes, which would round to ten
        return _minutes_with_halves(max(1.0, _half_round(seconds / 60)))
    minutes = math.floor(seconds / 60 + 0.5)
    if minutes < 60:
        return spoken_minutes(minutes)
    return spoken_minutes(math.floor(minutes / 5 + 0.5) * 5)


def spoken_wait(seconds: float) -> str:
    """A waiting time rounded *up* to whole minutes, so a wait is never understated."""
    return spoken_minutes(max(1, math.ceil(seconds / 60 - 1e-9)))


def ceil_to_minute(wall: float) -> float:
    """Round a Unix time up to the whole minute ("allowed from" is never too early)."""
    return math.ceil(wall / 60 - 1e-9) * 60.0


def spoken_clock_time(
    wall: float, tz: tzinfo | None = None, *, reference: float | None = None
) -> str:
    """Unix time -> "4:35 pm" (or "4 pm"), espeak-ng reads it well.

    With a ``reference`` (now) it is a phrase a person can act on, day included:
    "at 4:35 pm" the same day, "tomorrow at 1:16 am" past midnight, "on Monday at
    8 am" further out, "yesterday at 11 pm" the day before; templates put it
    straight after the verb ("can start {time}").
    """
    when = datetime.fromtimestamp(wall, tz)
    hour = when.hour % 12 or 12
    suffix = "am" if when.hour < 12 else "pm"
    text = f"{hour} {suffix}" if when.minute == 0 else f"{hour}:{when.minute:02d} {suffix}"
    if reference is None:
        return text
    days = (when.date() - datetime.fromtimestamp(reference, tz).date()).days
    if days == 0:
        return f"at {text}"
    if days == 1:
        return f"tomorrow at {text}"
    if days == -1:
        return f"yesterday at {text}"
    return f"on {when.strftime('%A')} at {text}"
    days = (when.date() - datetime.fromtimestamp(reference, tz).date()).days
    if days == 1:
        return f"tomorrow at {text}"
    if days > 1:
        return f"on {when.strftime('%A')} at {text}"
    return text
