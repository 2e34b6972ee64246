"""The composition root: the one place that picks real adapters and wires the assistant.

``cli.py`` hands over a frozen ``Settings`` and ``RunOptions``; this module opens the
speaker, the data folder (``data_folder.py``), the recogniser (via ``engines``), the
input (microphone, typed lines or WAV clips) and the clock, and runs the assistant or
the always-on wake loop. The other subcommands live in ``voice_assistant/commands/``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import sys
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from voice_assistant import paths
from voice_assistant.clock import SystemClock
from voice_assistant.commands import EXIT_MISSING, EXIT_USAGE
from voice_assistant.dialog.conversation import Conversation, ConversationOptions
from voice_assistant.dialog.script import DialogScript, load_script
from voice_assistant.errors import AssistantError, RecognizerError
from voice_assistant.events import (
    DeviceProblem,
    InputClosed,
    Recommendation,
    Shutdown,
    Silence,
    Transcript,
    Vocabulary,
)
from voice_assistant.ports import Clock, Recognizer, Speaker
from voice_assistant.runtime.assistant import Assistant
from voice_assistant.runtime.data_folder import Teller, claim_data_folder, open_safe_journal
from voice_assistant.runtime.output import JsonSink, PlainSink, TurnRecord, TurnSink
from voice_assistant.runtime.trial import Trial
from voice_assistant.session.controller import SessionController
from voice_assistant.session.journal.safe_journal import SafeJournal
from voice_assistant.session.plans import SessionConfig, load_session_config
from voice_assistant.settings.config import Settings
from voice_assistant.speech import engines
from voice_assistant.speech.recognizer_loader import BackgroundRecognizer, prepare_vocabulary
from voice_assistant.speech.speakers import FallbackSpeaker, SilentSpeaker, TeeSpeaker

if TYPE_CHECKING:
    from voice_assistant.hearing.listener import VoiceListener

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """What the assistant run takes from the command line besides ``Settings``."""

    text: bool = False  # answers are typed lines on stdin
    json: bool = False  # one JSON object per turn instead of plain text
    audio_in: tuple[str, ...] = ()  # WAV clips (FILE or FILE@SECONDS) as the answers
    save_speech: Path | None = None  # also save every reply as a WAV here
    dialogs: Path | None = None  # dialog folder (None: the shipped dialogs/)
    trial: Trial | None = None  # a trial run (--try, a fast clock): told at start


def load_dialogs(directory: Path | None) -> DialogScript:
    return load_script(Path(directory or paths.dialogs_dir()))


def run_assistant(options: RunOptions, settings: Settings) -> int:
    sink: TurnSink = JsonSink() if options.json else PlainSink()
    try:
        return _run_assistant(options, settings, sink)
    finally:
        sink.close()  # what is still queued is printed, within a second


def _run_assistant(options: RunOptions, settings: Settings, sink: TurnSink) -> int:
    try:
        script = load_dialogs(options.dialogs)
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        print("The dialog files are broken, so I can't start.", file=sys.stderr)
        return EXIT_USAGE
    clock = SystemClock(settings.clock_speed)
    inbox: queue.Queue[object] = queue.Queue()
    try:
        session_config = load_session_config(
            Path(script.source or paths.dialogs_dir()) / "session.yaml"
        )
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    speaker = build_speaker(
        settings, options.save_speech, script, sink, session_config.texts.values()
    )
    lock = claim_data_folder(settings.data_dir, script, sink, speaker)
    if lock is None:
        return EXIT_MISSING
    tell = Teller(sink, speaker)
    if options.trial is not None:
        tell(*options.trial.notice())
    journal = open_safe_journal(settings.data_dir, session_config, script, sink, tell, lock)
    _install_signal_handlers(inbox, script.device_messages["ctrl_z_refused"])
    tell_interrupted(journal, speaker, clock, sink)
    transcribe = None
    listener: VoiceListener | None = None
    holder = _VocabularyHolder()
    if options.audio_in:
        recognizer: Recognizer = _loaded_recognizer(settings, tell)
        if settings.wake:
            recognizer = wake_recognizer(recognizer, settings.wake_phrase)
        transcribe = _clip_transcriber(recognizer)
        from voice_assistant.adapters.audio.wav import read_wav
        from voice_assistant.hearing.listener import scripted_clips

        for problem in scripted_clips(options.audio_in, read_wav, inbox):
            sink.notice(problem)
    elif options.text:
        _start_text_input(inbox, script)
    else:
        typing = _on_terminal() or not settings.wake
        listener = _start_microphone(settings, script, sink, speaker, holder.current, inbox, typing)
        tell.gate = listener
        if listener is None:
            if not typing:  # always-on under systemd: exit so Restart=on-failure tries again
                return EXIT_MISSING
            _start_text_input(inbox, script)

    def make_assistant() -> Assistant:
        assistant = build_assistant(script, session_config, journal, speaker, clock, sink)
        assistant.transcribe = transcribe
        assistant.gate = listener
        holder.source = assistant.vocabulary
        return assistant

    if settings.wake:
        from voice_assistant.runtime.wake import WakeLoop

        def set_vocabulary(source: Callable[[], Vocabulary]) -> None:
            holder.source = source

        keys = ("wake_heard", "wake_idle", "wake_ready")
        texts = {key: str(script.messages[key]) for key in keys}
        loop = WakeLoop(
            settings.wake_phrase,
            make_assistant,
            speaker,
            sink,
            clock,
            texts,
            set_vocabulary,
            transcribe=transcribe,
        )
        if listener is not None:
            listener.recognizer = wake_recognizer(listener.recognizer, settings.wake_phrase)
            # The wake phrase is compiled before waiting, not on the first utterance
            # (which would otherwise be answered later than the following ones).
            prepare_vocabulary(listener.recognizer, loop.idle_vocabulary)
        return loop.run(inbox)
    return make_assistant().run(inbox)


class _VocabularyHolder:
    """Lets the microphone thread follow whichever assistant (or wake loop) is current."""

    def __init__(self) -> None:
        self.source: Callable[[], Vocabulary] = lambda: Vocabulary(())

    def current(self) -> Vocabulary:
        return self.source()


def build_assistant(
    script: DialogScript,
    config: SessionConfig,
    journal: SafeJournal,
    speaker: Speaker,
    clock: Clock,
    sink: TurnSink,
) -> Assistant:
    """One conversation (and the session it may start), wired to the journal."""
    conversation_id = uuid.uuid4().hex

    def check_gap(recommendation: Recommendation) -> str | None:
        return journal.gap_check(recommendation.kind, clock.wall_time())

    options = ConversationOptions(
        plans=config.plan_steps(),
        check_minutes=config.minutes_refusal,
        check_gap=check_gap,
        today=lambda: datetime.fromtimestamp(clock.wall_time(), clock.zone()).date(),
    )
    conversation = Conversation(script, options)

    def session_factory(recommendation: Recommendation, minutes: float | None) -> SessionController:
        return SessionController(
            recommendation,
            minutes,
            script=script,
            config=config,
            journal=journal,
            clock=clock,
            conversation_id=conversation_id,
            notify=sink.notice,
        )

    def save_answers(finished: Conversation) -> None:
        answers = [(question, answer) for question, answer, _ in finished.answers]
        journal.record_answers(conversation_id, answers, clock.wall_time())

    return Assistant(
        conversation,
        speaker,
        clock,
        sink,
        session_factory=session_factory,
        on_answers=save_answers,
    )


def tell_interrupted(journal: SafeJournal, speaker: Speaker, clock: Clock, sink: TurnSink) -> None:
    """At start, in every mode (always-on too, before any wake phrase): say, printed and
    spoken, that the last session was interrupted, and only then mark it told, so a
    kill or power cut in between tells it again at the next start."""
    interrupted = journal.find_interrupted(clock.wall_time())
    if interrupted is None:
        return
    message = journal.interrupted_message(interrupted)
    sink.turn(TurnRecord(t=clock.now(), state="notice", say=message))
    try:
        speaker.say(message)
    except (AssistantError, OSError, RuntimeError) as exc:  # printed already
        log.warning("could not say %r: %s", message, exc)
    journal.mark_interrupted(interrupted.session_id, clock.wall_time())


def build_speaker(
    settings: Settings,
    save_dir: Path | None,
    script: DialogScript,
    sink: TurnSink,
    session_texts: Iterable[str] = (),
) -> Speaker:
    """The loudspeaker (unless muted), plus WAV files in ``save_dir`` (--save-speech).

    ``session_texts`` (the timer's sentence templates) are cached by the natural voice the
    first time they are said.
    """
    speakers: list[Speaker] = []
    fixed = None if settings.tts == engines.DEFAULT_SPEAKER else _template_matcher(session_texts)
    if not settings.mute:
        speakers.append(_loudspeaker(settings, script, sink, fixed))
    if save_dir is not None:
        from voice_assistant.adapters.audio.playback import NullPlayer
        from voice_assistant.speech.speaker_choice import open_speaker

        speakers.append(
            _guarded(
                open_speaker(
                    settings.tts,
                    settings,
                    notify=sink.notice,
                    notice=_natural_voice_notice(script),
                    player=NullPlayer(),
                    save_dir=Path(save_dir),
                    fixed=fixed,
                ),
                script,
                sink,
            )
        )
    if not speakers:
        return SilentSpeaker()
    return speakers[0] if len(speakers) == 1 else TeeSpeaker(speakers)


def _guarded(speaker: Speaker, script: DialogScript, sink: TurnSink) -> Speaker:
    template = script.device_messages["no_speaker"]
    return FallbackSpeaker(speaker, sink.notice, lambda detail: template.format(detail=detail))


def _natural_voice_notice(script: DialogScript) -> str:
    from voice_assistant.speech.speaker_choice import DEFAULT_NOTICE

    return script.device_messages.get("natural_voice_failed", DEFAULT_NOTICE)


def _template_matcher(templates: Iterable[str]) -> Callable[[str], bool]:
    from voice_assistant.adapters.piper.tts_piper import template_matcher

    return template_matcher(templates)


def _loudspeaker(
    settings: Settings,
    script: DialogScript,
    sink: TurnSink,
    fixed: Callable[[str], bool] | None = None,
) -> Speaker:
    template = script.device_messages["no_speaker"]
    try:
        from voice_assistant.speech.speaker_choice import open_speaker

        speaker = open_speaker(
            settings.tts,
            settings,
            notify=sink.notice,
            notice=_natural_voice_notice(script),
            fixed=fixed,
        )
    except AssistantError as exc:
        log.warning("no speech output: %s", exc)
        sink.notice(template.format(detail=str(exc)))
        return SilentSpeaker()
    return _guarded(speaker, script, sink)


def build_recognizer(settings: Settings, notice: Callable[[str], None]) -> BackgroundRecognizer:
    """The engine the settings ask for, opened in the background (see ``engines``).

    ``notice`` hears, once, about any fallback: a broken Whisper model, a vosk
    model that can't be used, an engine that failed to open.
    """
    context = engines.context_for(settings)
    return BackgroundRecognizer(lambda: engines.open_recognizer(context), notice)


def _loaded_recognizer(settings: Settings, tell: Teller) -> BackgroundRecognizer:
    """The recogniser for ``--audio-in``, loaded before any clip is queued.

    The clips and the end of input are queued at once, so a notice queued from the
    loading thread (a damaged Whisper model, pocketsphinx taking over) would come
    after the end and never be said: wait for the load and tell it now instead.
    """
    notices: list[str] = []
    recognizer = build_recognizer(settings, notices.append)
    with contextlib.suppress(RecognizerError):  # why is among the notices
        recognizer.wait()
    for notice in notices:
        tell(notice)
    return recognizer


def wake_recognizer(recognizer: Recognizer, phrase: str) -> Recognizer:
    """``recognizer`` behind the wake phrase's cheap passes (see ``wake.GatedRecognizer``)."""
    from voice_assistant.runtime.wake import GatedRecognizer, WakeGate, wake_vocabulary

    try:
        from voice_assistant.adapters.pocketsphinx.asr_pocketsphinx import PocketsphinxRecognizer

        first_pass: PocketsphinxRecognizer | None = PocketsphinxRecognizer()
    except (ImportError, AssistantError) as exc:  # then the recogniser proper decides alone
        log.warning("no cheap first pass for the wake phrase: %s", exc)
        first_pass = None
    vocabulary = wake_vocabulary(phrase)
    return GatedRecognizer(recognizer, WakeGate.for_phrase(phrase), vocabulary, first_pass)


def _clip_transcriber(
    recognizer: Recognizer,
) -> Callable[[bytes, Vocabulary], Transcript | Silence]:
    """Recognise scripted clips; with no working recogniser a clip is not understood.

    Why that recogniser is missing was already said once (the loader's notice).
    """
    from voice_assistant.hearing.listener import transcribe_clip

    def transcribe(pcm: bytes, vocabulary: Vocabulary) -> Transcript | Silence:
        try:
            return transcribe_clip(pcm, recognizer, vocabulary)
        except AssistantError as exc:
            log.warning("could not recognise a clip: %s", exc)
            return Transcript("", 0.0, "audio")

    return transcribe


def _start_microphone(
    settings: Settings,
    script: DialogScript,
    sink: TurnSink,
    speaker: Speaker,
    vocabulary: Callable[[], Vocabulary],
    inbox: queue.Queue[object],
    typing_fallback: bool = True,
) -> VoiceListener | None:
    """Open the microphone and start listening; None (after saying why) when there is none.

    ``typing_fallback`` False (always-on with nobody at a keyboard): the message says the
    assistant stops so its service manager can retry, instead of offering to type.
    """
    from voice_assistant.adapters.audio.mic import MicrophoneSource
    from voice_assistant.hearing.listener import VoiceListener

    template = script.device_messages["microphone_failed"]

    def problem(message: str) -> None:
        inbox.put(DeviceProblem(template.format(detail=message.rstrip("."))))

    def recovered(message: str) -> None:
        inbox.put(DeviceProblem(script.device_messages["microphone_back"]))

    try:
        recognizer = build_recognizer(settings, _inbox_notice(inbox))
        mic = MicrophoneSource(settings.input_device, on_problem=problem, on_recovered=recovered)
        mic.open()
    except AssistantError as exc:
        if not typing_fallback:
            message = script.device_messages["no_microphone_service"].format(detail=str(exc))
            log.warning("%s", message)  # the log file; stderr gets it once below
            sink.notice(message)
            return None
        message = script.device_messages["no_microphone"].format(detail=str(exc))
        sink.notice(message)
        speaker.say(message)
        return None
    listener = VoiceListener(
        mic,
        recognizer,
        vocabulary,
        inbox,
        failure_message=lambda detail: template.format(detail=detail.rstrip(".")),
        on_fatal=lambda: _start_text_input(inbox, script) if _on_terminal() else None,
    )
    listener.start()
    return listener


def _inbox_notice(inbox: queue.Queue[object]) -> Callable[[str], None]:
    """Notices from other threads reach the person through the loop (said and printed)."""
    return lambda message: inbox.put(DeviceProblem(message))


def _on_terminal() -> bool:
    """True when someone can type (stdin is a terminal), false under systemd or a pipe."""
    return bool(sys.stdin and not sys.stdin.closed and sys.stdin.isatty())


def _start_text_input(inbox: queue.Queue[object], script: DialogScript) -> None:
    from voice_assistant.adapters.text.console import ConsoleInput

    if sys.stdin is None or sys.stdin.closed:
        inbox.put(InputClosed())
        return

    def problem(key: str, values: dict[str, object]) -> None:
        inbox.put(DeviceProblem(script.device_messages[key].format(**values)))

    ConsoleInput(sys.stdin, inbox, on_problem=problem).start()


def _install_signal_handlers(inbox: queue.Queue[object], ctrl_z_refused: str) -> None:
    """Ctrl-C, SIGTERM, SIGHUP: say to take the pack off, then end. Ctrl-Z (SIGTSTP) is
    refused, said and printed: stopped, the timer could never say time's up, and a pack
    left on past its time harms more than a terminal that will not suspend."""

    def handler(signum: int, frame: FrameType | None) -> None:
        inbox.put(Shutdown(reason=signal.Signals(signum).name))

    def refuse(signum: int, frame: FrameType | None) -> None:
        inbox.put(DeviceProblem(ctrl_z_refused))

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: terminal closed
        signal.signal(sig, handler)
    if hasattr(signal, "SIGTSTP"):
        signal.signal(signal.SIGTSTP, refuse)
