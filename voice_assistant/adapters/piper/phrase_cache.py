"""Rendered Piper phrases kept on disk, so texts said again cost no synthesis.

A text is stored as a WAV (keyed by text, voice, rate, volume) in the user cache folder
the second time it is said, in this run or any earlier one (``seen_before``), or the
first time when the speaker is told it is fixed (countdowns, "time's up").

What is cached may be the advice, so it is private like the data folder (see
runtime/privacy.py): the folder 0700 and ours, files 0600 and never written through a
link, and the names a keyed hash (HMAC with a random per-user ``key`` file kept in the
folder), so the same text has a different name for every user and the name alone tells
nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import wave
from contextlib import suppress
from pathlib import Path

from voice_assistant.runtime.privacy import open_private, private_folder, read_private

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
"""Hz of the stored phrases and of what the Piper speaker hands to the Player (the same as
espeak-ng, so both voices share one path)."""
CACHE_VERSION = "2"  # 2: keyed names in a private folder
KEY_FILE = "key"
KEY_BYTES = 32


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
        self._secret: bytes | None = None
        self._usable: bool | None = None

    def _ready(self) -> bool:
        """The folder exists, is private and ours (once per cache); False: no cache."""
        if self._usable is None:
            try:
                private_folder(self.folder)
                self._usable = True
            except OSError as exc:
                log.info("no phrase cache in %s: %s", self.folder, exc)
                self._usable = False
        return self._usable

    def _key_secret(self) -> bytes:
        """The per-user random key for file names (made on first use); a fresh one for this
        run alone when it cannot be kept (nothing found again, nothing leaked)."""
        if self._secret is not None:
            return self._secret
        secret = b""
        if self._ready():
            path = self.folder / KEY_FILE
            try:
                secret = read_private(path, KEY_BYTES)
            except FileNotFoundError:
                secret = os.urandom(KEY_BYTES)
                try:
                    fd = open_private(path, os.O_WRONLY | os.O_CREAT, exclusive=True)
                    with os.fdopen(fd, "wb") as out:
                        out.write(secret)
                except OSError as exc:
                    log.info("cannot keep the phrase cache key: %s", exc)
                    secret = b""
            except OSError as exc:
                log.info("cannot read the phrase cache key: %s", exc)
        if len(secret) != KEY_BYTES:
            secret = os.urandom(KEY_BYTES)
        self._secret = secret
        return secret

    def key(self, text: str, voice: str, rate: int, volume: float) -> str:
        blob = json.dumps([CACHE_VERSION, text, voice, int(rate), round(volume, 3), SAMPLE_RATE])
        return hmac.new(self._key_secret(), blob.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def has(self, key: str) -> bool:
        return (self.folder / f"{key}.wav").is_file()

    def get(self, key: str) -> bytes | None:
        if not self._ready():
            return None
        try:
            fd = open_private(self.folder / f"{key}.wav", os.O_RDONLY)
            with os.fdopen(fd, "rb") as stream, wave.open(stream, "rb") as wav:
                if wav.getframerate() != SAMPLE_RATE or wav.getsampwidth() != 2:
                    return None
                pcm = wav.readframes(wav.getnframes())
        except Exception:  # missing, half-written or foreign file: render again
            return None
        self.hits += 1
        return pcm

    def put(self, key: str, pcm: bytes) -> None:
        if not self._ready():
            return
        temporary = self.folder / f".{key}.{os.getpid()}.tmp"
        try:
            with suppress(FileNotFoundError):
                temporary.unlink()
            fd = open_private(temporary, os.O_WRONLY | os.O_CREAT, exclusive=True)
            with os.fdopen(fd, "wb") as stream, wave.open(stream, "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(SAMPLE_RATE)
                out.writeframes(pcm)
            temporary.replace(self.folder / f"{key}.wav")
        except OSError as exc:
            log.info("cannot cache speech in %s: %s", self.folder, exc)

    def seen_before(self, key: str) -> bool:
        """True when this text was said before; marks it as seen either way."""
        mark = self.folder / f"{key}.seen"
        if os.path.lexists(mark):
            return True
        if self._ready():
            with suppress(OSError):
                os.close(open_private(mark, os.O_WRONLY | os.O_CREAT, exclusive=True))
        return False
