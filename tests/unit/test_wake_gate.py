"""The cheap first pass of always-on mode: only wake-phrase-sized utterances are decoded."""

from __future__ import annotations

from dataclasses import dataclass

from support import FakeRecognizer

from voice_assistant.events import Transcript, Vocabulary
from voice_assistant.runtime.wake import GatedRecognizer, WakeGate

WAKE = Vocabulary(("okay heat or ice",))


def seconds(value: float) -> bytes:
    return b"\0\0" * int(16_000 * value)


def test_gate_bounds_follow_the_phrase_length() -> None:
    gate = WakeGate.for_phrase("okay heat or ice")
    assert gate.could_be(seconds(0.8))
    assert gate.could_be(seconds(3.5))  # a slow, tired speaker
    assert not gate.could_be(seconds(0.1))  # a click or a cough
    assert not gate.could_be(seconds(6.0))  # a sentence someone nearby is saying
    longer = WakeGate.for_phrase("hey heat or ice assistant please")
    assert longer.max_seconds > gate.max_seconds


def test_long_utterances_never_reach_the_recogniser_while_idle() -> None:
    inner = FakeRecognizer("okay heat or ice")
    gated = GatedRecognizer(inner, WakeGate.for_phrase("okay heat or ice"), WAKE)
    assert gated.recognize(seconds(7.0), WAKE).text == ""
    assert inner.heard == []
    assert gated.skipped == 1
    assert gated.recognize(seconds(1.2), WAKE).text == "okay heat or ice"
    assert len(inner.heard) == 1


def test_the_gate_does_not_touch_a_conversation() -> None:
    inner = FakeRecognizer("no but i have wet the bed")
    gated = GatedRecognizer(inner, WakeGate.for_phrase("okay heat or ice"), WAKE)
    question = Vocabulary(("yes", "no", "not sure"))
    assert gated.recognize(seconds(7.0), question).text == "no but i have wet the bed"
    assert gated.name == "fake"


@dataclass(frozen=True)
class Heard:
    text: str
    hypothesis: str
    confidence: float = 0.9


class FakeFirstPass:
    """A first pass that "heard" a fixed hypothesis (accepted when it is the phrase)."""

    name = "pocketsphinx"

    def __init__(self, hypothesis: str) -> None:
        self.hypothesis = hypothesis
        self.calls = 0

    def decide(self, audio: bytes, vocabulary: Vocabulary) -> Heard:
        self.calls += 1
        accepted = self.hypothesis in vocabulary.phrases
        return Heard(self.hypothesis if accepted else "", self.hypothesis)

    def transcript(self, decision: Heard) -> Transcript:
        return Transcript(decision.text, decision.confidence, "audio", decision.confidence >= 0.75)


def test_the_small_engine_listens_first_and_whisper_only_for_a_near_miss() -> None:
    gate = WakeGate.for_phrase("okay heat or ice")
    inner = FakeRecognizer("okay heat or ice")
    inner.name = "whisper"
    first = FakeFirstPass("okay heat or ice")
    gated = GatedRecognizer(inner, gate, WAKE, first_pass=first)
    assert gated.recognize(seconds(1.2), WAKE).text == "okay heat or ice"
    assert (first.calls, len(inner.heard)) == (1, 0)  # the cheap pass was enough
    first.hypothesis = "okay heat all rights"  # how it hears some accents: a near miss
    assert gated.recognize(seconds(1.2), WAKE).text == "okay heat or ice"
    assert (first.calls, len(inner.heard)) == (2, 1)  # Whisper decided
    first.hypothesis = "what time is it"  # talk nearby: nothing like the wake phrase
    assert gated.recognize(seconds(1.2), WAKE).text == ""
    assert (first.calls, len(inner.heard)) == (3, 1)  # never reached Whisper
    gated.recognize(seconds(1.0), Vocabulary(("yes", "no")))
    assert (first.calls, len(inner.heard)) == (3, 2)  # a conversation: Whisper only


def test_always_on_says_it_is_ready_and_acknowledges_with_the_listening_chime() -> None:
    import queue

    from voice_assistant.clock import FakeClock
    from voice_assistant.events import InputClosed
    from voice_assistant.runtime.output import JsonSink
    from voice_assistant.runtime.wake import WakeLoop
    from voice_assistant.speech.speakers import RecordingSpeaker

    speaker = RecordingSpeaker()
    texts = {
        "wake_heard": "I'm listening.",
        "wake_idle": "Waiting for {phrase}.",
        "wake_ready": "I'm ready. Say {phrase}.",
    }

    class Quiet:
        input_ended = True
        shutdown = False

        def vocabulary(self) -> Vocabulary:
            return Vocabulary(("yes",))

        def run(self, inbox: object) -> None:
            return None

    loop = WakeLoop("okay heat or ice", Quiet, speaker, JsonSink(), FakeClock(), texts)  # type: ignore[arg-type]  # a stand-in with the Assistant's few members
    inbox: queue.Queue[object] = queue.Queue()
    inbox.put(Transcript("okay heat or ice", 0.9, "audio"))
    inbox.put(InputClosed())
    assert loop.run(inbox) == 0
    assert speaker.spoken[:2] == ["I'm ready. Say okay heat or ice.", "I'm listening."]
    assert speaker.chime_kinds == ["listening"]  # never the time's-up bell
