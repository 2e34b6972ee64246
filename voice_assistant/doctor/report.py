"""The doctor's report: run every check in order, print it, sum it up, and say it aloud.

``run_doctor`` is what ``heat-or-ice doctor`` calls. Any unexpected exception in a check
becomes a PROBLEM line (see ``check.guarded``), so the user never sees a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from voice_assistant import paths
from voice_assistant.doctor.check import INDENT, Check, guarded
from voice_assistant.doctor.checks_devices import check_microphone, check_speaker, check_tts
from voice_assistant.doctor.checks_engine import check_recognition
from voice_assistant.doctor.checks_storage import (
    check_dialogs,
    check_disk,
    check_journal,
    check_settings,
)
from voice_assistant.doctor.deps import DoctorDeps
from voice_assistant.errors import AssistantError
from voice_assistant.settings.config import Settings
from voice_assistant.speech import engines

EXIT_OK = 0
EXIT_MISSING = 1
"""Same meaning as app.EXIT_MISSING: something essential is missing."""


def run_checks(
    settings: Settings,
    *,
    config_flag: Path | str | None,
    dialogs_dir: Path,
    deps: DoctorDeps,
    emit: Callable[[Check], None] = lambda check: None,
    notice: Callable[[str], None] = lambda text: None,
) -> list[Check]:
    """Every check, in order; ``emit`` sees each as soon as it is done."""
    plan: list[tuple[str, bool, Callable[[], Check]]] = [
        ("Settings", False, lambda: check_settings(config_flag, deps.environ)),
        ("Dialog files", True, lambda: check_dialogs(dialogs_dir)),
        (
            "Text-to-speech",
            not settings.mute,
            lambda: check_tts(settings, deps.renderer, deps.open_tts),
        ),
        (
            "Speaker",
            False,
            lambda: check_speaker(settings, deps.make_player, deps.describe_device),
        ),
        (
            "Microphone",
            True,
            lambda: check_microphone(
                settings,
                deps.mic_stream_factory,
                deps.listen_seconds,
                deps.describe_device,
                notice,
            ),
        ),
        (
            "Speech recognition",
            True,
            lambda: check_recognition(
                engines.EngineContext(
                    settings.engine,
                    settings.vosk_model,
                    deps.environ,
                    deps.models_dir,
                    deps.whisper_package_dir,
                ),
                deps.open_recognizer,
                deps.renderer,
            ),
        ),
        (
            "Journal",
            False,
            lambda: check_journal(settings.data_dir, dialogs_dir, deps.wall_time()),
        ),
        ("Disk space", False, lambda: check_disk(settings.data_dir, deps.min_free_bytes)),
    ]
    checks = []
    for name, essential, check in plan:
        result = guarded(name, essential, check)
        emit(result)
        checks.append(result)
    return checks


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number != 1 else ''}"


def summary(checks: Sequence[Check]) -> str:
    """One sentence: how many problems and warnings, and whether the assistant can work."""
    problems = [c for c in checks if c.status == "problem"]
    warnings = [c for c in checks if c.status == "warning"]
    blocking = [c for c in problems if c.essential]
    if not problems and not warnings:
        return f"All {len(checks)} checks passed: heat-or-ice is ready to use."
    if not problems:
        names = ", ".join(c.name.lower() for c in warnings)
        return f"Ready to use, with {_count(len(warnings), 'warning')} ({names}): see above."
    names = ", ".join(c.name.lower() for c in problems)
    text = f"{_count(len(problems), 'problem')} ({names})"
    if warnings:
        text += f" and {_count(len(warnings), 'warning')}"
    text += "."
    if blocking:
        missing = ", ".join(c.name.lower() for c in blocking)
        text += (
            f" Something essential is missing ({missing}): fix the PROBLEM lines above, then "
            "run `heat-or-ice doctor` again."
        )
        if all(c.name == "Microphone" for c in blocking):
            text += " Until then you can type your answers with --text."
    else:
        text += " heat-or-ice works without these, but fix them for the full experience."
    return text


def spoken_report(checks: Sequence[Check]) -> list[str]:
    """What is said aloud: the summary, then each problem (without code formatting)."""
    said = [summary(checks)]
    said += [f"{c.name}: {c.message}" for c in checks if c.status == "problem"]
    return [text.replace("`", "") for text in said]


def exit_code(checks: Sequence[Check]) -> int:
    return EXIT_MISSING if any(c.blocking for c in checks) else EXIT_OK


def run_doctor(
    settings: Settings,
    *,
    config_flag: Path | str | None = None,
    dialogs_dir: Path | None = None,
    deps: DoctorDeps | None = None,
    out: Callable[[str], None] = print,
    err: Callable[[str], None] | None = None,
) -> int:
    """Print (and speak, where possible) the report; return the exit code."""
    deps = deps or DoctorDeps()
    err = err or (lambda text: print(text, file=sys.stderr))
    out("Checking heat-or-ice; this takes a few seconds.")

    def emit(check: Check) -> None:
        for line in check.lines():
            out(line)

    checks = run_checks(
        settings,
        config_flag=config_flag,
        dialogs_dir=dialogs_dir or paths.dialogs_dir(),
        deps=deps,
        emit=emit,
        notice=lambda text: out(f"{INDENT}({text})"),
    )
    out(summary(checks))
    by_name = {c.name: c for c in checks}
    can_speak = not settings.mute and all(
        by_name[n].status == "ok" for n in ("Text-to-speech", "Speaker")
    )
    if can_speak:
        try:
            speaker = deps.make_speaker(settings)
            for text in spoken_report(checks):
                speaker.say(text)
        except (AssistantError, OSError, RuntimeError) as exc:
            err(f"(The summary could not be spoken: {exc})")
    return exit_code(checks)
