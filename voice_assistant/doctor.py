"""``heat-or-ice doctor``: check every part the assistant needs and say what to do about each.

Each check is a function returning a ``Check``; ``run_doctor`` runs them in order, prints one
line per check (OK / WARNING / PROBLEM), a summary, and speaks the summary when a speaker
works. Any unexpected exception becomes a PROBLEM line, so the user never sees a traceback.
Everything that touches hardware (microphone stream, player, speech engines, the final
speaker) is injected through ``DoctorDeps`` so tests run without a sound card.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np

from voice_assistant import engines, paths
from voice_assistant.adapters.devices import Kind, query_devices, resolve_device
from voice_assistant.adapters.mic import SAMPLE_RATE as MIC_RATE
from voice_assistant.adapters.mic import MicrophoneSource, StreamFactory
from voice_assistant.adapters.playback import NullPlayer, Player, SoundDevicePlayer
from voice_assistant.adapters.tts_pyttsx3 import SAMPLE_RATE as TTS_RATE
from voice_assistant.adapters.tts_pyttsx3 import EspeakRenderer, default_renderer
from voice_assistant.adapters.whisper_model import MODEL_NAME as WHISPER_MODEL_NAME
from voice_assistant.adapters.whisper_model import packaged_model_dir
from voice_assistant.config import EXAMPLE_FILE, Settings, choose_config_path, load_settings
from voice_assistant.errors import AssistantError, AudioDeviceError
from voice_assistant.events import Vocabulary
from voice_assistant.ports import Speaker
from voice_assistant.speaker_choice import describe, open_speaker

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_MISSING = 1
"""Same meaning as app.EXIT_MISSING: something essential is missing."""

Status = Literal["ok", "warning", "problem"]
Verdict = Literal["silent", "quiet", "fine", "clipping"]
LABELS: Mapping[Status, str] = {"ok": "OK", "warning": "WARNING", "problem": "PROBLEM"}
_INDENT = " " * 9

TEST_SENTENCE = "Hello. This is heat or ice, checking that I can speak."
TEST_WORD = "yes"
TEST_VOCABULARY = Vocabulary(("yes", "no"))
MIN_FREE_BYTES = 50 * 1024 * 1024
"""Below this much free disk space the journal check warns."""
SILENT_PEAK_DBFS = -60.0
QUIET_PEAK_DBFS = -30.0
CLIPPED_FRACTION = 0.001
FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Check:
    """The outcome of one check: ``message`` is a full sentence, with what to do on trouble."""

    name: str
    status: Status
    essential: bool
    message: str
    details: tuple[str, ...] = ()
    """Extra lines shown under the message (e.g. each problem in the settings file)."""

    @property
    def blocking(self) -> bool:
        """A problem that stops the assistant from working (makes the exit code non-zero)."""
        return self.status == "problem" and self.essential

    def lines(self) -> list[str]:
        head = f"{LABELS[self.status]:<8} {self.name}: {self.message}"
        return [head, *(f"{_INDENT}- {detail}" for detail in self.details)]


# --------------------------------------------------------------------------- injected I/O


def describe_device(kind: Kind, spec: str | None) -> str:
    """Like "'USB Mic' (device 3)" for the device the assistant would use; "" if unknown."""
    try:
        table = query_devices()
        index = resolve_device(spec, kind, lambda: table)
        name = next(d.name for d in table.devices if d.index == index)
    except Exception:
        return ""
    return f"'{name}' (device {index})"


def loudspeaker(settings: Settings) -> Speaker:
    """The speaker the summary is spoken through (the assistant's own engine and voice)."""
    from voice_assistant.speaker_choice import open_speaker

    return open_speaker(settings.tts, settings, notify=lambda text: log.warning("%s", text))


@dataclass
class DoctorDeps:
    """Everything the checks touch outside Python; the defaults are the real thing."""

    mic_stream_factory: StreamFactory | None = None
    """None = the sound card (sounddevice); tests pass ``PcmInputStream.factory(pcm)``."""
    make_player: Callable[[str | None], Player] = SoundDevicePlayer
    renderer: Callable[[], EspeakRenderer] = default_renderer
    open_recognizer: engines.Opener = engines.open_engine
    """Opens one engine by name and model folder; tests pass a fake."""
    make_speaker: Callable[[Settings], Speaker] = loudspeaker
    open_tts: Callable[..., Speaker] = open_speaker
    """``speaker_choice.open_speaker``: the same engine choice the assistant makes."""
    describe_device: Callable[[Kind, str | None], str] = describe_device
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    models_dir: Path = field(default_factory=paths.models_dir)
    whisper_package_dir: Path | None = field(default_factory=packaged_model_dir)
    """The Whisper weights that came with the install (None = not installed)."""
    listen_seconds: float = 2.0
    min_free_bytes: int = MIN_FREE_BYTES
    wall_time: Callable[[], float] = time.time


# --------------------------------------------------------------------------- guard


def guarded(name: str, essential: bool, check: Callable[[], Check]) -> Check:
    """Run one check; any exception becomes a PROBLEM line instead of a traceback."""
    try:
        return check()
    except AssistantError as exc:
        return Check(name, "problem", essential, str(exc))
    except Exception as exc:
        log.debug("doctor check %s failed", name, exc_info=True)
        return Check(
            name,
            "problem",
            essential,
            f"the check failed unexpectedly ({type(exc).__name__}: {exc}). "
            "Run `heat-or-ice doctor -v` to see the details, and report them.",
        )


# --------------------------------------------------------------------------- settings, dialogs


def check_settings(config_flag: Path | str | None, environ: Mapping[str, str]) -> Check:
    """Which settings file is read, and every problem in it (each names line and key)."""
    path, explicit = choose_config_path(config_flag, environ)
    result = load_settings(path, explicit=explicit)
    name = "Settings"
    if result.problems:
        count = len(result.problems)
        return Check(
            name,
            "warning",
            False,
            f"{path} has {count} problem{'s' if count != 1 else ''}; the settings affected "
            f"keep their defaults. Fix {'them' if count != 1 else 'it'} (every setting is "
            f"shown in {EXAMPLE_FILE}):",
            tuple(result.problems),
        )
    if not result.found:
        return Check(
            name,
            "ok",
            False,
            f"there is no settings file at {path}, so the defaults are used. To change them, "
            f"copy {EXAMPLE_FILE} there and edit it.",
        )
    return Check(name, "ok", False, f"{path} was read without problems.")


def check_dialogs(directory: Path) -> Check:
    """The dialog YAML files load and fit together (without them nothing can be said)."""
    from voice_assistant.dialog.script import load_script
    from voice_assistant.session.plans import load_session_config

    script = load_script(directory)
    config = load_session_config(directory / "session.yaml")
    return Check(
        "Dialog files",
        "ok",
        True,
        f"the files in {directory} load ({len(script.questions)} questions, "
        f"{len(script.advice)} kinds of advice, {len(config.plans)} session plans).",
    )


# --------------------------------------------------------------------------- speech out


def check_tts(
    settings: Settings,
    renderer: Callable[[], EspeakRenderer],
    open_tts: Callable[..., Speaker] = open_speaker,
) -> Check:
    """The chosen engine speaks a test sentence (nothing is played); says which voice is used."""
    name = "Text-to-speech"
    essential = not settings.mute
    if settings.tts != "espeak":
        return check_tts_engine(settings, open_tts)
    engine = renderer()
    voice_id = engine.voice_id(settings.voice)
    start = time.monotonic()
    pcm = engine.render(TEST_SENTENCE, rate=settings.rate, volume=1.0, voice_id=voice_id)
    took = time.monotonic() - start
    seconds = len(pcm) / 2 / TTS_RATE
    if seconds < 0.3:
        return Check(
            name,
            "problem",
            essential,
            f"espeak-ng made no sound for a test sentence (voice {voice_id}). Reinstall it "
            "(`sudo apt-get install --reinstall espeak-ng`), choose another voice with "
            "--voice, or use --mute to have replies printed only.",
        )
    return Check(
        name,
        "ok",
        essential,
        f"espeak-ng spoke a test sentence with voice {voice_id} ({seconds:.1f} s of speech, "
        f"made in {took:.2f} s).",
    )


def check_tts_engine(settings: Settings, open_tts: Callable[..., Speaker]) -> Check:
    """A non-default engine (Piper) through ``open_speaker``, as the assistant would open it."""
    name = "Text-to-speech"
    essential = not settings.mute
    notices: list[str] = []
    player = NullPlayer()
    speaker = open_tts(settings.tts, settings, notify=notices.append, player=player)
    try:
        start = time.monotonic()
        speaker.say(TEST_SENTENCE)
        took = time.monotonic() - start
    finally:
        close = getattr(getattr(speaker, "primary", speaker), "close", None)
        if callable(close):
            close()
    voice = describe(speaker)
    seconds = player.played[-1][1] if player.played else 0.0
    if notices:
        return Check(
            name,
            "warning",
            essential,
            f"the {settings.tts} engine does not work, so the standard voice is used "
            f"({voice}): {notices[0]}",
        )
    if seconds < 0.3:
        return Check(
            name,
            "problem",
            essential,
            f"{voice} made no sound for a test sentence. Use --tts espeak for the standard "
            "voice, or reinstall the natural voice (bash setup.sh run --piper).",
        )
    return Check(
        name,
        "ok",
        essential,
        f"{voice} spoke a test sentence ({seconds:.1f} s of speech, made in {took:.2f} s).",
    )


def check_speaker(
    settings: Settings,
    make_player: Callable[[str | None], Player],
    describe: Callable[[Kind, str | None], str],
) -> Check:
    """An output device exists and accepts our format. Not essential: replies are printed."""
    name = "Speaker"
    if settings.mute:
        return Check(
            name,
            "ok",
            False,
            "speech is muted in the settings (or with --mute), so replies are printed only. "
            "Remove mute to hear them.",
        )
    try:
        make_player(settings.output_device).check()
    except AudioDeviceError as exc:
        return Check(name, "problem", False, str(exc))
    device = describe("output", settings.output_device) or "the default output"
    return Check(
        name,
        "ok",
        False,
        f"{device} is ready; the summary of this check is spoken through it at the end. "
        "If you hear nothing, turn the volume up or choose another with --output-device.",
    )


# --------------------------------------------------------------------------- microphone


@dataclass(frozen=True)
class Level:
    """How loud a stretch of 16-bit audio is, in dB relative to full scale."""

    seconds: float
    rms_dbfs: float
    peak_dbfs: float
    clipped: float
    """Fraction of samples at (or within 1 % of) full scale."""

    @property
    def verdict(self) -> Verdict:
        if self.clipped >= CLIPPED_FRACTION:
            return "clipping"
        if self.peak_dbfs < SILENT_PEAK_DBFS:
            return "silent"
        if self.peak_dbfs < QUIET_PEAK_DBFS:
            return "quiet"
        return "fine"


def _dbfs(value: float) -> float:
    return 20.0 * float(np.log10(value / FULL_SCALE)) if value > 0 else -120.0


def measure_level(pcm: bytes, rate: int = MIC_RATE) -> Level:
    """RMS and peak level (dBFS) and how much clipped, for 16-bit mono PCM."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return Level(0.0, -120.0, -120.0, 0.0)
    magnitude = np.abs(samples)
    rms = float(np.sqrt(np.mean(samples * samples)))
    return Level(
        seconds=samples.size / rate,
        rms_dbfs=_dbfs(rms),
        peak_dbfs=_dbfs(float(magnitude.max())),
        clipped=float(np.mean(magnitude >= FULL_SCALE * 0.99)),
    )


def record(
    device: str | None,
    seconds: float,
    stream_factory: StreamFactory | None,
    on_open: Callable[[], None] = lambda: None,
) -> tuple[bytes, str]:
    """Up to ``seconds`` of microphone audio, and why it is short ("" when it is not).

    Raises AudioDeviceError when the microphone cannot be opened. Never waits much longer
    than ``seconds``: a stalled device is closed, not reopened for ever.
    """
    problems: list[str] = []

    def stalled(message: str) -> None:
        problems.append(message)
        mic.close()

    mic = MicrophoneSource(
        device,
        stream_factory=stream_factory,
        on_problem=stalled,
        stall_timeout_s=min(1.5, seconds + 0.5),
        max_reopens=1,
        backoff_s=(0.2,),
    )
    mic.open()
    on_open()
    wanted = int(seconds * MIC_RATE) * 2
    chunks: list[bytes] = []
    got = 0
    deadline = threading.Timer(seconds + 3.0, mic.close)
    deadline.daemon = True
    deadline.start()
    try:
        for block in mic.blocks():
            chunks.append(block)
            got += len(block)
            if got >= wanted:
                break
    except AudioDeviceError as exc:
        problems.append(str(exc))
    finally:
        deadline.cancel()
        mic.close()
    pcm = b"".join(chunks)[:wanted]
    if len(pcm) < wanted and not problems:
        problems.append("the sound stopped arriving")
    return pcm, "; ".join(p.rstrip(".") for p in problems)


def check_microphone(
    settings: Settings,
    stream_factory: StreamFactory | None,
    seconds: float,
    describe: Callable[[Kind, str | None], str],
    notice: Callable[[str], None] = lambda text: None,
) -> Check:
    """Open the microphone, listen for ``seconds`` and report the level it heard."""
    name = "Microphone"
    try:
        pcm, trouble = record(
            settings.input_device,
            seconds,
            stream_factory,
            lambda: notice(f"Listening for {seconds:g} seconds: please say something..."),
        )
    except AudioDeviceError as exc:
        return Check(name, "problem", True, str(exc))
    device = "" if stream_factory is not None else describe("input", settings.input_device)
    device = device or "the microphone"
    got = len(pcm) / 2 / MIC_RATE
    if got < seconds / 2:
        return Check(
            name,
            "problem",
            True,
            f"{device} opened but sent only {got:.1f} of {seconds:g} seconds of sound "
            f"({trouble}). Check it is plugged in and not used by another program, choose "
            "another with --device (see `heat-or-ice devices`), or type your answers with "
            "--text.",
        )
    level = measure_level(pcm)
    heard = (
        f"level {level.rms_dbfs:.0f} dBFS, peak {level.peak_dbfs:.0f} dBFS over "
        f"{level.seconds:.1f} s ({level.verdict})"
    )
    if level.verdict == "silent":
        return Check(
            name,
            "problem",
            True,
            f"{device} works but heard nothing at all ({heard}): it is probably muted or "
            "its input volume is at zero. Unmute it and raise the input level in the sound "
            "settings (or alsamixer), choose another with --device, or type your answers "
            "with --text.",
        )
    if level.verdict == "quiet":
        return Check(
            name,
            "warning",
            True,
            f"{device} works but heard only quiet sound ({heard}). If you spoke, move "
            "closer or raise the input level in the sound settings; then run the doctor again.",
        )
    if level.verdict == "clipping":
        return Check(
            name,
            "warning",
            True,
            f"{device} works but the sound is too loud ({heard}, {level.clipped:.1%} of it "
            "clipped), which spoils recognition. Lower the input level in the sound settings "
            "or move the microphone further away.",
        )
    return Check(name, "ok", True, f"{device} works: {heard}.")


# --------------------------------------------------------------------------- recognition


def synthetic_word(word: str, renderer: Callable[[], EspeakRenderer]) -> bytes:
    """``word`` spoken by espeak-ng as 16 kHz mono int16, with a little silence around it."""
    engine = renderer()
    pcm = engine.render(word, rate=150, volume=1.0, voice_id=engine.voice_id(None))
    return resample_16k(pcm, TTS_RATE, pad_s=0.3)


def resample_16k(pcm: bytes, rate: int, pad_s: float = 0.0) -> bytes:
    """16-bit mono PCM at ``rate`` to 16 kHz (linear interpolation; fine for a test word)."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    count = round(samples.size * MIC_RATE / rate)
    resampled = np.interp(np.arange(count) * rate / MIC_RATE, np.arange(samples.size), samples)
    pad = np.zeros(int(pad_s * MIC_RATE))
    out = np.concatenate([pad, resampled, pad])
    return np.clip(np.round(out), -32768, 32767).astype("<i2").tobytes()


def check_recognition(
    context: engines.EngineContext,
    opener: engines.Opener,
    renderer: Callable[[], EspeakRenderer],
) -> Check:
    """The engine the assistant would pick (same registry) loads, and hears a synthetic "yes"."""
    name = "Speech recognition"
    start = time.monotonic()
    recognizer, choice = engines.open_recognizer(context, opener)
    label = choice.probe.label or choice.probe.engine
    loaded = f"In use: {label}, loaded in {time.monotonic() - start:.1f} s"
    warning = choice.warning
    try:
        audio = synthetic_word(TEST_WORD, renderer)
    except AssistantError:
        verdict = f"{loaded} (not tested: there is no text-to-speech to make a test word)."
    else:
        heard = recognizer.recognize(audio, TEST_VOCABULARY).text
        if heard == TEST_WORD:
            verdict = f'{loaded}; it recognised a synthetic "{TEST_WORD}" correctly.'
        else:
            warning = True
            shown = f'"{heard}"' if heard else "nothing it knew"
            verdict = (
                f'{loaded}, but it heard a synthetic "{TEST_WORD}" as {shown}. Computer voices '
                "are harder to recognise than people, so try it with your own voice."
            )
    if choice.probe.engine == engines.FALLBACK:
        verdict += (
            " This small built-in engine often misses accents other than American: "
            f"reinstall heat-or-ice to get Whisper back (or run `heat-or-ice models download "
            f"{WHISPER_MODEL_NAME}`)."
        )
    message = " ".join([verdict, *choice.notes])
    return Check(name, "warning" if warning else "ok", True, message)


def check_journal(data_dir: Path, dialogs_dir: Path, now: float) -> Check:
    """The journal opens (creating the folder if needed) and can be written."""
    from voice_assistant.session.journal import open_journal
    from voice_assistant.session.plans import load_session_config

    name = "Journal"
    config = load_session_config(dialogs_dir / "session.yaml")
    try:
        journal = open_journal(data_dir, config)
    except AssistantError as exc:
        return Check(
            name,
            "problem",
            False,
            f"{exc} The assistant still works without it, but cannot check the time since "
            "your last session.",
        )
    try:
        rows = journal.history(limit=1_000_000)
        interrupted = journal.find_interrupted(now)
    finally:
        journal.close()
    count = len(rows)
    message = f"{journal.path} is writable; {count} session{'s' if count != 1 else ''} recorded"
    if rows:
        last = datetime.fromtimestamp(rows[0].started).strftime("%Y-%m-%d %H:%M")
        message += f", the last on {last}"
    message += "."
    if interrupted is not None:
        message += (
            f" The last {interrupted.kind.replace('_', ' ')} session was interrupted "
            f"{interrupted.minutes_ago:.0f} minutes ago; the assistant will mention it when it "
            "starts."
        )
    return Check(name, "ok", False, message)


def _existing_parent(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path.cwd()


def check_disk(data_dir: Path, min_free_bytes: int = MIN_FREE_BYTES) -> Check:
    """Enough free space where the journal lives (a full disk stops it saving)."""
    where = _existing_parent(data_dir)
    free = shutil.disk_usage(where).free
    shown = f"{free / 1e9:.1f} GB" if free >= 1e9 else f"{free / 1e6:.0f} MB"
    if free < min_free_bytes:
        return Check(
            "Disk space",
            "warning",
            False,
            f"only {shown} free on the disk holding {where}. Free some space, or choose "
            "another folder with --data-dir, so the journal can keep saving.",
        )
    return Check("Disk space", "ok", False, f"{shown} free on the disk holding {where}.")


# --------------------------------------------------------------------------- the report


def run_checks(
    settings: Settings,
    *,
    config_flag: Path | str | None,
    dialogs_dir: Path,
    deps: DoctorDeps,
    emit: Callable[[Check], None] = lambda check: None,
    notice: Callable[[str], None] = lambda text: None,
) -> list[Check]:
    """Every check, in order; ``emit`` sees each as soon as it is done."""
    plan: list[tuple[str, bool, Callable[[], Check]]] = [
        ("Settings", False, lambda: check_settings(config_flag, deps.environ)),
        ("Dialog files", True, lambda: check_dialogs(dialogs_dir)),
        (
            "Text-to-speech",
            not settings.mute,
            lambda: check_tts(settings, deps.renderer, deps.open_tts),
        ),
        (
            "Speaker",
            False,
            lambda: check_speaker(settings, deps.make_player, deps.describe_device),
        ),
        (
            "Microphone",
            True,
            lambda: check_microphone(
                settings,
                deps.mic_stream_factory,
                deps.listen_seconds,
                deps.describe_device,
                notice,
            ),
        ),
        (
            "Speech recognition",
            True,
            lambda: check_recognition(
                engines.EngineContext(
                    settings.engine,
                    settings.vosk_model,
                    deps.environ,
                    deps.models_dir,
                    deps.whisper_package_dir,
                ),
                deps.open_recognizer,
                deps.renderer,
            ),
        ),
        (
            "Journal",
            False,
            lambda: check_journal(settings.data_dir, dialogs_dir, deps.wall_time()),
        ),
        ("Disk space", False, lambda: check_disk(settings.data_dir, deps.min_free_bytes)),
    ]
    checks = []
    for name, essential, check in plan:
        result = guarded(name, essential, check)
        emit(result)
        checks.append(result)
    return checks


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number != 1 else ''}"


def summary(checks: Sequence[Check]) -> str:
    """One sentence: how many problems and warnings, and whether the assistant can work."""
    problems = [c for c in checks if c.status == "problem"]
    warnings = [c for c in checks if c.status == "warning"]
    blocking = [c for c in problems if c.essential]
    if not problems and not warnings:
        return f"All {len(checks)} checks passed: heat-or-ice is ready to use."
    if not problems:
        names = ", ".join(c.name.lower() for c in warnings)
        return f"Ready to use, with {_count(len(warnings), 'warning')} ({names}): see above."
    names = ", ".join(c.name.lower() for c in problems)
    text = f"{_count(len(problems), 'problem')} ({names})"
    if warnings:
        text += f" and {_count(len(warnings), 'warning')}"
    text += "."
    if blocking:
        missing = ", ".join(c.name.lower() for c in blocking)
        text += (
            f" Something essential is missing ({missing}): fix the PROBLEM lines above, then "
            "run `heat-or-ice doctor` again."
        )
        if all(c.name == "Microphone" for c in blocking):
            text += " Until then you can type your answers with --text."
    else:
        text += " heat-or-ice works without these, but fix them for the full experience."
    return text


def spoken_report(checks: Sequence[Check]) -> list[str]:
    """What is said aloud: the summary, then each problem (without code formatting)."""
    said = [summary(checks)]
    said += [f"{c.name}: {c.message}" for c in checks if c.status == "problem"]
    return [text.replace("`", "") for text in said]


def exit_code(checks: Sequence[Check]) -> int:
    return EXIT_MISSING if any(c.blocking for c in checks) else EXIT_OK


def run_doctor(
    settings: Settings,
    *,
    config_flag: Path | str | None = None,
    dialogs_dir: Path | None = None,
    deps: DoctorDeps | None = None,
    out: Callable[[str], None] = print,
    err: Callable[[str], None] | None = None,
) -> int:
    """Print (and speak, where possible) the report; return the exit code."""
    deps = deps or DoctorDeps()
    err = err or (lambda text: print(text, file=sys.stderr))
    out("Checking heat-or-ice; this takes a few seconds.")

    def emit(check: Check) -> None:
        for line in check.lines():
            out(line)

    checks = run_checks(
        settings,
        config_flag=config_flag,
        dialogs_dir=dialogs_dir or paths.dialogs_dir(),
        deps=deps,
        emit=emit,
        notice=lambda text: out(f"{_INDENT}({text})"),
    )
    out(summary(checks))
    by_name = {c.name: c for c in checks}
    can_speak = not settings.mute and all(
        by_name[n].status == "ok" for n in ("Text-to-speech", "Speaker")
    )
    if can_speak:
        try:
            speaker = deps.make_speaker(settings)
            for text in spoken_report(checks):
                speaker.say(text)
        except (AssistantError, OSError, RuntimeError) as exc:
            err(f"(The summary could not be spoken: {exc})")
    return exit_code(checks)
