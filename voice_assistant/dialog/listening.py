"""What the triage conversation listens for in each state.

The expected answers, the phrase list (and meanings) handed to the
recogniser, and the :class:`Context` that the understanding judges a sentence
in. Built from ``dialogs/`` and cached; no conversation state is kept here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from voice_assistant.dialog.matching import PhraseMatcher
from voice_assistant.dialog.offer import minute_phrases, minutes_in
from voice_assistant.dialog.onset import onset_phrases, read_onset
from voice_assistant.dialog.script import DialogScript, Question
from voice_assistant.dialog.states import (
    CONFIRM_EXPECTS,
    CONFIRMING,
    OFFER_EXPECTS,
    OFFER_TIMER,
)
from voice_assistant.dialog.understanding import Context
from voice_assistant.events import Vocabulary

_CONFIRM_ANSWERS = ("yes", "no", "unsure")


class Listening:
    """Phrases, meanings and understanding contexts for the conversation's states."""

    def __init__(self, script: DialogScript) -> None:
        self.script = script
        self._matchers: dict[str, PhraseMatcher] = {}
        self._contexts: dict[str, Context] = {}

    @staticmethod
    def expects(state: str, question: Question | None) -> tuple[str, ...]:
        """Answer names awaited in ``state`` (``question``: the one being asked)."""
        if state == CONFIRMING:
            return CONFIRM_EXPECTS
        if state == OFFER_TIMER:
            return OFFER_EXPECTS
        return question.expects if question else ()

    def vocabulary(self, expects: tuple[str, ...], question: Question | None) -> Vocabulary:
        """Phrases the recogniser should listen for, with what each one means."""
        meanings: dict[str, str] = {}

        def add(found: Iterable[str], meaning: Callable[[str], str]) -> None:
            for phrase in found:
                meanings.setdefault(phrase, meaning(phrase))

        for name, command in self.script.commands.items():
            add(command.phrases, _constant(f"command:{name}"))
        for name in expects:
            if name == "onset":
                limit = question.acute_max_hours if question is not None else None
                add(onset_phrases(self.script.onset), partial(self._onset_meaning, limit=limit))
                add(self.script.answers["unsure"].phrases, lambda _: "unsure")
            elif name == "minutes":
                add(minute_phrases(), lambda phrase: f"minutes:{minutes_in(phrase)}")
            elif name in self.script.answers:
                add(self.script.answers[name].phrases, _constant(_answer_meaning(name, question)))
        # Answers come as whole sentences ("no, but my legs feel weak").
        sentences = question is not None
        return Vocabulary(tuple(sorted(meanings)), meanings, sentences)

    def _onset_meaning(self, phrase: str, limit: float | None) -> str:
        """What an onset phrase means to the decision: recent or not (or a follow-up).

        "yesterday" and "today" mean the same here, so a recogniser torn between
        them need not reject the answer; "yesterday" and "years" stay different.
        """
        reading = read_onset(phrase, self.script.onset)
        if reading.hours is None and reading.follow_up is not None:
            return f"onset:ask:{reading.follow_up}"
        if reading.hours is None or limit is None:
            return f"onset:{reading.hours}"
        return "onset:recent" if reading.hours <= limit else "onset:not_recent"

    def matcher(self, key: str, expects: tuple[str, ...]) -> PhraseMatcher:
        """Commands and the expected answers, as a phrase matcher (cached by ``key``)."""
        if key not in self._matchers:
            names = self.command_phrases()
            for name in expects:
                if name in self.script.answers:
                    names[name] = self.script.answers[name].phrases
            if "onset" in expects:
                names["unsure"] = self.script.answers["unsure"].phrases
            self._matchers[key] = PhraseMatcher(names)
        return self._matchers[key]

    def question_contexts(self) -> dict[str, Context]:
        """The understanding context of every question, by question id."""
        if not self._contexts:
            for question in self.script.questions:
                self._contexts[question.id] = self._question_context(question)
        return self._contexts

    def _question_context(self, question: Question) -> Context:
        wanted = list(question.expects)
        if question.kind == "onset":
            wanted.append("unsure")
        return Context(
            question=question.id,
            kind="onset" if question.kind == "onset" else "choice",
            fact=question.fact,
            answers={n: self.script.answers[n].phrases for n in wanted if n in self.script.answers},
            commands=self.command_phrases(),
        )

    def command_phrases(self) -> dict[str, tuple[str, ...]]:
        return {name: answer.phrases for name, answer in self.script.commands.items()}

    def confirm_context(self, fact: str) -> Context:
        """Confirming an answer heard unclearly (about ``fact``)."""
        return Context(
            question=CONFIRMING,
            kind="confirm",
            fact=fact,
            answers=self._confirm_answers(),
            commands=self.command_phrases(),
        )

    def offer_context(self, previous: str | None) -> Context:
        return Context(
            question=OFFER_TIMER,
            kind="offer",
            commands=self.command_phrases(),
            previous=previous,
        )

    def yes_no_context(self) -> Context:
        """A bare yes or no (the onset follow-up "more than three days?")."""
        return Context(question=CONFIRMING, kind="confirm", answers=self._confirm_answers())

    def _confirm_answers(self) -> dict[str, tuple[str, ...]]:
        return {n: self.script.answers[n].phrases for n in _CONFIRM_ANSWERS}

    def answer_list(self, expects: tuple[str, ...]) -> str:
        """The expected answers in words ("yes, no, or not sure")."""
        names = []
        for name in expects:
            if name == "onset":
                names.append("when it started, like yesterday or two weeks ago")
            elif name == "minutes":
                names.append("a number of minutes from five to twenty")
            elif name in self.script.answers:
                names.append(self.script.answers[name].say_as)
        if len(names) > 1:
            return ", ".join(names[:-1]) + ", or " + names[-1]
        return names[0] if names else ""


def _constant(value: str) -> Callable[[str], str]:
    return lambda _phrase: value


def _answer_meaning(name: str, question: Question | None) -> str:
    """What answer ``name`` means to the decision: the fact value it sets, if any.

    At a danger screen "not sure" counts as "yes" (clinical-rules.md §1), so a recogniser
    torn between "sure" and "not sure" has heard the same thing; "no" stays
    apart. Elsewhere (the timer offer, a read-back) the answer's own name.
    """
    if question is not None and name in question.values:
        return f"value:{question.values[name]}".lower()
    return name
