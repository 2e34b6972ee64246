"""Always-on mode: wait quietly for the wake phrase, talk, then wait again.

Idle listening is cheap: the segmenter's voice-activity check runs on every
frame, and the recogniser only runs on the rare utterance, against a
vocabulary of one phrase (anything else is rejected as out of vocabulary).
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable

from voice_assistant.assistant import Assistant
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
from voice_assistant.output import TurnRecord, TurnSink
from voice_assistant.ports import Clock, Speaker

log = logging.getLogger(__name__)


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
        self.phrase = " ".join(normalize(phrase))
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
        self._idle_vocabulary = Vocabulary((self.phrase,))

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
        self._idle()
        while True:
            event = inbox.get()
            if isinstance(event, Scheduled):
                event = event.event
            if isinstance(event, Shutdown | InputClosed):
                return 0
            if isinstance(event, DeviceProblem):
                self._say(event.message)
                continue
            if isinstance(event, AudioClip) and self.transcribe is not None:
                event = self.transcribe(event.pcm, self._idle_vocabulary)
            if not isinstance(event, Transcript) or not self.heard_wake_phrase(event):
                continue  # stay quiet: not for us
            self.conversations += 1
            assistant = self.make_assistant()
            self.set_vocabulary(assistant.vocabulary)
            self.speaker.chime()
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
