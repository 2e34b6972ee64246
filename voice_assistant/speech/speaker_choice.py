"""Opening the text-to-speech engine by name, with the hand-over to the standard voice.

``open_speaker(name, settings, ...)`` is the one place the engine is opened (the app,
``--save-speech`` and ``doctor`` all call it); the engines themselves are entries of
``engines.SPEAKERS``. An engine other than the standard one that cannot start, or fails
later, hands over to the standard voice (espeak-ng) after saying so once in that voice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from voice_assistant.adapters.audio.playback import Player
from voice_assistant.errors import SpeakerError
from voice_assistant.ports import Speaker
from voice_assistant.settings.config import Settings
from voice_assistant.speech.engines import DEFAULT_SPEAKER, VoiceOptions, speaker_named

log = logging.getLogger(__name__)

DEFAULT_NOTICE = "The natural voice isn't working, so I'll use the standard voice."
"""Used only when dialogs/messages.yaml has no ``devices.natural_voice_failed``."""


class EngineFallbackSpeaker:
    """Speaks with ``primary`` until it fails with a SpeakerError, then with espeak for good.

    At the switch the user is told once: ``notify(notice)`` (printed) and the notice is
    spoken in the fallback voice, then the text that failed is said again. Device problems
    (AudioDeviceError) pass through: another voice would not help, and the outer
    FallbackSpeaker prints instead.
    """

    def __init__(
        self,
        primary: Speaker,
        make_fallback: Callable[[], Speaker],
        notice: str,
        notify: Callable[[str], None],
        description: str = "",
    ) -> None:
        self.primary = primary
        self.make_fallback = make_fallback
        self.notice = notice
        self.notify = notify
        self.description = description
        self.fallback: Speaker | None = None

    def say(self, text: str) -> None:
        if self.fallback is None:
            try:
                self.primary.say(text)
                return
            except SpeakerError as exc:
                self._switch(exc)
        assert self.fallback is not None
        self.fallback.say(text)

    def chime(self, kind: str = "times_up") -> None:
        if self.fallback is None:
            try:
                self.primary.chime(kind)
                return
            except SpeakerError as exc:
                self._switch(exc)
        assert self.fallback is not None
        self.fallback.chime(kind)

    def _switch(self, exc: SpeakerError) -> None:
        log.warning("natural voice failed, using espeak-ng: %s", exc)
        fallback = self.make_fallback()
        self.fallback = fallback
        close = getattr(self.primary, "close", None)
        if callable(close):
            close()
        self.description = describe(fallback)
        self.notify(f"{self.notice} ({exc})")
        fallback.say(self.notice)


def describe(speaker: object) -> str:
    """Words for the voice a speaker uses ("Piper natural voice en_US-joe-medium")."""
    inner = getattr(speaker, "description", None)
    if isinstance(inner, str) and inner:
        return inner
    name = getattr(speaker, "voice_name", None)
    if name is not None:
        return f"Piper natural voice {name}"
    voice = getattr(speaker, "voice", None)
    if hasattr(speaker, "renderer"):
        return f"espeak-ng voice {voice or 'en (default)'}"
    return type(speaker).__name__


def open_speaker(
    name: str,
    settings: Settings,
    *,
    notify: Callable[[str], None],
    notice: str = DEFAULT_NOTICE,
    player: Player | None = None,
    save_dir: Path | None = None,
    make_espeak: Callable[[], Speaker] | None = None,
    make_piper: Callable[[], Speaker] | None = None,
    fixed: Callable[[str], bool] | None = None,
) -> Speaker:
    """The speaker for engine ``name`` with the voice settings; raises AssistantError in words.

    ``player`` None = the sound card (``settings.output_device``). For the natural voice, a
    missing package or voice, or a worker that will not start, gives the standard voice
    instead, with ``notice`` printed (with the reason) and spoken once. ``fixed`` says which
    texts Piper caches the first time they are said (the rest: the second time).
    ``make_espeak`` / ``make_piper`` replace the standard and the natural voice in tests.
    """
    engine = speaker_named(name)
    options = VoiceOptions(
        rate=settings.rate,
        volume=settings.volume,
        voice=settings.voice,
        output_device=settings.output_device,
        player=player,
        save_dir=save_dir,
        fixed=fixed,
    )

    def standard() -> Speaker:
        if make_espeak is not None:
            return make_espeak()
        return speaker_named(DEFAULT_SPEAKER).open(options)

    if engine.name == DEFAULT_SPEAKER:
        return standard()
    try:
        primary = make_piper() if make_piper is not None else engine.open(options)
    except SpeakerError as exc:
        log.warning("natural voice unavailable: %s", exc)
        fallback = standard()
        notify(f"{notice} ({exc})")
        fallback.say(notice)
        return fallback
    return EngineFallbackSpeaker(primary, standard, notice, notify, describe(primary))
