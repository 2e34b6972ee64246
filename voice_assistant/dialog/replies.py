"""Reading a reply as the answer to one question: when the pain began, or a revision.

"Two days ago" becomes "48 hours" and whether that is acute; "not sure"
becomes the question's unsure value; "actually yes" becomes the revised
answer. The conversation records what comes back and moves on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from voice_assistant.dialog.onset import FollowUp, read_onset
from voice_assistant.dialog.script import DialogScript, FactValue, Question
from voice_assistant.dialog.understanding import Context, Understanding, understand


@dataclass(frozen=True)
class Reading:
    """An answer to record: what to log and the fact's value."""

    answer: str
    value: FactValue


@dataclass(frozen=True)
class OnsetReply:
    """The reply to "when did it start?": an answer, a follow-up to ask, or neither."""

    reading: Reading | None = None
    follow_up: FollowUp | None = None


def onset_reading(hours: float, question: Question) -> Reading:
    """Hours since the pain began, and whether that is within the acute limit."""
    return Reading(f"{hours:g} hours", hours <= (question.acute_max_hours or 0))


def read_onset_reply(
    text: str,
    question: Question,
    script: DialogScript,
    *,
    today: date | None,
    follow_up: FollowUp | None,
    unsure: bool,
    yes_no: Context,
) -> OnsetReply:
    """Read an onset reply; ``follow_up`` is the follow-up asked last, if any."""
    reading = read_onset(text, script.onset, today)
    hours = reading.hours
    if hours is None and follow_up == "more_than_three_days":
        answer = understand(text, yes_no, script.lexicon)
        if answer.kind == "answer" and answer.name in ("yes", "no"):
            # Just over, or at most, the acute limit.
            limit = question.acute_max_hours or 0
            hours = limit + 24 if answer.name == "yes" else limit
    if hours is None and unsure and question.unsure_value is not None:
        return OnsetReply(Reading("unsure", question.unsure_value))
    if hours is None:
        return OnsetReply(follow_up=reading.follow_up)
    return OnsetReply(onset_reading(hours, question))


def read_correction(
    meaning: Understanding, question: Question, script: DialogScript, today: date | None
) -> Reading | None:
    """The revised answer in "actually yes" / "wait, it started yesterday", if it fits."""
    if question.kind == "onset":
        hours = read_onset(meaning.text, script.onset, today).hours
        return None if hours is None else onset_reading(hours, question)
    if meaning.name in question.values:
        return Reading(meaning.name, question.values[meaning.name])
    return None
