"""Spoken test audio from espeak-ng, as 16 kHz mono int16 (the assistant's one format).

    from audio_synth import requires_espeak, synth_pcm, synth_wav

    pcm = synth_pcm("two days ago", voice="en-gb", rate=130)
    path = synth_wav("yes", tmp_path / "yes.wav")

Renders are cached on disk (``<tmp>/heat-or-ice-espeak-cache``) by text, voice and
rate, so a test suite pays for each phrase once. Mark tests that need espeak-ng
with ``@requires_espeak`` (and ``@pytest.mark.audio``). The synthesis itself is
``voice_assistant.testing.synth_pcm``, shared with ``bench/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voice_assistant.adapters.audio.wav import write_wav
from voice_assistant.testing import ESPEAK_CACHE as CACHE
from voice_assistant.testing import synth_pcm

__all__ = ["CACHE", "espeak_available", "requires_espeak", "synth_pcm", "synth_wav"]


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


requires_espeak = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")


def synth_wav(text: str, path: Path, voice: str = "en-us", rate: int = 150) -> Path:
    """Write ``text`` spoken by espeak-ng to ``path`` as a 16 kHz mono WAV; returns ``path``."""
    return write_wav(path, synth_pcm(text, voice, rate))
