"""``@SECONDS`` marks on scripted input: when a typed line or a WAV answer is used.

Shared by ``--text`` lines (``@90 how long left``) and ``--audio-in`` files
(``pause.wav@90``), so both accept and refuse exactly the same times.
"""

from __future__ import annotations

import math

MAX_AT_SECONDS = 86_400.0
"""A day on the assistant's clock: far beyond any session, still a real time of day."""


class BadTimeMark(ValueError):
    """An ``@`` time that can't be used; the message says what is allowed."""


def parse_at_seconds(text: str) -> float:
    """Seconds from 0 to ``MAX_AT_SECONDS`` (e.g. "90", "12.5"); BadTimeMark otherwise."""
    allowed = f"a number of seconds from 0 to {MAX_AT_SECONDS:g}, like @90"
    shown = text if len(text) <= 24 else text[:20] + "..."
    try:
        seconds = float(text)
    except ValueError:
        raise BadTimeMark(f'"@{shown}" is not a time: use {allowed}') from None
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_AT_SECONDS:
        raise BadTimeMark(f'"@{shown}" is not a usable time: use {allowed}')
    return seconds


def looks_like_number(text: str) -> bool:
    """True when ``text`` was meant as a number (so a bad one is an error, not a file name)."""
    try:
        float(text)
    except ValueError:
        return False
    return True
