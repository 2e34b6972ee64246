"""The timer-offer sub-dialog: after heat or ice advice, "shall I time it?".

It hears a number of minutes, "start" or "no thanks", and says what the offer
says ("repeat" replays the advice, "help" explains). It only decides what
happens; the triage conversation turns the reply into turns and state changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from voice_assistant.dialog.matching import PhraseMatcher, normalize
from voice_assistant.dialog.onset import number_to_words, read_number
from voice_assistant.dialog.script import DialogScript
from voice_assistant.dialog.states import OFFER_EXPECTS


class OfferAction(Enum):
    """What the conversation should do with a reply at the timer offer."""

    SAY = "say"  # stay at the offer and say ``text``
    START = "start"  # start the timer (with ``TimerOffer.minutes`` if set)
    DECLINE = "decline"  # say goodbye
    WAIT = "wait"  # nothing to say
    MISS = "miss"  # not understood


@dataclass(frozen=True)
class OfferReply:
    action: OfferAction
    text: str = ""


class TimerOffer:
    """Offer a timer, take the minutes, start or decline."""

    def __init__(self, script: DialogScript, check_minutes: Callable[[float], str | None]) -> None:
        self.script = script
        self.check_minutes = check_minutes
        self.minutes: float | None = None
        names = {name: answer.phrases for name, answer in script.commands.items()}
        for name in OFFER_EXPECTS:
            if name in script.answers:
                names[name] = script.answers[name].phrases
        self._matcher = PhraseMatcher(names)

    def hear(self, text: str) -> OfferReply:
        """React to a reply that is neither a command, a correction nor a red flag."""
        answers = [n for n in self._matcher.find(text).names if n in OFFER_EXPECTS]
        minutes = minutes_in(text)
        if minutes is not None:
            refusal = self.check_minutes(minutes)
            if refusal:
                return OfferReply(OfferAction.SAY, refusal)
            self.minutes = minutes
            if "start" not in answers:
                said = self.script.message("minutes_set", minutes=spoken_number(minutes))
                return OfferReply(OfferAction.SAY, said[:1].upper() + said[1:])
        if "start" in answers and "decline" not in answers:
            return OfferReply(OfferAction.START)
        if "decline" in answers:
            return OfferReply(OfferAction.DECLINE, self.script.message("declined"))
        if minutes is not None:
            return OfferReply(OfferAction.WAIT)
        if "minutes" in normalize(text) or "minute" in normalize(text):
            return OfferReply(OfferAction.SAY, self.script.message("minutes_question"))
        return OfferReply(OfferAction.MISS)

    def prompt(self) -> str:
        return self.script.message("offer_timer")

    def reprompt(self) -> str:
        return self.script.message("offer_timer_reprompt")

    def help(self) -> str:
        return self.script.message("offer_timer_help")

    def repeat(self, advice_text: str | None) -> str:
        """ "Repeat" at the offer: the whole advice again (if any), then the offer."""
        offer = self.prompt()
        if advice_text is None:
            return offer
        return f"{advice_text} {' '.join(offer.split())}"


def minutes_in(text: str) -> float | None:
    """The number of minutes in a reply ("make it ten minutes", "12"), if any."""
    words = normalize(text)
    for index in range(len(words)):
        number = read_number(words, index)
        if number is None:
            continue
        value, used = number
        rest = words[index + used : index + used + 1]
        if rest in (["minutes"], ["minute"], ["mins"], ["min"]) or len(words) <= 3:
            return value
    return None


def spoken_number(value: float) -> str:
    return number_to_words(int(value)) if value == int(value) else f"{value:g}"


def minute_phrases() -> list[str]:
    """Example minute replies for the recogniser's phrase list."""
    phrases = []
    for minutes in range(1, 61):
        word = number_to_words(minutes)
        phrases += [f"{word} minutes", f"make it {word} minutes", f"{word} minutes please"]
    return phrases
