"""Helpers shared by the tests and the benchmarks (no pytest here, so ``bench/`` can use them).

* :func:`synth_pcm`: espeak-ng speaking a text, as the assistant's one audio
  format (16 kHz mono int16), cached on disk by text, voice and rate.
* :data:`SCENARIOS` and :func:`spoken_conversation`: a whole triage spoken
  through the real assistant by an espeak-ng "person" who answers whatever is
  asked, from a scenario keyed by question, and repeats once when asked to.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from voice_assistant.adapters.audio.wav import read_wav, write_wav
from voice_assistant.dialog.script import DialogScript
from voice_assistant.ports import Recognizer

ESPEAK_CACHE = Path(tempfile.gettempdir()) / "heat-or-ice-espeak-cache"
REPEAT_SLOWER_BY = 25
"""Words a minute: a person asked again repeats a little slower."""


def synth_pcm(text: str, voice: str = "en-us", rate: int = 150) -> bytes:
    """``text`` spoken by espeak-ng ``voice`` at ``rate`` words/minute: 16 kHz int16 PCM."""
    ESPEAK_CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(f"{voice}|{rate}|{text}".encode()).hexdigest()[:20]
    cached = ESPEAK_CACHE / f"{key}.wav"
    if not cached.exists():
        raw = ESPEAK_CACHE / f"{key}.raw.wav"  # espeak-ng writes 22 050 Hz
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(raw), text],
            check=True,
            capture_output=True,
            timeout=30,
        )
        partial = ESPEAK_CACHE / f"{key}.part.wav"
        write_wav(partial, read_wav(raw))
        partial.replace(cached)  # atomic: parallel runs never see half a file
        raw.unlink(missing_ok=True)
    return read_wav(cached)


@dataclass(frozen=True)
class Scenario:
    """What a person answers, question by question, and the advice they should get.

    ``answers`` is keyed by question id; questions not named there are danger
    or same-day screens, answered from ``screens`` in turn ("no", "nope", ...).
    """

    answers: Mapping[str, str]
    expected: tuple[str, str | None]
    """(kind, urgency) of the recommendation."""
    screens: Sequence[str] = ("no", "nope", "no", "not really")

    def answer(self, question: str, screens_asked: int) -> str:
        if question in self.answers:
            return self.answers[question]
        return self.screens[screens_asked % len(self.screens)]


SCENARIOS: Mapping[str, Scenario] = {
    "heat": Scenario({"onset": "years", "swelling": "no", "stiffness": "yes"}, ("heat", None)),
    "ice_then_heat": Scenario(
        {"onset": "yesterday", "swelling": "no", "stiffness": "yes"}, ("ice_then_heat", None)
    ),
    "ice_swollen": Scenario({"onset": "two days ago", "swelling": "yes"}, ("ice", None)),
    "emergency": Scenario({"emergency_bladder": "yes"}, ("seek_care", "emergency")),
    "unsure_screen": Scenario({"emergency_saddle": "not sure"}, ("seek_care", "emergency")),
    "exercise": Scenario(
        {"onset": "this morning", "swelling": "no", "stiffness": "no", "cause": "exercise"},
        ("ice", None),
    ),
}


@dataclass
class ConversationResult:
    recommendation: tuple[str, str | None] | None
    heard: list[str | None] = field(default_factory=list)
    """What the assistant understood, answer by answer."""
    said: list[str] = field(default_factory=list)
    """Everything the assistant said."""
    retries: int = 0


def spoken_conversation(
    script: DialogScript,
    recognizer: Recognizer,
    scenario: Scenario,
    voice: str,
    rate: int,
    *,
    retry: bool = True,
    max_turns: int = 30,
) -> ConversationResult:
    """One spoken triage through the real assistant (fake clock, in-memory journal)."""
    from voice_assistant.app import build_assistant
    from voice_assistant.clock import FakeClock
    from voice_assistant.dialog.states import CONFIRMING
    from voice_assistant.events import AudioClip, InputClosed
    from voice_assistant.hearing.listener import transcribe_clip
    from voice_assistant.paths import dialogs_dir
    from voice_assistant.runtime.output import MemorySink
    from voice_assistant.session.journal.journal import Journal
    from voice_assistant.session.journal.safe_journal import SafeJournal
    from voice_assistant.session.plans import load_session_config
    from voice_assistant.speech.speakers import RecordingSpeaker

    config = load_session_config(Path(script.source or dialogs_dir()) / "session.yaml")
    sink = MemorySink()
    journal = SafeJournal(Journal.in_memory(config), sink.notice, "{detail}")
    assistant = build_assistant(script, config, journal, RecordingSpeaker(), FakeClock(), sink)
    assistant.transcribe = lambda pcm, vocabulary: transcribe_clip(pcm, recognizer, vocabulary)
    assistant.begin()
    question_ids = {question.id for question in script.questions}
    screens = [q.id for q in script.questions if q.id not in scenario.answers]
    result = ConversationResult(None)
    last = ""
    for _ in range(max_turns):
        state = assistant.conversation.state
        if assistant.done:
            break
        if state == CONFIRMING:  # "I heard no. Is that right?": right when "no" was meant
            text = "yes" if last in (*scenario.screens, "no") else "no"
        elif state in question_ids:
            screens_asked = screens.index(state) if state in screens else 0
            text = scenario.answer(state, screens_asked)
        else:
            break
        last = text
        before = len(sink.records)
        assistant.handle(AudioClip(synth_pcm(text, voice, rate), text))
        if any("didn't catch" in r.say for r in sink.records[before:]):
            if not retry:
                break  # answering once: not understood is a failed conversation
            result.retries += 1
            slower = synth_pcm(text, voice, rate - REPEAT_SLOWER_BY)
            before = len(sink.records)
            assistant.handle(AudioClip(slower, text))
            if any("didn't catch" in r.say for r in sink.records[before:]):
                break
    assistant.handle(InputClosed())
    recommendations = [r.recommendation for r in sink.records if r.recommendation]
    if recommendations:
        first = recommendations[0]
        result.recommendation = (first["kind"], first["urgency"])
    result.heard = [r.heard for r in sink.records if r.heard is not None]
    result.said = [r.say for r in sink.records]
    return result
