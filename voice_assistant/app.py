"""The one place that picks real adapters and wires the assistant together."""

from __future__ import annotations

import argparse
import logging
import os
import queue
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from voice_assistant import engines, paths
from voice_assistant.assistant import Assistant
from voice_assistant.clock import MonotonicClock
from voice_assistant.config import Settings, choose_config_path, load_settings, merge_overrides
from voice_assistant.dialog.conversation import Conversation, ConversationOptions
from voice_assistant.dialog.script import DialogScript, load_script
from voice_assistant.engines import EngineContext
from voice_assistant.errors import AssistantError, ConfigError
from voice_assistant.events import (
    DeviceProblem,
    InputClosed,
    Recommendation,
    Shutdown,
    Silence,
    Transcript,
    Vocabulary,
)
from voice_assistant.lock import AlreadyRunning, DataFolderLock
from voice_assistant.output import JsonSink, PlainSink, TurnSink
from voice_assistant.ports import Clock, Recognizer, Speaker
from voice_assistant.recognizer_loader import BackgroundRecognizer, prepare_vocabulary
from voice_assistant.session.boot_clock import boot_time
from voice_assistant.session.controller import SessionController
from voice_assistant.session.journal import Journal, open_journal, open_journal_readonly
from voice_assistant.session.numbers import spoken_clock_time
from voice_assistant.session.plans import SessionConfig, load_session_config
from voice_assistant.session.safe_journal import SafeJournal
from voice_assistant.speakers import FallbackSpeaker, SilentSpeaker, TeeSpeaker

if TYPE_CHECKING:
    from voice_assistant.listener import VoiceListener

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_MISSING = 1
EXIT_USAGE = 2


def dispatch(args: argparse.Namespace) -> int:
    """Run the command the user asked for; turn expected failures into words."""
    try:
        if args.command == "devices":
            return _devices()
        if args.command == "recognize":
            return _recognize(args)
        if args.command == "models":
            return _models(args)
        settings = build_settings(args, report=args.command != "doctor")
        _log_to_file(settings.data_dir, settings.log_level)
        log.info("started: %s", args.command or "assistant")
        log.debug("settings: %s", settings)
        if args.command == "history":
            return _history(settings, args.limit)
        if args.command == "doctor":
            return _doctor(settings, args)
        return run_assistant(args, settings)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_MISSING


LOG_FILE = "heat-or-ice.log"


def _log_to_file(data_dir: Path, level_name: str = "INFO") -> None:
    """Keep a small, private log in the data folder, as detailed as ``[debug] log_level`` asks.

    Silently skipped when it can't be written. The terminal keeps its own threshold
    (errors only, or everything with --verbose).
    """
    from voice_assistant.privacy import PrivateRotatingFileHandler, private_folder

    level = logging.getLevelName(level_name.upper())
    if not isinstance(level, int):
        level = logging.INFO
    try:
        private_folder(data_dir)
        handler = PrivateRotatingFileHandler(
            data_dir / LOG_FILE, maxBytes=1_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:
        return
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("transitions").setLevel(max(level, logging.WARNING))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > level:
        for existing in root.handlers:
            if existing is not handler and existing.level == logging.NOTSET:
                existing.setLevel(root.level)
        root.setLevel(level)


def build_settings(args: argparse.Namespace, *, report: bool = True) -> Settings:
    """Settings file first, then the flags the user typed."""
    path, explicit = choose_config_path(getattr(args, "config", None))
    result = load_settings(path, explicit=explicit)
    if report:
        for problem in result.problems:
            print(problem, file=sys.stderr)
    overrides: dict[str, Any] = {
        "tts": getattr(args, "tts", None),
        "voice": getattr(args, "voice", None),
        "rate": getattr(args, "rate", None),
        "volume": getattr(args, "volume", None),
        "input_device": getattr(args, "device", None),
        "output_device": getattr(args, "output_device", None),
        "engine": getattr(args, "engine", None),
        "vosk_model": getattr(args, "vosk_model", None),
        "wake": getattr(args, "wake", None),
        "wake_phrase": getattr(args, "wake_phrase", None),
        "data_dir": getattr(args, "data_dir", None),
        "clock_speed": getattr(args, "clock_speed", None),
        "mute": True if getattr(args, "mute", False) else None,
        "log_level": "DEBUG" if getattr(args, "verbose", False) else None,
    }
    return merge_overrides(result.settings, overrides, option_names={"input_device": "--device"})


def load_dialogs(args: argparse.Namespace) -> DialogScript:
    directory = getattr(args, "dialogs", None) or paths.dialogs_dir()
    return load_script(Path(directory))


def run_assistant(args: argparse.Namespace, settings: Settings) -> int:
    try:
        script = load_dialogs(args)
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        print("The dialog files are broken, so I can't start.", file=sys.stderr)
        return EXIT_USAGE
    sink: TurnSink = JsonSink() if args.json else PlainSink()
    clock = MonotonicClock(settings.clock_speed)
    inbox: queue.Queue[object] = queue.Queue()
    try:
        session_config = load_session_config(
            Path(script.source or paths.dialogs_dir()) / "session.yaml"
        )
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    speaker = build_speaker(settings, args, script, sink, session_config.texts.values())
    lock = _claim_data_folder(settings.data_dir, script, sink, speaker)
    if lock is None:
        return EXIT_MISSING
    tell = Teller(sink, speaker)
    journal = open_safe_journal(settings.data_dir, session_config, script, sink, tell, lock)
    _install_signal_handlers(inbox)
    transcribe = None
    listener: VoiceListener | None = None
    holder = _VocabularyHolder()
    if args.audio_in:
        transcribe = _clip_transcriber(build_recognizer(settings, _inbox_notice(inbox)))
        from voice_assistant.adapters.wav import read_wav
        from voice_assistant.listener import scripted_clips

        for problem in scripted_clips(args.audio_in, read_wav, inbox):
            sink.notice(problem)
    elif args.text:
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
        from voice_assistant.wake import WakeLoop

        def set_vocabulary(source: Callable[[], Vocabulary]) -> None:
            holder.source = source

        texts = {key: str(script.messages[key]) for key in ("wake_heard", "wake_idle")}
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
            from voice_assistant.wake import GatedRecognizer, WakeGate

            listener.recognizer = GatedRecognizer(
                listener.recognizer, WakeGate.for_phrase(loop.phrase), loop.idle_vocabulary
            )
            # The wake phrase is compiled before waiting, not on the first utterance
            # (which would otherwise be answered later than the following ones).
            prepare_vocabulary(listener.recognizer, loop.idle_vocabulary)
        return loop.run(inbox)
    return make_assistant().run(inbox)


def _claim_data_folder(
    data_dir: Path, script: DialogScript, sink: TurnSink, speaker: Speaker
) -> DataFolderLock | None:
    """Lock the data folder; None after saying (printed and spoken) that another copy has it.

    Nothing in the journal is touched before this, so a second start never marks
    the first one's live session as interrupted.
    """
    lock = DataFolderLock(data_dir)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        if exc.pid is None:
            message = script.device_messages["already_running_unknown"]
        else:
            message = script.device_messages["already_running"].format(pid=exc.pid)
        sink.notice(message)
        speaker.say(message)
        return None
    return lock


class _VocabularyHolder:
    """Lets the microphone thread follow whichever assistant (or wake loop) is current."""

    def __init__(self) -> None:
        self.source: Callable[[], Vocabulary] = lambda: Vocabulary(())

    def current(self) -> Vocabulary:
        return self.source()


class Teller:
    """Says a message about the product itself: printed (stderr) and spoken, with the
    microphone muted meanwhile. For problems the user must hear, not only read."""

    def __init__(self, sink: TurnSink, speaker: Speaker) -> None:
        self.sink = sink
        self.speaker = speaker
        self.gate: VoiceListener | None = None

    def __call__(self, text: str, spoken: str | None = None) -> None:
        """Print ``text``; speak ``spoken`` (a version without file paths) or ``text``."""
        self.sink.notice(text)
        gate = self.gate
        if gate is not None:
            gate.mute(True)
        try:
            self.speaker.say(spoken or text)
        except (AssistantError, OSError, RuntimeError) as exc:  # printed already
            log.warning("could not say %r: %s", text, exc)
        finally:
            if gate is not None:
                gate.mute(False)


def open_safe_journal(
    data_dir: Path,
    config: SessionConfig,
    script: DialogScript,
    sink: TurnSink,
    tell: Teller | None = None,
    lock: DataFolderLock | None = None,
) -> SafeJournal:
    """The journal in the data folder; in memory (said once) when that is impossible.

    Problems are said with ``tell`` (printed in full, spoken in short; printed only
    by default).
    With the data folder's ``lock``, what a full disk kept out of the journal last
    time is put back first, and kept in the lock's note if it happens this time.
    """
    messages = script.device_messages

    def say(text: str, spoken_key: str | None = None) -> None:
        if tell is None:
            sink.notice(text)
        else:
            tell(text, messages[spoken_key] if spoken_key else None)

    try:
        journal = open_journal(data_dir, config, boot=boot_time)
    except AssistantError as exc:
        detail = str(exc).rstrip(".")
        say(messages["journal_unavailable"].format(detail=detail), "journal_unavailable_spoken")
        journal = Journal.in_memory(config)
    for warning in journal.warnings:
        say(messages["journal_damaged"].format(detail=warning), "journal_damaged_spoken")
    note = None
    if lock is not None and lock.held:
        if journal.path is not None and lock.previous.get("unsaved"):
            _restore_unsaved(journal, lock, config, messages, say)

        def note(unsaved: dict[str, Any] | None) -> bool:
            return lock.note(unsaved=unsaved)

    return SafeJournal(
        journal, lambda text: say(text, "journal_failed_spoken"), messages["journal_failed"], note
    )


def _restore_unsaved(
    journal: Journal,
    lock: DataFolderLock,
    config: SessionConfig,
    messages: Mapping[str, str],
    say: Callable[[str], None],
) -> None:
    """The last run's disk filled up: record what it knew, and say so honestly."""
    try:
        restored = journal.restore_unsaved(lock.previous["unsaved"])
    except AssistantError as exc:
        log.warning("could not restore the unsaved session: %s", exc)
        return  # the note stays for the next start
    lock.note(unsaved=None)
    session = config.session_name(restored.kind)
    if restored.ended_how is None:
        say(messages["journal_lost_end"].format(session=session))
        return
    ended = spoken_clock_time(restored.last_seen, reference=time.time())
    say(messages["journal_restored_end"].format(session=session, time=ended))


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
        today=lambda: datetime.fromtimestamp(clock.wall_time()).date(),
    )
    conversation = Conversation(script, options)

    def session_factory(recommendation: Recommendation, minutes: float | None) -> SessionController:
        return SessionController(
            recommendation,
            minutes,
            script=script,
            config=config,
            journal=journal,  # type: ignore[arg-type]
            clock=clock,
            conversation_id=conversation_id,
            notify=sink.notice,
        )

    def save_answers(finished: Conversation) -> None:
        answers = [(question, answer) for question, answer, _ in finished.answers]
        journal.record_answers(conversation_id, answers, clock.wall_time())

    preamble = []
    interrupted = journal.find_interrupted(clock.wall_time())
    if interrupted is not None:
        preamble.append(journal.interrupted_message(interrupted))
        journal.mark_interrupted(interrupted.session_id, clock.wall_time())
    return Assistant(
        conversation,
        speaker,
        clock,
        sink,
        session_factory=session_factory,
        on_answers=save_answers,
        preamble=preamble,
    )


def build_speaker(
    settings: Settings,
    args: argparse.Namespace,
    script: DialogScript,
    sink: TurnSink,
    session_texts: Iterable[str] = (),
) -> Speaker:
    """The loudspeaker (unless muted), plus WAV files with --save-speech.

    ``session_texts`` (the timer's sentence templates) are cached by the natural voice the
    first time they are said.
    """
    speakers: list[Speaker] = []
    fixed = _template_matcher(session_texts) if settings.tts == "piper" else None
    if not settings.mute:
        speakers.append(_loudspeaker(settings, script, sink, fixed))
    save_dir = getattr(args, "save_speech", None)
    if save_dir is not None:
        from voice_assistant.adapters.playback import NullPlayer
        from voice_assistant.speaker_choice import open_speaker

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
    from voice_assistant.speaker_choice import DEFAULT_NOTICE

    return script.device_messages.get("natural_voice_failed", DEFAULT_NOTICE)


def _template_matcher(templates: Iterable[str]) -> Callable[[str], bool]:
    from voice_assistant.adapters.tts_piper import template_matcher

    return template_matcher(templates)


def _loudspeaker(
    settings: Settings,
    script: DialogScript,
    sink: TurnSink,
    fixed: Callable[[str], bool] | None = None,
) -> Speaker:
    template = script.device_messages["no_speaker"]
    try:
        from voice_assistant.speaker_choice import open_speaker

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


def engine_context(settings: Settings) -> EngineContext:
    """The recogniser choice for these settings on this installation."""
    return engines.engine_context(
        settings.engine, settings.vosk_model, os.environ, paths.models_dir()
    )


def build_recognizer(settings: Settings, notice: Callable[[str], None]) -> BackgroundRecognizer:
    """The engine the settings ask for, opened in the background (see ``engines``).

    ``notice`` hears, once, about any fallback: a broken Whisper model, a vosk
    model that can't be used, an engine that failed to open.
    """
    context = engine_context(settings)
    return BackgroundRecognizer(lambda: engines.open_recognizer(context), notice)


def _clip_transcriber(
    recognizer: Recognizer,
) -> Callable[[bytes, Vocabulary], Transcript | Silence]:
    """Recognise scripted clips; with no working recogniser a clip is not understood.

    Why that recogniser is missing was already said once (the loader's notice).
    """
    from voice_assistant.listener import transcribe_clip

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
    from voice_assistant.adapters.mic import MicrophoneSource
    from voice_assistant.listener import VoiceListener

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
    from voice_assistant.adapters.console import ConsoleInput

    if sys.stdin is None or sys.stdin.closed:
        inbox.put(InputClosed())
        return

    def problem(key: str, values: dict[str, object]) -> None:
        inbox.put(DeviceProblem(script.device_messages[key].format(**values)))

    ConsoleInput(sys.stdin, inbox, on_problem=problem).start()


def _install_signal_handlers(inbox: queue.Queue[object]) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        inbox.put(Shutdown(reason=signal.Signals(signum).name))

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: terminal closed
        signal.signal(sig, handler)


# --- subcommands ----------------------------------------------------------------------


def _devices() -> int:
    from voice_assistant.adapters.devices import list_devices

    print(list_devices())
    return EXIT_OK


def _recognize(args: argparse.Namespace) -> int:
    from voice_assistant.recognize_cmd import run_recognize

    settings = build_settings(args)
    choices = [c.strip() for c in args.choices.split("|") if c.strip()] if args.choices else None
    recognizer, choice = engines.open_recognizer(engine_context(settings))
    for note in choice.notes:
        print(note, file=sys.stderr)
    return run_recognize(args.files, choices, recognizer, sys.stdout)


def _models(args: argparse.Namespace) -> int:
    from voice_assistant.models_download import main_models

    return main_models(args.models_args or ["--help"], models_dir=paths.models_dir())


def _history(settings: Settings, limit: int) -> int:
    from voice_assistant.session.history import format_history

    config = load_session_config(paths.dialogs_dir() / "session.yaml")
    journal = open_journal_readonly(settings.data_dir, config)  # read-only folders, too
    print(format_history(journal.history(limit), config))
    return EXIT_OK


def _doctor(settings: Settings, args: argparse.Namespace) -> int:
    from voice_assistant.doctor import run_doctor

    dialogs = getattr(args, "dialogs", None)
    return run_doctor(
        settings,
        config_flag=getattr(args, "config", None),
        dialogs_dir=Path(dialogs) if dialogs else paths.dialogs_dir(),
    )
