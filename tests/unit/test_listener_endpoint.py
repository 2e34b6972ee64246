"""Answering sooner: decode as the pause settles, end a complete answer at the first
look, one that could still go on at the open look, "not understood" only at the end.

The listener runs on a scripted stream (no threads, no device) with a stand-in
recogniser, so the tests see exactly how much audio had been read when each
decode was made and when the answer was delivered. Real speech and the real
recogniser: tests/audio/test_listener_pauses.py.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator

import numpy as np
import pytest

from voice_assistant.events import Transcript, Vocabulary
from voice_assistant.hearing.endpointing import Segmenter
from voice_assistant.hearing.listener import VoiceListener

SR = 16000
BLOCK = 480  # samples, like the microphone's 30 ms blocks


def always_voice() -> tuple[object, int]:
    return (lambda frame: True), 320


def tone(seconds: float, level: float = 6000.0) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def quiet(seconds: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 30, round(seconds * SR)).astype(np.int16)


class ScriptedSource:
    """Yields the signal block by block and notes how far it got when the inbox filled."""

    sample_rate = SR

    def __init__(self, signal: np.ndarray, inbox: queue.Queue[object]) -> None:
        self.data = signal.astype("<i2").tobytes()
        self.inbox = inbox
        self.delivered_at_s: float | None = None
        self.position_s = 0.0  # stream read so far

    def blocks(self) -> Iterator[bytes]:
        for offset in range(0, len(self.data), BLOCK * 2):
            if self.delivered_at_s is None and not self.inbox.empty():
                self.delivered_at_s = offset / 2 / SR
            self.position_s = (offset + BLOCK * 2) / 2 / SR
            yield self.data[offset : offset + BLOCK * 2]

    def mute(self, muted: bool) -> None:
        pass

    def close(self) -> None:
        pass


class FixedRecognizer:
    """Hears ``text`` in any audio; counts its decodes."""

    name = "fixed"

    def __init__(self, text: str, source: ScriptedSource | None = None) -> None:
        self.text = text
        self.source = source
        self.calls = 0
        self.seconds: list[float] = []  # length of each decoded clip
        self.at_s: list[float] = []  # stream read when each decode was made

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        self.calls += 1
        self.seconds.append(len(audio) / 2 / SR)
        self.at_s.append(self.source.position_s if self.source else 0.0)
        return Transcript(self.text, 0.9, "audio")


YES_NO = Vocabulary(
    ("yes", "yes please", "i do", "i do not", "no", "no idea"),
    meanings={
        "yes": "yes",
        "yes please": "yes",
        "i do": "yes",
        "i do not": "no",
        "no": "no",
        "no idea": "unsure",
    },
)


def listen(
    text: str, signal: np.ndarray, **segmenter: float | None
) -> tuple[list[object], float, FixedRecognizer]:
    inbox: queue.Queue[object] = queue.Queue()
    source = ScriptedSource(signal, inbox)
    recognizer = FixedRecognizer(text, source)
    listener = VoiceListener(
        source,
        recognizer,
        lambda: YES_NO,
        inbox,
        segmenter=Segmenter(SR, classifier=always_voice(), **segmenter),  # type: ignore[arg-type]  # each test passes the Segmenter settings it varies
    )
    listener._run()  # the thread's body, run here: deterministic
    events = []
    while not inbox.empty():
        events.append(inbox.get())
    assert source.delivered_at_s is not None, events
    return events, source.delivered_at_s, recognizer


SPEECH_END_S = 1.5 - 1e-9  # (stream positions are sums of block lengths: float rounding)
SIGNAL = np.concatenate([quiet(1.0), tone(0.5), quiet(2.0, seed=1)])


def test_a_complete_answer_is_decoded_as_the_pause_settles_and_taken_at_the_first_look() -> None:
    events, at, recognizer = listen("yes", SIGNAL)
    assert events == [Transcript("yes", 0.9, "audio")]
    assert 0.24 <= at - SPEECH_END_S < 0.4  # the first look, not the 0.7 s trailing silence
    assert recognizer.calls == 1
    # Decoded once the quiet covered the 0.15 s tail, before the first look.
    (decoded_at,) = recognizer.at_s
    assert 0.15 <= decoded_at - SPEECH_END_S < 0.24


def test_without_the_settled_look_the_decode_waits_for_the_first_look() -> None:
    events, _, recognizer = listen("yes", SIGNAL, settled_look=False)
    assert events == [Transcript("yes", 0.9, "audio")]
    assert recognizer.at_s[0] - SPEECH_END_S >= 0.24


@pytest.mark.parametrize("heard", ["i do", "no"])
def test_an_answer_that_may_go_on_to_mean_something_else_waits_for_the_open_look(
    heard: str,
) -> None:
    # "i do" may become "i do not"; "no" may become "no idea": not at the first look.
    events, at, recognizer = listen(heard, SIGNAL)
    assert events == [Transcript(heard, 0.9, "audio")]
    assert 0.45 <= at - SPEECH_END_S < 0.7
    assert recognizer.calls == 1  # the decode made as the pause settled was reused


@pytest.mark.parametrize("heard", ["i do", "no"])
def test_with_the_open_look_off_such_an_answer_waits_for_the_end(heard: str) -> None:
    events, at, recognizer = listen(heard, SIGNAL, open_silence_s=None)
    assert events == [Transcript(heard, 0.9, "audio")]
    assert at - SPEECH_END_S >= 0.7
    assert recognizer.calls == 1


def test_not_understood_waits_for_the_end() -> None:
    # "" may be the start of something ("um ... no"): never cut it at a look.
    events, at, recognizer = listen("", SIGNAL)
    assert events == [Transcript("", 0.9, "audio")]
    assert at - SPEECH_END_S >= 0.7
    assert recognizer.calls == 1


def test_a_free_sentence_waits_for_the_end() -> None:
    # "i can't feel" may go on to "... my legs": a sentence is never cut at a look.
    events, at, recognizer = listen("i can't feel my legs", SIGNAL)
    assert events == [Transcript("i can't feel my legs", 0.9, "audio")]
    assert at - SPEECH_END_S >= 0.7
    assert recognizer.calls == 1


def test_speech_resuming_after_the_settled_look_is_decoded_again() -> None:
    # 0.18 s of quiet: the audio settled (decode) but speech came back before the first look.
    signal = np.concatenate([quiet(1.0), tone(0.4), quiet(0.18, seed=2), tone(0.4), quiet(2.0)])
    events, at, recognizer = listen("yes", signal)
    assert events == [Transcript("yes", 0.9, "audio")]
    assert recognizer.calls == 2
    assert recognizer.seconds[0] < 0.9 < 1.1 < recognizer.seconds[1]  # then the whole answer
    assert 0.24 <= at - (1.98 - 1e-9) < 0.4


def test_speech_after_a_pause_is_decoded_again_as_one_answer() -> None:
    signal = np.concatenate([quiet(1.0), tone(0.4), quiet(0.4, seed=2), tone(0.4), quiet(2.0)])
    events, _, recognizer = listen("i do", signal)
    assert events == [Transcript("i do", 0.9, "audio")]
    # A decode in each pause (0.4 s: "i do" is not taken before the 0.45 s open look);
    # the second one holds the whole answer and is the one used.
    assert recognizer.calls == 2
    assert recognizer.seconds[0] < 0.9 < 1.2 < recognizer.seconds[1]


def test_early_look_can_be_turned_off() -> None:
    events, at, _ = listen("yes", SIGNAL, early_silence_s=None)
    assert events == [Transcript("yes", 0.9, "audio")]
    assert at - SPEECH_END_S >= 0.7


def test_vocabulary_completeness_follows_meaning() -> None:
    assert YES_NO.is_complete("yes")  # "yes please" means the same
    assert not YES_NO.is_complete("i do")
    assert not YES_NO.is_complete("no")
    assert YES_NO.is_complete("no idea")
    bare = Vocabulary(("yes", "yes please"))  # no meanings known: be careful
    assert not bare.is_complete("yes")
    assert bare.is_complete("yes please")


def test_the_dialogs_vocabularies_carry_meanings() -> None:
    from support import DIALOGS

    from voice_assistant.dialog.conversation import Conversation
    from voice_assistant.dialog.script import load_script

    conversation = Conversation(load_script(DIALOGS))
    conversation.start()
    vocabulary = conversation.vocabulary()  # the first red-flag question
    assert vocabulary.meanings["nope"] == vocabulary.meanings["no"] == "value:false"
    # At a danger screen "not sure" counts as "yes": the recogniser need not
    # tell them apart, but "no" stays apart from both.
    assert vocabulary.meanings["not sure"] == vocabulary.meanings["yes"] == "value:true"
    assert vocabulary.meanings["help"] == "command:help"
    assert vocabulary.is_complete("yes")
    assert vocabulary.is_complete("not sure")
    assert not vocabulary.is_complete("i do")  # "i do not"
    assert not vocabulary.is_complete("it is")  # "it is not"


WAKE = Vocabulary(("okay heat or ice",))


@pytest.mark.parametrize(("vocabulary", "earliest_s"), [(WAKE, 0.24), (YES_NO, 0.15)])
def test_no_decode_ahead_while_idle_for_the_wake_phrase(
    vocabulary: Vocabulary, earliest_s: float
) -> None:
    # Background talk must not cost more while idle: the wake gate declines the settled
    # look, so decodes are made at the first look as before; a question still decodes ahead.
    from voice_assistant.runtime.wake import GatedRecognizer, WakeGate

    inbox: queue.Queue[object] = queue.Queue()
    source = ScriptedSource(SIGNAL, inbox)
    inner = FixedRecognizer("okay heat or ice", source)
    gated = GatedRecognizer(inner, WakeGate.for_phrase("okay heat or ice"), WAKE)
    segmenter = Segmenter(SR, classifier=always_voice())  # type: ignore[arg-type]  # a stand-in VAD
    VoiceListener(source, gated, lambda: vocabulary, inbox, segmenter)._run()
    assert inner.calls == 1
    assert earliest_s <= inner.at_s[0] - SPEECH_END_S < earliest_s + 0.09
