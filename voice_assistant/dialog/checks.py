"""Cross-checks between the dialog files, run when ``dialogs/`` is loaded.

Each file is valid on its own (:mod:`.script`'s schema); these checks make sure
they fit together: every answer, fact, advice and question named exists, the
messages the program needs are there, spoken advice is short enough, and every
{placeholder} is one the program fills in.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voice_assistant.errors import DialogDataError

if TYPE_CHECKING:  # script.py runs these checks, so it cannot be imported at run time here
    from voice_assistant.dialog.script import DialogScript, Question

REQUIRED_MESSAGES = (
    "not_understood",
    "wake_ready",
    "misses_before_yes_no",
    "misses_before_cautious",
    "repair_to_be_safe",
    "offer_not_understood",
    "help_question",
    "confirm_low_confidence",
    "start_over",
    "stopped",
    "goodbye",
    "goodbye_emergency",
    "goodbye_today",
    "input_closed",
    "offer_timer",
    "offer_timer_reprompt",
    "offer_timer_help",
    "declined",
    "gap_goodbye",
    "timer_commands_help",
    "input_closed_timing",
    "correction_noted",
    "correction_same_advice",
    "advice_changed",
    "red_flag_session",
    "noted",
    "onset_more_than_three_days",
    "onset_flare_up",
)


REQUIRED_DEVICE_MESSAGES = (
    "no_microphone",
    "no_microphone_service",
    "microphone_failed",
    "microphone_back",
    "ctrl_z_refused",
    "no_speaker",
    "journal_failed",
    "journal_unavailable",
    "unreadable_line",
    "bad_time_line",
    "long_line",
    "journal_failed_spoken",
    "journal_damaged",
    "journal_damaged_spoken",
    "journal_restored_end",
    "journal_lost_end",
    "journal_unavailable_spoken",
    "journal_read_only",
    "journal_read_only_spoken",
    "already_running",
    "already_running_unknown",
)

PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    "conversation.wake_idle": frozenset({"phrase"}),
    "conversation.wake_ready": frozenset({"phrase"}),
    "conversation.help_question": frozenset({"answers"}),
    "conversation.confirm_low_confidence": frozenset({"answer"}),
    "conversation.minutes_set": frozenset({"minutes"}),
    "devices.no_microphone": frozenset({"detail"}),
    "devices.no_microphone_service": frozenset({"detail"}),
    "devices.microphone_failed": frozenset({"detail"}),
    "devices.no_speaker": frozenset({"detail"}),
    "devices.journal_failed": frozenset({"detail"}),
    "devices.journal_unavailable": frozenset({"detail"}),
    "devices.journal_read_only": frozenset({"detail"}),
    "devices.journal_damaged": frozenset({"detail"}),
    "devices.journal_restored_end": frozenset({"session", "time"}),
    "devices.journal_lost_end": frozenset({"session"}),
    "devices.already_running": frozenset({"pid"}),
    "devices.unreadable_line": frozenset({"line"}),
    "devices.bad_time_line": frozenset({"line", "problem"}),
    "devices.long_line": frozenset({"line", "limit"}),
}
"""The messages.yaml texts the program fills in, and the {placeholders} it supplies for each.

Every other text in triage.yaml, advice.yaml and messages.yaml is spoken as written, so a
{placeholder} there is a mistake too. (session.yaml has its own table in session/plans.py.)
"""


def _fail(directory: Path | None, name: str, key: str, problem: str) -> DialogDataError:
    where = str(directory / name) if directory else name
    return DialogDataError(f"{where}: key '{key}': {problem}")


def cross_check(script: DialogScript, directory: Path | None) -> None:
    """Check the dialog files fit together; raise ``DialogDataError`` naming file and key."""
    for command in ("repeat", "help", "stop", "start_over"):
        if command not in script.commands:
            raise _fail(directory, "answers.yaml", f"commands.{command}", "missing")
    for key in REQUIRED_MESSAGES:
        if key not in script.messages:
            raise _fail(directory, "messages.yaml", f"conversation.{key}", "missing")
    for key in REQUIRED_DEVICE_MESSAGES:
        if key not in script.device_messages:
            raise _fail(directory, "messages.yaml", f"devices.{key}", "missing")
    for name, key, text in _spoken_texts(script):
        _check_placeholders(directory, name, key, text)
    facts: dict[str, Question] = {}
    ids: set[str] = set()
    for index, question in enumerate(script.questions):
        key = f"questions.{index}"
        if question.id in ids:
            raise _fail(directory, "triage.yaml", f"{key}.id", f"'{question.id}' used twice")
        ids.add(question.id)
        facts[question.fact] = question
        _check_yes_no(directory, key, question)
        if question.kind == "onset":
            if question.acute_max_hours is None:
                raise _fail(
                    directory, "triage.yaml", key, "an onset question needs acute_max_hours"
                )
            continue
        for expected in question.expects:
            if expected not in script.answers:
                known = ", ".join(sorted(script.answers))
                raise _fail(
                    directory,
                    "triage.yaml",
                    f"{key}.expects",
                    f"unknown answer '{expected}' (answers.yaml defines: {known})",
                )
            if expected not in question.values:
                raise _fail(
                    directory, "triage.yaml", f"{key}.values", f"no value for answer '{expected}'"
                )
    for index, question in enumerate(script.questions):
        for answer, also in question.also_sets.items():
            for fact in also:
                if fact not in facts or answer not in question.values:
                    raise _fail(
                        directory,
                        "triage.yaml",
                        f"questions.{index}.also_sets.{answer}",
                        f"needs an answer of this question and a fact a question sets ('{fact}')",
                    )
    for index, rule in enumerate(script.rules):
        key = f"decision_table.{index}"
        if rule.advice not in script.advice:
            raise _fail(
                directory, "triage.yaml", f"{key}.advice", f"unknown advice '{rule.advice}'"
            )
        for fact in _facts_in(rule.when, directory, key):
            if fact not in facts:
                raise _fail(
                    directory, "triage.yaml", f"{key}.when", f"no question sets fact '{fact}'"
                )
    for fact in script.lexicon.screens:
        if fact not in facts:
            raise _fail(
                directory, "understanding.yaml", f"screens.{fact}", "no question sets this fact"
            )
    for fact in script.lexicon.red_flag_topics:
        if fact not in script.lexicon.screens or fact not in facts:
            raise _fail(
                directory,
                "understanding.yaml",
                f"red_flag_topics.{fact}",
                "not a screen (screens lists them) that a question sets",
            )
    for question_id in script.lexicon.topics:
        if question_id not in ids:
            raise _fail(
                directory, "understanding.yaml", f"topics.{question_id}", "no such question"
            )
    for name, advice in script.advice.items():
        if advice.kind == "seek_care" and advice.plan is not None:
            raise _fail(directory, "advice.yaml", f"advice.{name}.plan", "seek_care has no plan")
        if advice.kind != "seek_care" and advice.plan is None:
            raise _fail(directory, "advice.yaml", f"advice.{name}.plan", "a plan is required")
        if advice.kind == "seek_care" and advice.urgency is None:
            raise _fail(
                directory, "advice.yaml", f"advice.{name}.urgency", "required for seek_care"
            )
        if advice.kind != "seek_care" and not advice.safety:
            raise _fail(
                directory,
                "advice.yaml",
                f"advice.{name}.safety",
                "heat and ice advice is always followed by its safety lines: set it to true",
            )
        if advice.safety and not script.safety_lines_for(advice):
            raise _fail(
                directory,
                "advice.yaml",
                f"advice.{name}.safety",
                f"no safety line lists '{advice.kind}' in its 'for'",
            )
    _check_advice_length(script, directory)


def _check_yes_no(directory: Path | None, key: str, question: Question) -> None:
    """A yes/no form sets only values its question can set (onset: recent or not)."""
    form = question.yes_no
    allowed = set(question.values.values()) if question.kind == "choice" else {True, False}
    named = {f"steps.{i}.if_yes": step.if_yes for i, step in enumerate(form.steps)}
    named.update(if_no=form.if_no, cautious=form.cautious)
    for part, value in named.items():
        if value not in allowed:
            shown = ", ".join(sorted(str(v) for v in allowed))
            raise _fail(
                directory,
                "triage.yaml",
                f"{key}.yes_no.{part}",
                f"'{value}' is not a value this question sets ({shown})",
            )


def word_count(text: str) -> int:
    """Words as a listener hears them ("999," and "don't" are one word each)."""
    return len(text.split())


def _check_advice_length(script: DialogScript, directory: Path | None) -> None:
    """Spoken advice must be short enough to hear and remember (clinical-rules.md §5)."""
    limits = script.limits
    seen: set[str] = set()
    for index, line in enumerate(script.safety_lines):
        key = f"safety_lines.{index}"
        if line.id in seen:
            raise _fail(directory, "advice.yaml", f"{key}.id", f"'{line.id}' used twice")
        seen.add(line.id)
        words = word_count(line.say)
        if words > limits.line_words:
            raise _fail(
                directory,
                "advice.yaml",
                f"{key}.say",
                f"safety line '{line.id}' has {words} words; at most {limits.line_words} "
                "(limits.line_words). Shorten it.",
            )
    for name, advice in script.advice.items():
        words = word_count(advice.say)
        if words > limits.say_words:
            raise _fail(
                directory,
                "advice.yaml",
                f"advice.{name}.say",
                f"{words} words; at most {limits.say_words} (limits.say_words). Shorten it.",
            )
        total = word_count(script.advice_text(advice))
        if total > limits.total_words:
            lines = ", ".join(line.id for line in script.safety_lines_for(advice))
            raise _fail(
                directory,
                "advice.yaml",
                f"advice.{name}",
                f"{total} words with its safety lines ({lines}); at most {limits.total_words} "
                "(limits.total_words, about 30 seconds spoken). Shorten the advice or a line.",
            )


def _spoken_texts(script: DialogScript) -> list[tuple[str, str, str]]:
    """(file, key, text) of every sentence the assistant may say from triage, advice, messages."""
    texts = [("triage.yaml", "greeting", script.greeting)]
    for index, question in enumerate(script.questions):
        for part in ("ask", "reprompt", "help"):
            value = getattr(question, part)
            if value is not None:
                texts.append(("triage.yaml", f"questions.{index}.{part}", value))
        form = question.yes_no
        for step, yes_no in enumerate(form.steps):
            texts.append(("triage.yaml", f"questions.{index}.yes_no.steps.{step}", yes_no.ask))
        if form.cautious_say is not None:
            texts.append(
                ("triage.yaml", f"questions.{index}.yes_no.cautious_say", form.cautious_say)
            )
    for name, advice in script.advice.items():
        texts.append(("advice.yaml", f"advice.{name}.say", advice.say))
    for index, line in enumerate(script.safety_lines):
        texts.append(("advice.yaml", f"safety_lines.{index}.say", line.say))
    for section, messages in (
        ("conversation", script.messages),
        ("devices", script.device_messages),
    ):
        for key, value in messages.items():
            if isinstance(value, str):
                texts.append(("messages.yaml", f"{section}.{key}", value))
    return texts


def _check_placeholders(directory: Path | None, name: str, key: str, text: str) -> None:
    """Every {placeholder} in ``text`` must be one the program supplies for that key."""
    allowed = PLACEHOLDERS.get(key, frozenset()) if name == "messages.yaml" else frozenset()
    shown = ", ".join("{" + word + "}" for word in sorted(allowed)) or "none"
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as exc:
        raise _fail(
            directory,
            name,
            key,
            f"a {{ or }} is unmatched ({exc}). Placeholders allowed here: {shown}; "
            "write {{ or }} for a brace that should be spoken.",
        ) from None
    for field in fields:
        if field not in allowed:
            raise _fail(
                directory,
                name,
                key,
                f"unknown placeholder {{{field}}}. Placeholders allowed here: {shown}.",
            )


def _facts_in(condition: Mapping[str, Any], directory: Path | None, key: str) -> list[str]:
    found: list[str] = []
    for name, value in condition.items():
        if name in ("any", "all"):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise _fail(
                    directory, "triage.yaml", f"{key}.when.{name}", "must be a list of maps"
                )
            for part in value:
                found.extend(_facts_in(part, directory, key))
        elif isinstance(value, dict | list):
            raise _fail(directory, "triage.yaml", f"{key}.when.{name}", "must be a plain value")
        else:
            found.append(name)
    return found
