"""The one place that knows which speech engines exist: recognisers, and the voices.

Each engine is one entry: its name, how to find out whether it can be used
here (and with which model), and how to open it. The app, ``doctor`` and
``recognize`` all choose through :func:`choose_recognizer` and open through
:func:`open_recognizer`, so adding an engine is adding one entry to
``RECOGNIZERS``. Text-to-speech engines are entries of ``SPEAKERS`` the same
way, opened through ``speaker_choice.open_speaker`` (which adds the fallback to
the standard voice). Engines are imported lazily: a missing optional engine is
a message, not an ImportError at start.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from voice_assistant.errors import AssistantError, RecognizerError, SpeakerError
from voice_assistant.ports import Recognizer, Speaker

if TYPE_CHECKING:
    from voice_assistant.adapters.audio.playback import Player
    from voice_assistant.settings.config import Settings

log = logging.getLogger(__name__)

AUTO = "auto"


@dataclass(frozen=True)
class EngineContext:
    """What the choice depends on: the user's settings and what is installed."""

    engine: str = AUTO
    vosk_model: Path | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    models_dir: Path = Path("models")
    whisper_package_dir: Path | None = None
    """The model folder of the installed weights package (None = not installed)."""


@dataclass(frozen=True)
class Probe:
    """One engine's answer to "can you be used here?"."""

    engine: str
    model: Path | None = None
    label: str = ""
    """How to name it to a person: "Whisper tiny.en (model from the installed package)"."""
    problem: str = ""
    """Why it cannot be used ("" = it can); said to the person when it was expected."""

    @property
    def usable(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class RecognizerEngine:
    """A registry entry."""

    name: str
    summary: str
    """One line for ``--help``."""
    probe: Callable[[EngineContext], Probe | None]
    """None = not installed at all (``auto`` skips it quietly)."""
    open: Callable[[Path | None], Recognizer]


# --- the engines ------------------------------------------------------------------------------


def _probe_whisper(context: EngineContext) -> Probe | None:
    from voice_assistant.adapters.whisper import whisper_model

    location = whisper_model.find_whisper_model(
        context.environ, context.models_dir, context.whisper_package_dir
    )
    if location is None:
        if context.engine != "whisper":
            return None
        return Probe(
            "whisper",
            problem=f"The Whisper speech model is not installed. {whisper_model.FIX_HINT}",
        )
    label = f"Whisper tiny.en (model from the {location.origin}, {location.path})"
    problems = whisper_model.model_problems(location.path)  # checksums: before every load
    if problems:
        return Probe(
            "whisper",
            location.path,
            label,
            problem=f"The Whisper speech model in {location.path} cannot be used: "
            f"{'; '.join(problems)}. {whisper_model.FIX_HINT}",
        )
    try:
        from voice_assistant.adapters.onnx_quiet import import_onnxruntime_quietly

        import_onnxruntime_quietly()  # faster-whisper may import it: see onnx_quiet.py
        import faster_whisper  # noqa: F401
    except ImportError as exc:
        return Probe(
            "whisper",
            location.path,
            label,
            problem=f"The Whisper engine (faster-whisper) is not installed ({exc}). Reinstall "
            "heat-or-ice with its dependencies (bash setup.sh run).",
        )
    return Probe("whisper", location.path, label)


def _open_whisper(model: Path | None) -> Recognizer:
    from voice_assistant.adapters.whisper import whisper_model

    try:
        from voice_assistant.adapters.whisper.asr_whisper import WhisperRecognizer
    except ImportError as exc:
        raise RecognizerError(
            f"The Whisper engine cannot be loaded ({exc}). Reinstall heat-or-ice with its "
            "dependencies (bash setup.sh run)."
        ) from exc
    if model is None:
        raise RecognizerError(f"No Whisper model was given. {whisper_model.FIX_HINT}")
    return WhisperRecognizer(model)  # checked by _probe_whisper just before


def _probe_vosk(context: EngineContext) -> Probe | None:
    from voice_assistant.adapters.vosk import asr_vosk

    found = asr_vosk.find_vosk_model(context.vosk_model, context.environ, context.models_dir)
    if found is None:
        if context.engine != "vosk" and context.vosk_model is None:
            return None
        where = context.vosk_model or context.models_dir
        return Probe(
            "vosk",
            problem=f"There is no vosk model in {where}. {asr_vosk.GET_MODEL_HINT}",
        )
    label = f"vosk (model {found})"
    try:
        asr_vosk.validate_vosk_model(found)
    except RecognizerError as exc:
        return Probe("vosk", found, label, problem=str(exc))
    return Probe("vosk", found, label)


def _open_vosk(model: Path | None) -> Recognizer:
    from voice_assistant.adapters.vosk.asr_vosk import VoskRecognizer

    if model is None:
        raise RecognizerError("No vosk model was given.")
    return VoskRecognizer(model)


def _probe_pocketsphinx(context: EngineContext) -> Probe | None:
    label = "pocketsphinx (built-in English model)"
    try:
        import pocketsphinx  # noqa: F401
    except ImportError as exc:
        return Probe(
            "pocketsphinx",
            label=label,
            problem=f"The pocketsphinx speech engine cannot be loaded ({exc}). Reinstall "
            "heat-or-ice with its dependencies (pip install 'pocketsphinx>=5,<6').",
        )
    return Probe("pocketsphinx", label=label)


def _open_pocketsphinx(model: Path | None) -> Recognizer:
    try:
        from voice_assistant.adapters.pocketsphinx.asr_pocketsphinx import PocketsphinxRecognizer
    except ImportError as exc:
        raise RecognizerError(
            f"The pocketsphinx speech engine cannot be loaded ({exc}). Reinstall heat-or-ice "
            "with its dependencies (pip install 'pocketsphinx>=5,<6')."
        ) from exc
    return PocketsphinxRecognizer()


RECOGNIZERS: tuple[RecognizerEngine, ...] = (
    RecognizerEngine(
        "whisper",
        "Whisper tiny.en, neural, hears most accents (installed with heat-or-ice)",
        _probe_whisper,
        _open_whisper,
    ),
    RecognizerEngine(
        "vosk",
        "vosk, when a vosk model is installed (heat-or-ice models download)",
        _probe_vosk,
        _open_vosk,
    ),
    RecognizerEngine(
        "pocketsphinx",
        "pocketsphinx, small built-in fallback, best with US accents",
        _probe_pocketsphinx,
        _open_pocketsphinx,
    ),
)
"""In the order ``auto`` prefers them."""

RECOGNIZER_NAMES: tuple[str, ...] = tuple(engine.name for engine in RECOGNIZERS)
ENGINE_CHOICES: tuple[str, ...] = (AUTO, *RECOGNIZER_NAMES)
FALLBACK = "pocketsphinx"


# --- the voices (text-to-speech) ----------------------------------------------------------------


@dataclass(frozen=True)
class VoiceOptions:
    """What opening a speaker depends on: the voice settings and where the sound goes."""

    rate: int
    volume: float
    voice: str | None
    """An espeak-ng voice name, or a Piper ``.onnx`` voice file (each engine takes its own)."""
    output_device: str | int | None
    player: Player | None = None
    """None = the sound card (``output_device``)."""
    save_dir: Path | None = None
    fixed: Callable[[str], bool] | None = None
    """Texts Piper caches the first time they are said (the rest: the second time)."""


@dataclass(frozen=True)
class SpeakerEngine:
    """A registry entry for a text-to-speech engine."""

    name: str
    summary: str
    """Words for ``--help``."""
    probe: Callable[[], str]
    """"" when the engine is installed, else what is missing, in words."""
    open: Callable[[VoiceOptions], Speaker]
    """Raises SpeakerError (or AssistantError) in words when it cannot speak here."""


def _is_piper_voice(voice: str | None) -> bool:
    return bool(voice) and str(voice).strip().lower().endswith(".onnx")


def _probe_espeak() -> str:
    if importlib.util.find_spec("pyttsx3") is None:
        return (
            "The espeak-ng voice (pyttsx3) is not installed. Reinstall heat-or-ice with its "
            "dependencies (bash setup.sh run)."
        )
    return ""


def _open_espeak(options: VoiceOptions) -> Speaker:
    from voice_assistant.adapters.espeak.tts_pyttsx3 import Pyttsx3Speaker

    return Pyttsx3Speaker(
        rate=options.rate,
        volume=options.volume,
        voice=None if _is_piper_voice(options.voice) else options.voice,
        output_device=options.output_device,
        player=options.player,
        save_dir=options.save_dir,
    )


def _probe_piper() -> str:
    from voice_assistant.adapters.piper.piper_client import PiperError, find_voice

    try:
        find_voice()
    except PiperError as exc:
        return str(exc)
    return ""


def _open_piper(options: VoiceOptions) -> Speaker:
    from voice_assistant.adapters.piper.tts_piper import PiperSpeaker

    speaker = PiperSpeaker(
        rate=options.rate,
        volume=options.volume,
        voice=options.voice if _is_piper_voice(options.voice) else None,
        output_device=options.output_device,
        player=options.player,
        save_dir=options.save_dir,
        fixed=options.fixed or (),
        check=False,
    )
    try:
        speaker.player.check()  # no sound card: fail before starting the worker
        speaker.worker.start()
    except Exception:
        speaker.close()
        raise
    return speaker


SPEAKERS: tuple[SpeakerEngine, ...] = (
    SpeakerEngine("espeak", "espeak-ng, default", _probe_espeak, _open_espeak),
    SpeakerEngine(
        "piper",
        "the calmer natural voice; install with `bash setup.sh run --piper`",
        _probe_piper,
        _open_piper,
    ),
)
"""Default first: the standard voice, which every other engine falls back to."""

SPEAKER_NAMES: tuple[str, ...] = tuple(engine.name for engine in SPEAKERS)
DEFAULT_SPEAKER: str = SPEAKERS[0].name


def speaker_named(name: str) -> SpeakerEngine:
    for engine in SPEAKERS:
        if engine.name == name:
            return engine
    raise SpeakerError(
        f"There is no text-to-speech engine called '{name}': use {' or '.join(SPEAKER_NAMES)}."
    )


def speakers_help() -> str:
    """The ``--tts`` help text, from the registry."""
    listed = " or ".join(f"{engine.name} ({engine.summary})" for engine in SPEAKERS)
    return f"text-to-speech engine: {listed}"


def engine_context(
    engine: str,
    vosk_model: Path | None,
    environ: Mapping[str, str],
    models_dir: Path,
) -> EngineContext:
    """The context of this installation (the weights package is looked up here)."""
    from voice_assistant.adapters.whisper.whisper_model import packaged_model_dir

    return EngineContext(engine, vosk_model, environ, models_dir, packaged_model_dir())


def context_for(settings: Settings) -> EngineContext:
    """The recogniser choice for these settings on this installation (app, recognize)."""
    import os

    from voice_assistant import paths

    return engine_context(settings.engine, settings.vosk_model, os.environ, paths.models_dir())


def engine_named(name: str) -> RecognizerEngine:
    for engine in RECOGNIZERS:
        if engine.name == name:
            return engine
    raise RecognizerError(
        f"Unknown speech engine {name!r}: use one of {', '.join(ENGINE_CHOICES)}."
    )


def engines_help() -> str:
    """The ``--engine`` help text, from the registry."""
    listed = "; ".join(f"{engine.name}: {engine.summary}" for engine in RECOGNIZERS)
    return f"speech recogniser: auto (the first usable of {', '.join(RECOGNIZER_NAMES)}); {listed}"


# --- choosing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """The engine to open, and what the person should be told about how it was chosen."""

    probe: Probe
    notes: tuple[str, ...] = ()
    """Said and printed: an engine that was asked for or expected but cannot be used."""

    @property
    def warning(self) -> bool:
        return bool(self.notes)


def choose_recognizer(context: EngineContext) -> Choice:
    """The asked-for engine when usable, else the first usable one in ``auto`` order.

    An engine the person asked for (``--engine``, or a vosk model named with
    ``--vosk-model``, the settings or ``VOSK_MODEL_PATH``) comes first, and when
    it cannot be used it is never silently skipped: its problem goes into the notes.
    """
    notes: list[str] = []
    order = list(RECOGNIZERS)
    wanted_name = context.engine
    if wanted_name == AUTO and _vosk_model_given(context):
        wanted_name = "vosk"  # a model named by the user is a wish to use it
    if wanted_name != AUTO:
        wanted = engine_named(wanted_name)
        order.remove(wanted)
        order.insert(0, wanted)
    for engine in order:
        probe = engine.probe(context)
        if probe is None:
            continue
        if probe.usable:
            if notes:
                notes[-1] += f" Using {probe.label or probe.engine} instead."
            return Choice(probe, tuple(notes))
        notes.append(probe.problem)
    raise RecognizerError(" ".join([*notes, "No speech recogniser can be used."]))


def _vosk_model_given(context: EngineContext) -> bool:
    from voice_assistant.adapters.vosk.asr_vosk import ENV_MODEL_PATH

    return context.vosk_model is not None or bool(context.environ.get(ENV_MODEL_PATH, "").strip())


Opener = Callable[[str, Path | None], Recognizer]


def open_engine(name: str, model: Path | None) -> Recognizer:
    """Open one engine by name (what doctor and tests replace with a fake)."""
    return engine_named(name).open(model)


def open_recognizer(
    context: EngineContext, opener: Opener = open_engine
) -> tuple[Recognizer, Choice]:
    """Choose and open; when opening fails, fall back along the ``auto`` order, saying why."""
    choice = choose_recognizer(context)
    notes = list(choice.notes)
    probe = choice.probe
    tried = {probe.engine}
    while True:
        try:
            return opener(probe.engine, probe.model), Choice(probe, tuple(notes))
        except AssistantError as exc:
            log.warning("speech engine %s failed to open: %s", probe.engine, exc)
            notes.append(str(exc))
        remaining = [engine for engine in RECOGNIZERS if engine.name not in tried]
        next_probe = None
        for engine in remaining:
            tried.add(engine.name)
            candidate = engine.probe(context)
            if candidate is not None and candidate.usable:
                next_probe = candidate
                break
        if next_probe is None:
            raise RecognizerError(" ".join([*notes, "No speech recogniser can be used."]))
        notes[-1] += f" Using {next_probe.label or next_probe.engine} instead."
        probe = next_probe
