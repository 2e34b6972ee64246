"""Helpers shared by the tests: the real dialog folder and a conversation driver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path
from typing import Any

from voice_assistant.clock import FakeClock
from voice_assistant.dialog.conversation import Conversation, ConversationOptions
from voice_assistant.dialog.script import DialogScript
from voice_assistant.dialog.understanding import Understanding
from voice_assistant.events import TimerEvent, Transcript, Turn, Vocabulary
from voice_assistant.ports import Recognizer
from voice_assistant.session.plans import SessionConfig
from voice_assistant.session.timer.timer import SessionTimer

REPO = Path(__file__).resolve().parent.parent
DIALOGS = REPO / "dialogs"
PLANS = {
    "ice": (("ice", 15),),
    "heat": (("heat", 15),),
    "ice_then_heat": (("ice", 15), ("rest", 20), ("heat", 15)),
}


def talk(
    script: DialogScript, answers: Iterable[str], options: ConversationOptions | None = None
) -> tuple[Conversation, list[Turn]]:
    """Run a typed conversation; returns the conversation and every turn said."""
    conversation = Conversation(script, options or ConversationOptions(plans=PLANS))
    turns = conversation.start()
    for answer in answers:
        if conversation.finished:
            break
        turns += conversation.hear(Transcript(answer))
    return conversation, turns


def run_cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m voice_assistant`` as a user would, with a private data folder."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="hoi-config-"))
    full_env.setdefault("XDG_DATA_HOME", tempfile.mkdtemp(prefix="hoi-data-"))
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "voice_assistant", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def json_turns(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


class FakeRecognizer:
    """Hears ``answer`` in any audio, and remembers what it was asked."""

    name = "fake"

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.heard: list[tuple[int, Vocabulary]] = []

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        self.heard.append((len(audio), vocabulary))
        return Transcript(self.answer, 0.9, "audio")


def _screening_questions() -> int:
    """How many danger and same-day screens are asked before the onset question.

    The fall screen's second step is asked only after a yes to the first.
    """
    from voice_assistant.dialog.script import load_script

    ids = [question.id for question in load_script(DIALOGS).questions]
    return ids.index("onset") - ids.count("emergency_trauma_serious")


SCREEN_CLEAR = ["no"] * _screening_questions()
"""A clear "no" to every screening question, in order."""


def describe_understanding(found: Understanding) -> str:
    """One reply's meaning as a short label the tables compare: "no", "red:fever", "cmd:stop"."""
    if found.kind == "red_flag":
        return "red:" + ",".join(found.screens)
    if found.kind == "command":
        return f"cmd:{found.name}"
    if found.kind == "correction":
        return f"fix:{found.about}={found.name}"
    if found.kind == "answer":
        return found.name
    return "unclear"


def make_timer(config: SessionConfig, kind: str = "ice") -> tuple[SessionTimer, FakeClock]:
    """A session timer for ``kind``'s plan, in UTC, with a fake clock at 0."""
    plan = config.plan_for(kind)
    assert plan is not None
    return SessionTimer(plan, config, tz=UTC), FakeClock()


def run_until(timer: SessionTimer, clock: FakeClock, until: float) -> list[TimerEvent]:
    """What the assistant loop does: sleep to next_due, collect due events."""
    out: list[TimerEvent] = []
    while (due := timer.next_due()) is not None and due <= until:
        clock.set(max(clock.now(), due))
        out += timer.due_events(clock.now())
    clock.set(max(clock.now(), until))
    return out


def whisper_or_skip() -> Recognizer:
    """The Whisper engine as the product would open it; the test is skipped without it."""
    import pytest

    from voice_assistant.speech import engines

    context = engines.engine_context("whisper", None, {}, Path("no-models"))
    choice = engines.choose_recognizer(context)
    if choice.probe.engine != "whisper":
        pytest.skip(f"Whisper is not installed here: {' '.join(choice.notes)}")
    return engines.open_engine("whisper", choice.probe.model)


def spoken_names(folder: Path) -> list[str]:
    """What --save-speech saved, as "NNN-first-words-said.wav" (read from the folder's
    private said.txt: the files themselves have neutral names)."""
    from voice_assistant.adapters.audio.saved_speech import saved_texts, slug

    return [f"{name[:-4]}-{slug(text)}.wav" for name, text in saved_texts(folder)]
