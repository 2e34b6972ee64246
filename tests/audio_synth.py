"""Spoken test audio from espeak-ng, as 16 kHz mono int16 (the assistant's one format).

    from audio_synth import requires_espeak, synth_pcm, synth_wav

    pcm = synth_pcm("two days ago", voice="en-gb", rate=130)
    path = synth_wav("yes", tmp_path / "yes.wav")

Renders are cached on disk (``<tmp>/heat-or-ice-espeak-cache``) by text, voice and
rate, so a test suite pays for each phrase once. Mark tests that need espeak-ng
with ``@requires_espeak`` (and ``@pytest.mark.audio``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from voice_assistant.adapters.wav import read_wav, write_wav

CACHE = Path(tempfile.gettempdir()) / "heat-or-ice-espeak-cache"


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


requires_espeak = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")


def synth_pcm(text: str, voice: str = "en-us", rate: int = 150) -> bytes:
    """``text`` spoken by espeak-ng ``voice`` at ``rate`` words/minute: 16 kHz int16 PCM."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(f"{voice}|{rate}|{text}".encode()).hexdigest()[:20]
    cached = CACHE / f"{key}.wav"
    if not cached.exists():
        raw = CACHE / f"{key}.raw.wav"  # espeak-ng writes 22 050 Hz
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(raw), text],
            check=True,
            capture_output=True,
            timeout=30,
        )
        partial = CACHE / f"{key}.part.wav"
        write_wav(partial, read_wav(raw))
        partial.replace(cached)  # atomic: parallel test runs never see half a file
        raw.unlink(missing_ok=True)
    return read_wav(cached)


def synth_wav(text: str, path: Path, voice: str = "en-us", rate: int = 150) -> Path:
    """Write ``text`` spoken by espeak-ng to ``path`` as a 16 kHz mono WAV; returns ``path``."""
    return write_wav(path, synth_pcm(text, voice, rate))
