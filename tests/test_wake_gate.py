"""The cheap first pass of always-on mode: only wake-phrase-sized utterances are decoded."""

from __future__ import annotations

from support import FakeRecognizer

from voice_assistant.events import Vocabulary
from voice_assistant.wake import GatedRecognizer, WakeGate

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


def test_the_small_engine_listens_first_and_whisper_only_when_it_hears_nothing() -> None:
    gate = WakeGate.for_phrase("okay heat or ice")
    first, inner = FakeRecognizer("okay heat or ice"), FakeRecognizer("okay heat or ice")
    inner.name = "whisper"
    gated = GatedRecognizer(inner, gate, WAKE, first_pass=first)
    assert gated.recognize(seconds(1.2), WAKE).text == "okay heat or ice"
    assert (len(first.heard), len(inner.heard)) == (1, 0)  # the cheap pass was enough
    first.answer = ""
    assert gated.recognize(seconds(1.2), WAKE).text == "okay heat or ice"
    assert (len(first.heard), len(inner.heard)) == (2, 1)  # then Whisper decides
    question = Vocabulary(("yes", "no"))
    gated.recognize(seconds(1.0), question)
    assert (len(first.heard), len(inner.heard)) == (2, 2)  # a conversation: Whisper only
