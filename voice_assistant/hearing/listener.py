"""From audio to transcripts: the microphone thread and scripted WAV answers.

Both cut the audio into utterances with the segmenter and recognise each one
against the vocabulary of the assistant's *current* state, so a question only
ever hears its own answers plus the global commands.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from voice_assistant.errors import AssistantError
from voice_assistant.events import (
    AudioClip,
    DeviceProblem,
    InputClosed,
    Scheduled,
    Silence,
    Transcript,
    Vocabulary,
)
from voice_assistant.hearing.endpointing import (
    NoSpeech,
    PauseLook,
    Segmenter,
    SpeechPaused,
    Utterance,
)
from voice_assistant.hearing.timing_marks import looks_like_number, parse_at_seconds
from voice_assistant.ports import AudioSource, Recognizer

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# Silence added around a scripted clip so the segmenter sees a start and an end.
CLIP_PADDING_S = 0.6


def transcribe_clip(
    pcm: bytes, recognizer: Recognizer, vocabulary: Vocabulary, segmenter: Segmenter | None = None
) -> Transcript | Silence:
    """Recognise one recorded answer as if it had been spoken into the microphone."""
    segmenter = segmenter or Segmenter(SAMPLE_RATE)
    pad = b"\x00\x00" * int(SAMPLE_RATE * CLIP_PADDING_S)
    events = segmenter.feed(pad + pcm + pad) + segmenter.flush()
    utterances = [event for event in events if isinstance(event, Utterance)]
    if not utterances:
        return Silence()
    # A clip holds one answer: decode it whole, from the first start to the last end,
    # with a little margin, so a short word is never clipped by the segmenter.
    start = max(0, int((utterances[0].start_s - CLIP_PADDING_S - 0.3) * SAMPLE_RATE) * 2)
    end = int((utterances[-1].end_s - CLIP_PADDING_S + 0.3) * SAMPLE_RATE) * 2
    return recognizer.recognize(pcm[start : max(end, start + 2)], vocabulary)


@runtime_checkable
class DecidesAhead(Protocol):
    """A recogniser that says when a decode ahead of the first look is worth its cost."""

    def decodes_ahead(self, vocabulary: Vocabulary) -> bool: ...


def parse_clip_argument(argument: str) -> tuple[Path, float | None]:
    """``FILE.wav`` or ``FILE.wav@SECONDS`` (use it when the clock reaches SECONDS).

    Raises BadTimeMark for a number that is not a usable time ("a.wav@inf",
    "a.wav@-5"); text after "@" that is no number is part of the file name.
    """
    name, sep, when = argument.rpartition("@")
    if sep and name and looks_like_number(when):
        return Path(name), parse_at_seconds(when)
    return Path(argument), None


def scripted_clips(
    arguments: Sequence[str], read: Callable[[Path], bytes], inbox: queue.Queue[object]
) -> list[str]:
    """Queue every --audio-in file (then end of input); returns problems to report."""
    problems = []
    for argument in arguments:
        path, at = parse_clip_argument(argument)
        try:
            clip: object = AudioClip(read(path), str(path))
        except AssistantError as exc:
            problems.append(str(exc))
            continue
        inbox.put(clip if at is None else Scheduled(at=at, event=clip))
    inbox.put(InputClosed())
    return problems


class VoiceListener:
    """Reads the microphone on its own thread and posts what was said to the inbox.

    ``mute(True)`` while the assistant speaks: the microphone drops what it
    captures, and the segmenter forgets any half-heard utterance, so the
    assistant never hears itself.
    """

    def __init__(
        self,
        source: AudioSource,
        recognizer: Recognizer,
        vocabulary: Callable[[], Vocabulary],
        inbox: queue.Queue[object],
        segmenter: Segmenter | None = None,
        failure_message: Callable[[str], str] = str,
        on_fatal: Callable[[], None] = lambda: None,
    ) -> None:
        self.source = source
        self.recognizer = recognizer
        self.vocabulary = vocabulary
        self.inbox = inbox
        self.segmenter = segmenter or Segmenter(SAMPLE_RATE)
        self.failure_message = failure_message
        self.on_fatal = on_fatal
        # A decode made at a pause, kept in case the utterance ends there after all.
        self._early: tuple[Utterance, Vocabulary, Transcript] | None = None
        self._reset = threading.Event()
        self._muted = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voice-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.source.close()

    def mute(self, muted: bool) -> None:
        if muted:
            self._muted.set()
        else:
            self._muted.clear()
        self.source.mute(muted)
        self._reset.set()

    def _run(self) -> None:
        try:
            for block in self.source.blocks():
                if self._stop.is_set():
                    return
                if self._reset.is_set():
                    self._reset.clear()
                    self.segmenter.reset()
                if self._muted.is_set():
                    continue
                for event in self.segmenter.feed(block):
                    self._post(event)
        except Exception as exc:  # a device or engine failure must never kill the assistant
            if not isinstance(exc, AssistantError):
                log.exception("listener failed")
            if not self._stop.is_set():
                self.inbox.put(DeviceProblem(self.failure_message(str(exc)), fatal=True))
                self.on_fatal()

    def _post(self, event: object) -> None:
        if isinstance(event, NoSpeech):
            self.inbox.put(Silence())
        elif isinstance(event, SpeechPaused):
            self._early_look(event.utterance, event.look)
        elif isinstance(event, Utterance):
            self._deliver(event, self._transcribe(event))

    def _early_look(self, utterance: Utterance, look: PauseLook) -> None:
        """Decode during the pause; end the answer there when it can end at this look.

        The decode is made as soon as the audio has settled (``SETTLED``: the
        pause covers the tail handed to the recogniser), so it overlaps the rest
        of the pause. "yes" is then answered at ``COMPLETE`` (0.25 s of quiet).
        "no" and "i do" could still go on to "no idea" / "i do not": they end at
        ``OPEN`` (0.45 s), or at the full trailing silence when that look is off.
        Not understood ("") and a free sentence ("i can't feel" may go on to
        "... my legs") always wait for the end.
        """
        vocabulary = self.vocabulary()
        if look is PauseLook.SETTLED and not self._decodes_ahead(vocabulary):
            return
        transcript = self._decode(utterance, vocabulary)
        if look is PauseLook.SETTLED or transcript.text not in vocabulary.phrases:
            return  # not understood, or a free sentence: people pause inside those
        if look is PauseLook.COMPLETE and not vocabulary.is_complete(transcript.text):
            return
        ended = self.segmenter.end_now()
        if ended is None:
            return
        if ended != utterance:  # speech went on within the same block: decode it all
            transcript = self._decode(ended, vocabulary)
        self._deliver(ended, transcript)

    def _decodes_ahead(self, vocabulary: Vocabulary) -> bool:
        """Decode at the settled look? A pause of 0.15-0.25 s followed by more speech
        makes that decode a wasted one (+0.27 per answer on espeak sentences); while
        idle for the wake phrase, that would be paid on background talk, so the wake
        gate says no (``DecidesAhead``)."""
        recognizer = self.recognizer
        return not isinstance(recognizer, DecidesAhead) or recognizer.decodes_ahead(vocabulary)

    def _decode(self, utterance: Utterance, vocabulary: Vocabulary) -> Transcript:
        """Recognise ``utterance``, reusing the last decode when it is the same audio."""
        early = self._early
        if early is not None and early[0] == utterance and early[1] == vocabulary:
            return early[2]  # nothing new was said since that look: same audio, same answer
        transcript = self.recognizer.recognize(utterance.audio, vocabulary)
        self._early = (utterance, vocabulary, transcript)
        return transcript

    def _transcribe(self, utterance: Utterance) -> Transcript:
        return self._decode(utterance, self.vocabulary())

    def _deliver(self, utterance: Utterance, transcript: Transcript) -> None:
        self._early = None
        log.debug(
            "heard %r (%.2f), %.2f s of speech",
            transcript.text,
            transcript.confidence,
            utterance.end_s - utterance.start_s,
        )
        self.inbox.put(transcript)
