"""Doctor check for speech recognition: the engine the assistant would pick hears a test word.

The test word is made by espeak-ng and resampled to the microphone's 16 kHz, so the check
needs no microphone and no person.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from voice_assistant.adapters.audio.mic import SAMPLE_RATE as MIC_RATE
from voice_assistant.adapters.espeak.tts_pyttsx3 import SAMPLE_RATE as TTS_RATE
from voice_assistant.adapters.espeak.tts_pyttsx3 import EspeakRenderer
from voice_assistant.adapters.whisper.whisper_model import MODEL_NAME as WHISPER_MODEL_NAME
from voice_assistant.doctor.check import Check
from voice_assistant.errors import AssistantError
from voice_assistant.events import Vocabulary
from voice_assistant.speech import engines

TEST_WORD = "yes"
TEST_VOCABULARY = Vocabulary(("yes", "no"))


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
        verdict += " " + _fallback_advice(context)
    message = " ".join([verdict, *choice.notes])
    return Check(name, "warning" if warning else "ok", True, message)


def _fallback_advice(context: engines.EngineContext) -> str:
    """What to say about the small built-in engine: chosen by hand, or because Whisper failed."""
    accents = "This small built-in engine often misses accents other than American"
    whisper = engines.engine_named("whisper").probe(replace(context, engine=engines.AUTO))
    if context.engine == engines.FALLBACK and whisper is not None and whisper.usable:
        return (
            f"{accents}; it is in use because it was chosen (--engine or the settings). "
            "Whisper, the default, is installed and working: leave out the choice to use it."
        )
    return (
        f"{accents}: reinstall heat-or-ice to get Whisper back (or run `heat-or-ice models "
        f"download {WHISPER_MODEL_NAME}`)."
    )
