"""When did it start? Natural answers become hours; 72 hours or less is acute."""

from __future__ import annotations

import pytest

from voice_assistant.dialog.onset import (
    number_to_words,
    onset_phrases,
    parse_onset_hours,
    read_onset,
)
from voice_assistant.dialog.script import DialogScript


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("this morning", 6),
        ("an hour ago", 1),
        ("half an hour ago", 0.5),
        ("yesterday", 24),
        ("two days ago", 48),
        ("2 days ago", 48),
        ("three days ago", 72),
        ("four days", 96),
        ("three weeks", 504),
        ("a few months", 2160),
        ("years", 8760),
        ("for years", 8760),
        ("last week", 168),
        ("about twenty one days ago", 504),
        ("It started 10 hours ago", 10),
        ("a couple of days ago", 48),
        ("one and a half days", 36),
        ("last night", 12),
        ("a week ago", 168),
        ("six months", 4320),
    ],
)
def test_parse(script: DialogScript, text: str, hours: float) -> None:
    assert parse_onset_hours(text, script.onset) == pytest.approx(hours)


@pytest.mark.parametrize("text", ["banana", "", "I hurt my back", "not sure"])
def test_no_time(script: DialogScript, text: str) -> None:
    assert parse_onset_hours(text, script.onset) is None


def test_every_listened_phrase_parses(script: DialogScript) -> None:
    phrases = onset_phrases(script.onset)
    assert "two days ago" in phrases
    assert "three weeks" in phrases
    for phrase in phrases:
        # A time, or a follow-up question ("this week": more than three days ago?).
        reading = read_onset(phrase, script.onset)
        assert reading.hours is not None or reading.follow_up is not None, phrase


def test_number_words() -> None:
    assert number_to_words(48) == "forty eight"
    assert number_to_words(15) == "fifteen"
    assert number_to_words(20) == "twenty"
