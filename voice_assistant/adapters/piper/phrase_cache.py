"""Rendered Piper phrases kept on disk, so texts said again cost no synthesis.

A text is stored as a WAV (keyed by text, voice, rate, volume) in the user cache folder
the second time it is said, in this run or any earlier one (``seen_before``), or the
first time when the speaker is told it is fixed (countdowns, "time's up").
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from voice_assistant.adapters.espeak.tts_pyttsx3 import write_wav

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
"""Hz of the stored phrases and of what the Piper speaker hands to the Player (the same as
espeak-ng, so both voices share one path)."""
CACHE_VERSION = "1"


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("heat-or-ice")) / "speech"


class PhraseCache:
    """Rendered phrases as WAV files named by a hash of (text, voice, rate, volume).

    ``seen`` marks (empty files) remember texts said once, across runs, so the second
    time a text is said it is stored. Unwritable folders only cost speed, never speech.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.hits = 0

    @staticmethod
    def key(text: str, voice: str, rate: int, volume: float) -> str:
        blob = json.dumps([CACHE_VERSION, text, voice, int(rate), round(volume, 3), SAMPLE_RATE])
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def has(self, key: str) -> bool:
        return (self.folder / f"{key}.wav").is_file()

    def get(self, key: str) -> bytes | None:
        path = self.folder / f"{key}.wav"
        try:
            import wave

            with wave.open(str(path), "rb") as wav:
                if wav.getframerate() != SAMPLE_RATE or wav.getsampwidth() != 2:
                    return None
                pcm = wav.readframes(wav.getnframes())
        except Exception:  # missing, half-written or foreign file: render again
            return None
        self.hits += 1
        return pcm

    def put(self, key: str, pcm: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self.folder / f".{key}.{os.getpid()}.tmp"
            write_wav(temporary, pcm, SAMPLE_RATE)
            temporary.replace(self.folder / f"{key}.wav")
        except OSError as exc:
            log.info("cannot cache speech in %s: %s", self.folder, exc)

    def seen_before(self, key: str) -> bool:
        """True when this text was said before; marks it as seen either way."""
        mark = self.folder / f"{key}.seen"
        if mark.exists():
            return True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            mark.touch()
        except OSError:
            pass
        return False
