"""Doctor checks for the hardware at the ends: speech out (engine, speaker) and the microphone.

Each ``check_*`` returns a ``Check`` whose message says what to do on trouble; the devices
themselves come in as arguments (``DoctorDeps`` in the real run, fakes in tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from voice_assistant.adapters.audio.devices import Kind
from voice_assistant.adapters.audio.mic import SAMPLE_RATE as MIC_RATE
from voice_assistant.adapters.audio.mic import MicrophoneSource, StreamFactory
from voice_assistant.adapters.audio.playback import NullPlayer, Player
from voice_assistant.adapters.espeak.tts_pyttsx3 import SAMPLE_RATE as TTS_RATE
from voice_assistant.adapters.espeak.tts_pyttsx3 import EspeakRenderer
from voice_assistant.doctor.check import Check
from voice_assistant.errors import AudioDeviceError
from voice_assistant.ports import Speaker
from voice_assistant.settings.config import Settings
from voice_assistant.speech.engines import DEFAULT_SPEAKER
from voice_assistant.speech.speaker_choice import describe, open_speaker

Verdict = Literal["silent", "quiet", "fine", "clipping"]

TEST_SENTENCE = "Hello. This is heat or ice, checking that I can speak."
SILENT_PEAK_DBFS = -60.0
QUIET_PEAK_DBFS = -30.0
CLIPPED_FRACTION = 0.001
FULL_SCALE = 32768.0


# --------------------------------------------------------------------------- speech out


def check_tts(
    settings: Settings,
    renderer: Callable[[], EspeakRenderer],
    open_tts: Callable[..., Speaker] = open_speaker,
) -> Check:
    """The chosen engine speaks a test sentence (nothing is played); says which voice is used."""
    name = "Text-to-speech"
    essential = not settings.mute
    if settings.tts != DEFAULT_SPEAKER:  # the natural voice: checked through its worker
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
