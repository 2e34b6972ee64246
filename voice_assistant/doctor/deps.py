"""``DoctorDeps``: everything the doctor's checks touch outside Python, injectable for tests.

The defaults are the real thing (sound card, espeak-ng, the engine registry, the wall clock),
so ``heat-or-ice doctor`` needs no wiring, and tests swap in fakes without a sound card.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from voice_assistant import paths
from voice_assistant.adapters.audio.devices import Kind, query_devices, resolve_device
from voice_assistant.adapters.audio.mic import StreamFactory
from voice_assistant.adapters.audio.playback import Player, SoundDevicePlayer
from voice_assistant.adapters.espeak.tts_pyttsx3 import EspeakRenderer, default_renderer
from voice_assistant.adapters.whisper.whisper_model import packaged_model_dir
from voice_assistant.ports import Speaker
from voice_assistant.settings.config import Settings
from voice_assistant.speech import engines
from voice_assistant.speech.speaker_choice import open_speaker

log = logging.getLogger(__name__)

MIN_FREE_BYTES = 50 * 1024 * 1024
"""Below this much free disk space the journal check warns."""


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
