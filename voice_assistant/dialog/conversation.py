"""The triage conversation as a state machine built from ``dialogs/``.

Pure logic: answers in, turns (what to say, what is awaited) out. The
``transitions`` machine holds the state; the decision table chooses where the
``advance`` trigger goes, so questions are asked only while the decision still
needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from transitions import Machine

from voice_assistant.dialog.matching import PhraseMatcher, normalize
from voice_assistant.dialog.onset import (
    FollowUp,
    _read_number,
    onset_phrases,
    read_onset,
)
from voice_assistant.dialog.rules import decide
from voice_assistant.dialog.script import Advice, DialogScript, FactValue, Question, Rule
from voice_assistant.dialog.understanding import Context, Understanding, understand
from voice_assistant.events import Transcript, Vocabulary

GREETING = "greeting"
CONFIRMING = "confirming"
RECOMMENDATION = "recommendation"
OFFER_TIMER = "offer_timer"
TIMING = "timing"
DONE = "done"
OFFER_EXPECTS = ("start", "minutes", "decline")
CONFIRM_EXPECTS = ("yes", "no")

PlanSteps = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Recommendation:
    """What to use, how urgently to get help, and the timed plan."""

    kind: str
    urgency: str | None
    plan: PlanSteps
    advice_id: str
    row: int

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "urgency": self.urgency,
            "plan": [{"phase": phase, "minutes": minutes} for phase, minutes in self.plan],
        }


@dataclass(frozen=True)
class Turn:
    """One thing the assistant says, and what it waits for afterwards."""

    state: str
    say: str
    expects: tuple[str, ...] = ()
    recommendation: Recommendation | None = None
    start_timer: bool = False
    minutes: float | None = None
    end: bool = False
    chime: bool = False
    event: str | None = None  # timer announcement kind, during a session
    phase: str | None = None


@dataclass
class _Pending:
    question: Question
    answer: str


@dataclass
class ConversationOptions:
    """Hooks into the rest of the product, all optional for plain triage."""

    plans: Mapping[str, PlanSteps] = field(default_factory=dict)
    # Refusal text when the requested minutes are not allowed, else None.
    check_minutes: Callable[[float], str | None] = lambda minutes: None
    # Refusal text when the last application of this kind was too recent.
    check_gap: Callable[[Recommendation], str | None] = lambda rec: None
    low_confidence: float = 0.5
    # Today's date, for "since Monday" and "the weekend" (None: ask instead).
    today: Callable[[], date | None] = lambda: None


class Conversation:
    """Drives one triage conversation from greeting to advice and timer offer."""

    def __init__(self, script: DialogScript, options: ConversationOptions | None = None) -> None:
        self.script = script
        self.options = options or ConversationOptions()
        self.facts: dict[str, FactValue] = {}
        self.answers: list[tuple[str, str, str]] = []  # (question id, answer, heard text)
        self.recommendation: Recommendation | None = None
        self.minutes: float | None = None
        self._misses = 0
        self._silences = 0
        self._pending: _Pending | None = None
        self._follow_up: FollowUp | None = None  # onset: asked "more than three days?"
        self._target = ""
        self._last_turn: Turn | None = None
        self._matchers: dict[str, PhraseMatcher] = {}
        self._contexts: dict[str, Context] = {}
        self._facts_to_question = {q.fact: q for q in script.questions}
        self._by_id = {q.id: q for q in script.questions}
        question_ids = [q.id for q in script.questions]
        states = [GREETING, *question_ids, CONFIRMING, RECOMMENDATION, OFFER_TIMER, TIMING, DONE]
        self.machine = Machine(
            model=self,
            states=states,
            initial=GREETING,
            queued=True,
            auto_transitions=False,
            model_attribute="state",
        )
        # From the timer offer too: a red flag or a correction decides again.
        for source in [GREETING, *question_ids, CONFIRMING, OFFER_TIMER]:
            for dest in [*question_ids, RECOMMENDATION]:
                self.machine.add_transition(
                    "advance", source, dest, conditions=[self._heads_to(dest)]
                )
        for question_id in question_ids:
            self.machine.add_transition("confirm", question_id, CONFIRMING)
        self.machine.add_transition("offer", RECOMMENDATION, OFFER_TIMER)
        self.machine.add_transition("begin_timing", OFFER_TIMER, TIMING)
        self.machine.add_transition("restart", [*question_ids, CONFIRMING, OFFER_TIMER], GREETING)
        self.machine.add_transition("finish", "*", DONE)

    # Set by the transitions machine (triggers are bound onto the model).
    state: str
    advance: Callable[[], bool]
    confirm: Callable[[], bool]
    offer: Callable[[], bool]
    begin_timing: Callable[[], bool]
    restart: Callable[[], bool]
    finish: Callable[[], bool]

    # --- public API -----------------------------------------------------------------

    def start(self) -> list[Turn]:
        """The greeting and the first question."""
        return [self._turn(GREETING, self.script.greeting), *self._advance()]

    @property
    def finished(self) -> bool:
        return self.state in (DONE, TIMING)

    def expects(self) -> tuple[str, ...]:
        if self.state == CONFIRMING:
            return CONFIRM_EXPECTS
        if self.state == OFFER_TIMER:
            return OFFER_EXPECTS
        question = self._current_question()
        return question.expects if question else ()

    def vocabulary(self) -> Vocabulary:
        """Phrases the recogniser should listen for in the current state."""
        meanings: dict[str, str] = {}

        def add(found: Iterable[str], meaning: Callable[[str], str]) -> None:
            for phrase in found:
                meanings.setdefault(phrase, meaning(phrase))

        for name, command in self.script.commands.items():
            add(command.phrases, _constant(f"command:{name}"))
        critical: set[str] = set()
        question = self._current_question()
        for name in self.expects():
            if name == "onset":
                add(onset_phrases(self.script.onset), self._onset_meaning)
                add(self.script.answers["unsure"].phrases, lambda _: "unsure")
            elif name == "minutes":
                add(_minute_phrases(), lambda phrase: f"minutes:{_minutes_in(phrase)}")
            elif name in self.script.answers:
                add(self.script.answers[name].phrases, _constant(name))
                if question and name in question.confirm_if_unclear:
                    critical.update(self.script.answers[name].phrases)
        # Answers come as whole sentences ("no, but my legs feel weak").
        sentences = self._current_question() is not None
        return Vocabulary(tuple(sorted(meanings)), frozenset(critical), meanings, sentences)

    def _onset_meaning(self, phrase: str) -> str:
        reading = read_onset(phrase, self.script.onset)
        if reading.hours is None and reading.follow_up is not None:
            return f"onset:ask:{reading.follow_up}"
        return f"onset:{reading.hours}"

    def hear(self, transcript: Transcript) -> list[Turn]:
        """React to one reply (typed or recognised; empty text = not understood)."""
        if self.state in (DONE, TIMING, GREETING, RECOMMENDATION):
            return []
        self._silences = 0
        if not transcript.text.strip():
            return self._miss()
        meaning = understand(
            transcript.text, self._context(), self.script.lexicon, self.question_contexts()
        )
        if meaning.kind == "red_flag":
            return self._red_flag(meaning.screens, transcript.text)
        if meaning.kind == "command":
            return self._command(meaning.name)
        if meaning.kind == "correction":
            return self._correct(meaning, transcript.text)
        if self.state == CONFIRMING:
            return self._hear_confirmation(meaning)
        if self.state == OFFER_TIMER:
            answers = [n for n in self._matcher().find(transcript.text).names if n in OFFER_EXPECTS]
            return self._hear_offer(transcript.text, answers)
        question = self._current_question()
        assert question is not None
        if question.kind == "onset":
            return self._hear_onset(question, transcript, meaning)
        if meaning.kind != "answer" or meaning.name not in question.values:
            return self._miss()
        answer = meaning.name
        if (
            transcript.source == "audio"
            and transcript.confidence < self.options.low_confidence
            and answer in question.confirm_if_unclear
        ):
            self._pending = _Pending(question, answer)
            self.confirm()
            return [
                self._turn(
                    CONFIRMING,
                    self.script.message(
                        "confirm_low_confidence", answer=self.script.answers[answer].say_as
                    ),
                )
            ]
        self._record(question, answer, question.values[answer], transcript.text)
        return self._advance()

    def silence(self) -> list[Turn]:
        """Nothing was said before the listening limit; give up politely after a while."""
        if self.state in (DONE, TIMING, GREETING, RECOMMENDATION):
            return []
        silences = self._silences + 1
        if silences >= int(self.script.messages["silent_prompts_before_goodbye"]):
            return self.end(self.script.message("no_answer"))
        turns = self._miss(silence=True)
        self._silences = silences
        return turns

    def stop(self) -> list[Turn]:
        self.finish()
        return [self._turn(DONE, self.script.message("stopped"), end=True)]

    def input_closed(self) -> list[Turn]:
        if self.state == DONE:
            return []
        self.finish()
        return [self._turn(DONE, self.script.message("input_closed"), end=True)]

    def end(self, text: str | None = None) -> list[Turn]:
        self.finish()
        return [self._turn(DONE, text or self.script.message("goodbye"), end=True)]

    def repeat_last(self) -> Turn | None:
        return self._last_turn

    # --- internals ------------------------------------------------------------------

    def _heads_to(self, dest: str) -> Callable[[], bool]:
        return lambda: self._target == dest

    def _current_question(self) -> Question | None:
        if self.state == CONFIRMING and self._pending:
            return self._pending.question
        for question in self.script.questions:
            if question.id == self.state:
                return question
        return None

    def _matcher(self) -> PhraseMatcher:
        key = self.state if self.state != CONFIRMING else "_confirm"
        if key not in self._matchers:
            names: dict[str, tuple[str, ...]] = {
                name: answer.phrases for name, answer in self.script.commands.items()
            }
            for name in self.expects():
                if name in self.script.answers:
                    names[name] = self.script.answers[name].phrases
            if "onset" in self.expects():
                names["unsure"] = self.script.answers["unsure"].phrases
            self._matchers[key] = PhraseMatcher(names)
        return self._matchers[key]

    def _turn(self, state: str, say: str, **extra: Any) -> Turn:
        turn = Turn(
            state=state, say=say, expects=self.expects() if state == self.state else (), **extra
        )
        if not extra.get("end") and turn.expects:
            self._last_turn = turn
        return turn

    def _ask(self, question: Question, text: str | None = None) -> Turn:
        return self._turn(question.id, text or question.ask)

    def _advance(self, rule: Rule | None = None) -> list[Turn]:
        """Move to the next needed question, or to the advice (``rule`` decides at once)."""
        self._misses = 0
        self._follow_up = None
        if rule is None:
            decision = decide(self.script.rules, self.facts)
            if decision.rule is None:
                question = self._first_question_for(decision.missing)
                self._target = question.id
                self.advance()
                return [self._ask(question)]
            rule = decision.rule
        previous = self.recommendation
        self._target = RECOMMENDATION
        self.advance()
        advice = self.script.advice[rule.advice]
        recommendation = Recommendation(
            kind=advice.kind,
            urgency=advice.urgency,
            plan=self.options.plans.get(advice.plan or "", ()),
            advice_id=rule.advice,
            row=rule.row,
        )
        self.recommendation = recommendation
        text = self._advice_text(advice)
        if previous is not None and previous.advice_id != rule.advice:
            text = f"{self.script.message('advice_changed')} {text}"
        if advice.kind == "seek_care" or not recommendation.plan:
            return [
                self._turn(RECOMMENDATION, text, recommendation=recommendation),
                *self.end(),
            ]
        # Too soon since the last pack: say so first, so the advice is heard as
        # "for later", and offer no timer.
        refusal = self.options.check_gap(recommendation)
        if refusal:
            return [
                self._turn(RECOMMENDATION, f"{refusal} {text}", recommendation=recommendation),
                *self.end(self.script.message("gap_goodbye")),
            ]
        turns = [self._turn(RECOMMENDATION, text, recommendation=recommendation)]
        self.offer()
        turns.append(self._turn(OFFER_TIMER, self.script.message("offer_timer")))
        return turns

    def _urgent_rule(self) -> Rule | None:
        """The first decision row that already holds, when it says get help now or today."""
        for rule in self.script.rules:
            if decide([rule], self.facts).rule is None:
                continue
            advice = self.script.advice[rule.advice]
            if advice.kind == "seek_care" and advice.urgency in ("emergency", "today"):
                return rule
            return None
        return None

    def _red_flag(self, screens: Sequence[str], heard: str) -> list[Turn]:
        """A symptom volunteered at any point: its screen is yes; urgent advice at once."""
        for fact in screens:
            question = self._facts_to_question.get(fact)
            if question is not None:
                self._record(question, "yes", question.values.get("yes", True), heard)
        self._pending = None
        rule = self._urgent_rule()
        if rule is not None:
            return self._advance(rule)
        turns = self._advance()
        if turns and turns[0].recommendation is None:
            turns[0] = replace(turns[0], say=f"{self.script.message('noted')} {turns[0].say}")
        return turns

    def _command(self, name: str) -> list[Turn]:
        if name == "stop":
            return self.stop()
        if name == "start_over":
            return self._start_over()
        if self.state == OFFER_TIMER:
            if name == "help":
                return [self._turn(OFFER_TIMER, self.script.message("offer_timer_help"))]
            return [self._repeat_advice()]
        if self.state == CONFIRMING:
            return [self._turn(CONFIRMING, self._confirm_text())]
        question = self._current_question()
        assert question is not None
        if name == "help":
            return [self._help_turn(question)]
        return [self._repeat_question(question)]

    def _correct(self, meaning: Understanding, heard: str) -> list[Turn]:
        """ "Actually yes", "wait, it is swollen": revise that answer and decide again."""
        assert meaning.about is not None
        question = self.script.question(meaning.about)
        if question.kind == "onset":
            hours = read_onset(meaning.text, self.script.onset, self.options.today()).hours
            if hours is None:
                return self._miss()
            answer: str = f"{hours:g} hours"
            value: FactValue = hours <= (question.acute_max_hours or 0)
        elif meaning.name in question.values:
            answer, value = meaning.name, question.values[meaning.name]
        else:
            return self._miss()
        self._pending = None
        self._record(question, answer, value, heard)
        noted = self.script.message("correction_noted")
        decision = decide(self.script.rules, self.facts)
        given = self.recommendation
        if (
            self.state == OFFER_TIMER
            and given is not None
            and decision.rule is not None
            and decision.rule.advice == given.advice_id
        ):
            same = self.script.message("correction_same_advice")
            reprompt = self.script.message("offer_timer_reprompt")
            return [self._turn(OFFER_TIMER, f"{noted} {same} {reprompt}")]
        turns = self._advance()
        first = turns[0]
        return [replace(first, say=f"{noted} {first.say}"), *turns[1:]]

    def _previous_question(self) -> str | None:
        """The question answered last (what "actually yes" is about)."""
        for question_id, _, _ in reversed(self.answers):
            if question_id == "start_over":
                return None
            question = self._by_id.get(question_id)
            if question is not None and question.fact in self.facts:
                return question_id
        return None

    def question_contexts(self) -> dict[str, Context]:
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
            commands=self._command_phrases(),
        )

    def _command_phrases(self) -> dict[str, tuple[str, ...]]:
        return {name: answer.phrases for name, answer in self.script.commands.items()}

    def _context(self) -> Context:
        previous = self._previous_question()
        if self.state == CONFIRMING and self._pending is not None:
            return Context(
                question=CONFIRMING,
                kind="confirm",
                fact=self._pending.question.fact,
                answers={n: self.script.answers[n].phrases for n in ("yes", "no", "unsure")},
                commands=self._command_phrases(),
            )
        if self.state == OFFER_TIMER:
            return Context(
                question=OFFER_TIMER,
                kind="offer",
                commands=self._command_phrases(),
                previous=previous,
            )
        question = self._current_question()
        assert question is not None
        return replace(self.question_contexts()[question.id], previous=previous)

    def _confirm_text(self) -> str:
        return self.script.message(
            "confirm_low_confidence",
            answer=self.script.answers[self._pending.answer].say_as if self._pending else "",
        )

    def _advice_text(self, advice: Advice) -> str:
        """The recommendation and only the safety lines that apply to it."""
        return self.script.advice_text(advice)

    def _first_question_for(self, facts: Sequence[str]) -> Question:
        wanted = set(facts)
        for question in self.script.questions:
            if question.fact in wanted:
                return question
        raise LookupError(f"no question sets any of {sorted(wanted)}")

    def _record(self, question: Question, answer: str, value: FactValue, heard: str) -> None:
        self.facts[question.fact] = value
        self.answers.append((question.id, answer, heard))

    def _miss(self, silence: bool = False) -> list[Turn]:
        self._misses += 1
        prefix = (
            self.script.device_messages.get("silence", "")
            if silence
            else self.script.message("not_understood")
        )
        limit = int(self.script.messages["misses_before_listing"])
        if self._misses >= limit:
            body = self.script.message("list_answers", answers=self._answer_list())
        elif self.state == OFFER_TIMER:
            body = self.script.message("offer_timer_reprompt")
        elif self.state == CONFIRMING:
            body = self.script.message(
                "confirm_low_confidence",
                answer=self.script.answers[self._pending.answer].say_as if self._pending else "",
            )
        elif self._follow_up is not None and self.state == "onset":
            body = self.script.message(f"onset_{self._follow_up}")
        else:
            question = self._current_question()
            body = question.reprompt if question else ""
        return [self._turn(self.state, f"{prefix} {body}".strip())]

    def _answer_list(self) -> str:
        names = []
        for name in self.expects():
            if name == "onset":
                names.append("when it started, like yesterday or two weeks ago")
            elif name == "minutes":
                names.append("a number of minutes from five to twenty")
            elif name in self.script.answers:
                names.append(self.script.answers[name].say_as)
        if len(names) > 1:
            return ", ".join(names[:-1]) + ", or " + names[-1]
        return names[0] if names else ""

    def _help_turn(self, question: Question) -> Turn:
        if question.help:
            return self._ask(question, question.help)
        return self._ask(
            question, self.script.message("help_question", answers=self._answer_list())
        )

    def _repeat_advice(self) -> Turn:
        """ "Repeat" at the timer offer: the whole advice again, then the offer."""
        offer = self.script.message("offer_timer")
        if self.recommendation is None:
            return self._turn(OFFER_TIMER, offer)
        advice = self.script.advice[self.recommendation.advice_id]
        return self._turn(OFFER_TIMER, f"{self._advice_text(advice)} {' '.join(offer.split())}")

    def _repeat_question(self, question: Question) -> Turn:
        return self._ask(question)

    def _start_over(self) -> list[Turn]:
        self.facts.clear()
        self.answers.append(("start_over", "start_over", ""))
        self._pending = None
        self.minutes = None
        self.restart()
        first = self._turn(GREETING, self.script.message("start_over"))
        return [first, *self._advance()]

    def _hear_confirmation(self, meaning: Understanding) -> list[Turn]:
        pending = self._pending
        assert pending is not None
        answer = meaning.name if meaning.kind == "answer" else None
        if answer == "yes":
            self._pending = None
            question = pending.question
            self._record(question, pending.answer, question.values[pending.answer], "confirmed")
            return self._advance()
        if answer in ("no", "unsure"):
            self._pending = None
            self._target = pending.question.id
            self.advance()
            return [
                self._ask(
                    pending.question,
                    self.script.message("confirm_again") + " " + pending.question.ask,
                )
            ]
        return self._miss()

    def _hear_onset(
        self, question: Question, transcript: Transcript, meaning: Understanding
    ) -> list[Turn]:
        text = transcript.text
        reading = read_onset(text, self.script.onset, self.options.today())
        unsure = meaning.hedged or "unsure" in self._matcher().find(text).names
        hours = reading.hours
        if hours is None and self._follow_up == "more_than_three_days":
            yes_no = understand(text, self._yes_no_context(), self.script.lexicon)
            if yes_no.kind == "answer" and yes_no.name in ("yes", "no"):
                # Just over, or at most, the acute limit.
                limit = question.acute_max_hours or 0
                hours = limit + 24 if yes_no.name == "yes" else limit
        if hours is None and unsure and question.unsure_value is not None:
            self._record(question, "unsure", question.unsure_value, text)
            return self._advance()
        if hours is None and reading.follow_up is not None:
            self._follow_up = reading.follow_up
            return [self._ask(question, self.script.message(f"onset_{reading.follow_up}"))]
        if hours is None:
            return self._miss()
        acute = hours <= (question.acute_max_hours or 0)
        self._record(question, f"{hours:g} hours", acute, text)
        return self._advance()

    def _yes_no_context(self) -> Context:
        return Context(
            question=CONFIRMING,
            kind="confirm",
            answers={n: self.script.answers[n].phrases for n in ("yes", "no", "unsure")},
        )

    def _hear_offer(self, text: str, answers: list[str]) -> list[Turn]:
        minutes = _minutes_in(text)
        if minutes is not None:
            refusal = self.options.check_minutes(minutes)
            if refusal:
                return [self._turn(OFFER_TIMER, refusal)]
            self.minutes = minutes
            if "start" not in answers:
                spoken = _spoken_number(minutes)
                text = self.script.message("minutes_set", minutes=spoken)
                return [self._turn(OFFER_TIMER, text[:1].upper() + text[1:])]
        if "start" in answers and "decline" not in answers:
            self.begin_timing()
            return [Turn(state=TIMING, say="", start_timer=True, minutes=self.minutes)]
        if "decline" in answers:
            return self.end(self.script.message("declined"))
        if minutes is not None:
            return []
        if "minutes" in normalize(text) or "minute" in normalize(text):
            return [self._turn(OFFER_TIMER, self.script.message("minutes_question"))]
        return self._miss()


def _constant(value: str) -> Callable[[str], str]:
    return lambda _phrase: value


def _minutes_in(text: str) -> float | None:
    words = normalize(text)
    for index in range(len(words)):
        number = _read_number(words, index)
        if number is None:
            continue
        value, used = number
        rest = words[index + used : index + used + 1]
        if rest in (["minutes"], ["minute"], ["mins"], ["min"]) or len(words) <= 3:
            return value
    return None


def _spoken_number(value: float) -> str:
    from voice_assistant.dialog.onset import number_to_words

    return number_to_words(int(value)) if value == int(value) else f"{value:g}"


def _minute_phrases() -> list[str]:
    from voice_assistant.dialog.onset import number_to_words

    phrases = []
    for minutes in range(1, 61):
        word = number_to_words(minutes)
        phrases += [f"{word} minutes", f"make it {word} minutes", f"{word} minutes please"]
    return phrases
