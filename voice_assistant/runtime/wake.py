"""Always-on mode: wait quietly for the wake phrase, talk, then wait again.

Idle listening is cheap: the segmenter's voice-activity check runs on every
frame; an utterance far shorter or longer than the wake phrase is dropped
without decoding (``WakeGate``); the rest go to the small pocketsphinx engine,
and to Whisper only when that heard something close to the wake phrase, always
against a vocabulary of one phrase (anything else is rejected).
With people talking nearby most utterances are sentences, so most never cost
a decode.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from voice_assistant.dialog.matching import normalize
from voice_assistant.events import (
    AudioClip,
    DeviceProblem,
    InputClosed,
    Scheduled,
    Shutdown,
    Silence,
    Transcript,
    Vocabulary,
)
from voice_assistant.ports import Clock, Recognizer, Speaker
from voice_assistant.runtime.assistant import Assistant
from voice_assistant.runtime.output import TurnRecord, TurnSink
from voice_assistant.speech.recognizer_loader import prepare_vocabulary

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
BYTES_PER_SECOND = 2 * SAMPLE_RATE


@dataclass(frozen=True)
class WakeGate:
    """Could this utterance be the wake phrase at all, judging by its length alone?

    Speech runs at about 2-5 syllables a second; the bounds are generous at
    both ends (a slow, tired "okay... heat or ice" still passes).
    """

    min_seconds: float
    max_seconds: float

    @classmethod
    def for_phrase(cls, phrase: str) -> WakeGate:
        words = max(1, len(phrase.split()))
        return cls(min_seconds=0.3, max_seconds=1.0 + 0.7 * words)

    def could_be(self, audio: bytes) -> bool:
        seconds = len(audio) / BYTES_PER_SECOND
        return self.min_seconds <= seconds <= self.max_seconds


def wake_vocabulary(phrase: str) -> Vocabulary:
    """What is listened for while idle: the wake phrase alone, as the recogniser writes it."""
    return Vocabulary((" ".join(normalize(phrase)),))


class Explained(Protocol):
    """One decode, with what the engine thought it heard even when it rejected it."""

    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def hypothesis(self) -> str: ...


_Decided = TypeVar("_Decided", bound=Explained)


class FirstPass(Protocol[_Decided]):
    """A cheap engine that can say what it heard (pocketsphinx's ``decide``)."""

    @property
    def name(self) -> str: ...
    def decide(self, audio: bytes, vocabulary: Vocabulary) -> _Decided: ...
    def transcript(self, decision: _Decided) -> Transcript:
        """The decision for the dialog, with the engine's own confidence verdict."""


class GatedRecognizer:
    """The wake phrase's cheap passes before the recogniser proper.

    While idle (the vocabulary is the wake phrase alone), an utterance that
    fails the length gate costs nothing. One that passes goes to ``first_pass``
    (the small pocketsphinx engine): when it hears the wake phrase, that is
    enough; when what it heard shares no word with the wake phrase ("what time
    is it"), the utterance is dropped; only a near miss ("okay heat all
    rights", as it hears some accents) goes on to ``inner`` (Whisper) to
    decide. Every other vocabulary goes straight to ``inner``.
    """

    def __init__(
        self,
        inner: Recognizer,
        gate: WakeGate,
        wake_vocabulary: Vocabulary,
        first_pass: FirstPass[Any] | None = None,
    ) -> None:
        self.inner = inner
        self.gate = gate
        self.wake_vocabulary = wake_vocabulary
        self.first_pass = first_pass
        self.skipped = 0
        phrase_words = " ".join(wake_vocabulary.phrases).split()
        self._key_words = {word for word in phrase_words if len(word) > 2} or set(phrase_words)

    @property
    def name(self) -> str:
        return self.inner.name

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        if vocabulary != self.wake_vocabulary:
            return self.inner.recognize(audio, vocabulary)
        if not self.gate.could_be(audio):
            self.skipped += 1
            return Transcript("", 0.0, "audio")
        if self.first_pass is not None and self.first_pass.name != self.inner.name:
            heard = self.first_pass.decide(audio, vocabulary)
            if heard.text:
                return self.first_pass.transcript(heard)
            if not self._key_words & set(heard.hypothesis.split()):
                self.skipped += 1
                return Transcript("", 0.0, "audio")
        return self.inner.recognize(audio, vocabulary)

    def decodes_ahead(self, vocabulary: Vocabulary) -> bool:
        """Decode before the first look (``listener.DecidesAhead``)? Not for the wake phrase:
        background talk would cost a first-pass decode at every short pause."""
        return vocabulary != self.wake_vocabulary

    def prepare(self, vocabulary: Vocabulary) -> None:
        prepare_vocabulary(self.inner, vocabulary)
        if self.first_pass is not None and vocabulary == self.wake_vocabulary:
            prepare_vocabulary(cast(Recognizer, self.first_pass), vocabulary)


class WakeLoop:
    """Runs conversations one after another, each started by the wake phrase."""

    def __init__(
        self,
        phrase: str,
        make_assistant: Callable[[], Assistant],
        speaker: Speaker,
        sink: TurnSink,
        clock: Clock,
        texts: dict[str, str],
        set_vocabulary: Callable[[Callable[[], Vocabulary]], None] = lambda vocabulary: None,
        max_conversations: int | None = None,
        transcribe: Callable[[bytes, Vocabulary], Transcript | Silence] | None = None,
    ) -> None:
        self._idle_vocabulary = wake_vocabulary(phrase)
        self.phrase = self._idle_vocabulary.phrases[0]
        self.make_assistant = make_assistant
        self.speaker = speaker
        self.sink = sink
        self.clock = clock
        self.texts = texts
        self.set_vocabulary = set_vocabulary
        self.max_conversations = max_conversations
        self.transcribe = transcribe
        """Recognises scripted WAV answers (--audio-in): the first one should be the phrase."""
        self.conversations = 0

    @property
    def idle_vocabulary(self) -> Vocabulary:
        """What the recogniser listens for between conversations: the wake phrase alone."""
        return self._idle_vocabulary

    def heard_wake_phrase(self, transcript: Transcript) -> bool:
        words = " ".join(normalize(transcript.text))
        if transcript.source == "audio":
            return words == self.phrase
        return self.phrase in words

    def run(self, inbox: queue.Queue[object]) -> int:
        self._say(self.texts["wake_ready"].format(phrase=self.phrase))  # once, aloud
        self._idle()
        while True:
            event = inbox.get()
            if isinstance(event, Scheduled):
                event = event.event
            if isinstance(event, AudioClip) and self.transcribe is not None:
                event = self.transcribe(event.pcm, self._idle_vocabulary)
            match event:
                case Shutdown() | InputClosed():
                    return 0
                case DeviceProblem():
                    self._say(event.message)
                    continue
                case Transcript() if self.heard_wake_phrase(event):
                    pass
                case _:
                    continue  # stay quiet: not for us
            self.conversations += 1
            assistant = self.make_assistant()
            self.set_vocabulary(assistant.vocabulary)
            self.speaker.chime("listening")  # the time's-up bell means "take it off"
            self._say(self.texts["wake_heard"])
            assistant.run(inbox)
            if assistant.input_ended or assistant.shutdown:
                return 0
            if self.max_conversations and self.conversations >= self.max_conversations:
                return 0
            self._idle()

    def _idle(self) -> None:
        self.set_vocabulary(lambda: self._idle_vocabulary)
        self.sink.notice(self.texts["wake_idle"].format(phrase=self.phrase))

    def _say(self, text: str) -> None:
        self.sink.turn(TurnRecord(t=self.clock.now(), state="wake", say=text))
        self.speaker.say(text)
