"""The microphone path under faults: a stalled or dead microphone is reported in words,
and a running session keeps announcing."""

from __future__ import annotations

import contextlib
import queue
import time
from typing import Any

from support import DIALOGS, SCREEN_CLEAR

from voice_assistant.adapters.audio.mic import MicrophoneSource, PcmInputStream
from voice_assistant.app import build_assistant
from voice_assistant.clock import FakeClock
from voice_assistant.dialog.script import DialogScript
from voice_assistant.events import DeviceProblem, Silence, Transcript, Vocabulary
from voice_assistant.hearing.listener import VoiceListener
from voice_assistant.runtime.output import MemorySink
from voice_assistant.session.journal.journal import Journal
from voice_assistant.session.journal.safe_journal import SafeJournal
from voice_assistant.session.plans import load_session_config
from voice_assistant.speech.speakers import RecordingSpeaker


class EchoRecognizer:
    """Stands in for the engine: says every utterance was 'yes'."""

    name = "echo"

    def __init__(self) -> None:
        self.calls = 0

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        self.calls += 1
        return Transcript("yes", 0.9, "audio")


def drain(inbox: queue.Queue[object], seconds: float) -> list[object]:
    events, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(queue.Empty):
            events.append(inbox.get(timeout=0.05))
    return events


def test_stalled_microphone_is_reported_and_gives_up_in_words() -> None:
    inbox: queue.Queue[object] = queue.Queue()
    problems: list[str] = []
    first = PcmInputStream.factory(b"\x00\x00" * 1600, after_end="stall")
    opened: list[int] = []

    def unplugged_after_first(**kwargs: Any) -> PcmInputStream:
        import sounddevice

        opened.append(1)
        if len(opened) > 1:
            raise sounddevice.PortAudioError("Error querying device -1")
        return first(**kwargs)

    mic = MicrophoneSource(
        stream_factory=unplugged_after_first,
        on_problem=problems.append,
        stall_timeout_s=0.2,
        backoff_s=(0.01,),
        max_reopens=2,
        poll_s=0.02,
    )
    mic.open()
    listener = VoiceListener(
        mic,
        EchoRecognizer(),
        lambda: Vocabulary(("yes",)),
        inbox,
        failure_message=lambda detail: f"The microphone stopped working: {detail}",
    )
    listener.start()
    events = drain(inbox, 3.0)
    fatal = [e for e in events if isinstance(e, DeviceProblem)]
    assert fatal and fatal[-1].fatal
    assert "microphone stopped working" in fatal[-1].message.lower()
    assert problems  # each stall was reported as it happened
    listener.stop()


def test_half_duplex_drops_audio_heard_while_speaking() -> None:
    inbox: queue.Queue[object] = queue.Queue()
    loud = (b"\x00\x40" * 160) * 100  # loud tone-like blocks
    mic = MicrophoneSource(
        stream_factory=PcmInputStream.factory(loud * 5, pace_s=0.0, after_end="silence"),
        holdoff_s=0.0,
    )
    mic.open()
    recognizer = EchoRecognizer()
    listener = VoiceListener(mic, recognizer, lambda: Vocabulary(("yes",)), inbox)
    listener.mute(True)
    listener.start()
    events = drain(inbox, 0.5)
    assert not [e for e in events if isinstance(e, Transcript)]
    assert recognizer.calls == 0
    listener.stop()


def test_session_keeps_announcing_through_a_device_problem(script: DialogScript) -> None:
    config = load_session_config(DIALOGS / "session.yaml")
    clock, sink = FakeClock(), MemorySink()
    journal = SafeJournal(Journal.in_memory(config), sink.notice, "{detail}")
    assistant = build_assistant(script, config, journal, RecordingSpeaker(), clock, sink)
    assistant.begin()
    for answer in [*SCREEN_CLEAR, "two days ago", "yes", "start"]:
        assistant.handle(Transcript(answer))
    clock.set(100)
    assistant.handle(DeviceProblem("The microphone stopped working.", fatal=True))
    assistant.handle(Silence())
    while clock.now() < 950 and not assistant.done:
        assistant.tick()
        clock.set(max(assistant.next_wake() or 950, clock.now() + 0.001))
    assistant.tick()
    kinds = [r.extra.get("event") for r in sink.records]
    assert "times_up" in kinds and "one_minute" in kinds
    assert "The microphone stopped working." in sink.notices
