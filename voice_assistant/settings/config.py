"""Settings: what the user can choose, how each value is checked, and flags on top.

``Settings`` checks and normalises its values on construction; ``FIELDS`` says where each
one lives in the settings file ([section] key) and how its value is checked, so the file
loader (``config_file``) and the command line (``merge_overrides``) share the same checks.
A bad *flag* raises ConfigError, because the user just typed it; a bad file never stops
the assistant (see ``config_file``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from voice_assistant import paths
from voice_assistant.errors import ConfigError
from voice_assistant.speech.engines import DEFAULT_SPEAKER, ENGINE_CHOICES, SPEAKER_NAMES

DEFAULT_WAKE_PHRASE = "okay heat or ice"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

LOG_LEVELS: tuple[LogLevel, ...] = ("DEBUG", "INFO", "WARNING", "ERROR")
RATE_RANGE = (80, 300)
MAX_CLOCK_SPEED = 1000.0
"""Faster than this, a fifteen-minute session is over before a reminder can be spoken."""
WAKE_WORDS_RANGE = (2, 6)


@dataclass(frozen=True)
class Settings:
    """Everything the user can choose. Values are checked and normalised on construction."""

    tts: str = DEFAULT_SPEAKER
    """Text-to-speech engine, a name in ``engines.SPEAKERS`` (espeak-ng; Piper if installed)."""
    voice: str | None = None
    """Text-to-speech voice name or id (e.g. "en-us", "en-gb+f3"); None = the engine's default."""
    rate: int = 150
    """Speaking speed in words per minute, 80-300."""
    volume: float = 1.0
    """Speech loudness from 0.0 (silent) to 1.0 (full)."""
    mute: bool = False
    """True = replies are printed, not spoken."""
    input_device: str | None = None
    """Microphone: a device number or part of its name; None = the system default."""
    output_device: str | None = None
    """Speaker: a device number or part of its name; None = the system default."""
    engine: str = "auto"
    """Speech recogniser: "auto" (the first usable in ``engines.RECOGNIZERS``) or an engine name."""
    vosk_model: Path | None = None
    """Folder of an unpacked vosk model; None = look in models/."""
    wake: bool = False
    """True = stay quiet until the wake phrase is heard."""
    wake_phrase: str = DEFAULT_WAKE_PHRASE
    """Lower-case words (2-6, letters only) that wake the assistant when ``wake`` is on."""
    data_dir: Path = field(default_factory=paths.data_dir)
    """Folder for the session journal and logs."""
    clock_speed: float = 1.0
    """Time multiplier (> 0); 60 makes a 15-minute session last 15 seconds (demos, tests)."""
    log_level: LogLevel = "WARNING"
    """Detail of the log: DEBUG, INFO, WARNING or ERROR (usable directly with logging)."""

    def __post_init__(self) -> None:
        for spec in FIELDS:
            value = getattr(self, spec.name)
            if value is None and spec.optional:
                continue
            try:
                normal = spec.parse(value, Path())
            except NotAllowed as exc:
                raise ValueError(f"Settings.{spec.name}={value!r}: must be {exc.allowed}") from None
            object.__setattr__(self, spec.name, normal)


# --------------------------------------------------------------------------- value checks


class NotAllowed(Exception):
    """A value failed its check; ``allowed`` says in words what would pass."""

    def __init__(self, allowed: str) -> None:
        super().__init__(allowed)
        self.allowed = allowed


Parser = Callable[[object, Path], object]


def _text_or_none(allowed: str) -> Parser:
    def parse(value: object, base: Path) -> str | None:
        if not isinstance(value, str):
            raise NotAllowed(allowed)
        return value.strip() or None

    return parse


def _device(value: object, base: Path) -> str | None:
    allowed = 'a device number (e.g. 2) or part of its name in quotes (e.g. "USB")'
    if isinstance(value, bool):
        raise NotAllowed(allowed)
    if isinstance(value, int):
        if value < 0:
            raise NotAllowed(allowed)
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    raise NotAllowed(allowed)


def _whole_number(low: int, high: int, unit: str) -> Parser:
    allowed = f"a whole number from {low} to {high} ({unit})"

    def parse(value: object, base: Path) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NotAllowed(allowed)
        if isinstance(value, float) and not value.is_integer():
            raise NotAllowed(allowed)
        number = int(value)
        if not low <= number <= high:
            raise NotAllowed(allowed)
        return number

    return parse


def _number(allowed: str, ok: Callable[[float], bool]) -> Parser:
    def parse(value: object, base: Path) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NotAllowed(allowed)
        number = float(value)
        if not math.isfinite(number) or not ok(number):
            raise NotAllowed(allowed)
        return number

    return parse


def _flag(value: object, base: Path) -> bool:
    if not isinstance(value, bool):
        raise NotAllowed("true or false (without quotes)")
    return value


def _choice(options: tuple[str, ...], *, upper: bool = False) -> Parser:
    shown = ", ".join(f'"{option}"' for option in options)
    allowed = f"one of {shown}"

    def parse(value: object, base: Path) -> str:
        if not isinstance(value, str):
            raise NotAllowed(allowed)
        word = value.strip().upper() if upper else value.strip().lower()
        if word not in options:
            raise NotAllowed(allowed)
        return word

    return parse


def _path(*, optional: bool) -> Parser:
    allowed = "a folder path in quotes" + (' (or "" for automatic)' if optional else "")

    def parse(value: object, base: Path) -> Path | None:
        if isinstance(value, Path):
            text = str(value)
        elif isinstance(value, str):
            text = value.strip()
        else:
            raise NotAllowed(allowed)
        if not text:
            if optional:
                return None
            raise NotAllowed(allowed)
        folder = Path(text).expanduser()
        return folder if folder.is_absolute() else base / folder

    return parse


def _wake_phrase(value: object, base: Path) -> str:
    low, high = WAKE_WORDS_RANGE
    allowed = f'{low} to {high} words made of letters a-z, in quotes (e.g. "{DEFAULT_WAKE_PHRASE}")'
    if not isinstance(value, str):
        raise NotAllowed(allowed)
    words = value.lower().split()
    if not low <= len(words) <= high or not all(re.fullmatch(r"[a-z]+", w) for w in words):
        raise NotAllowed(allowed)
    return " ".join(words)


def _text_to_bool(text: str) -> object:
    """Flags may arrive as text ("yes", "off"); anything unknown is left for the check to reject."""
    words = {"true": True, "yes": True, "on": True, "1": True}
    words |= {"false": False, "no": False, "off": False, "0": False}
    return words.get(text.strip().lower(), text)


def _text_to_number(text: str) -> object:
    try:
        return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class FieldSpec:
    """How one Settings field appears in the file ([section] key) and how it is checked."""

    name: str
    section: str
    key: str
    parse: Parser
    from_text: Callable[[str], object] | None = None
    """Turns command-line text into the TOML type before checking (numbers, true/false)."""
    optional: bool = False
    """None is allowed (it means "automatic"); TOML has no null, so the file uses "" or omits it."""


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("voice", "voice", "name", _text_or_none('a voice name in quotes, e.g. "en-us"'),
              optional=True),
    FieldSpec("rate", "voice", "rate", _whole_number(*RATE_RANGE, "words per minute"),
              _text_to_number),
    FieldSpec("volume", "voice", "volume",
              _number("a number from 0.0 (silent) to 1.0 (full)", lambda v: 0.0 <= v <= 1.0),
              _text_to_number),
    FieldSpec("mute", "voice", "mute", _flag, _text_to_bool),
    FieldSpec("tts", "voice", "engine", _choice(SPEAKER_NAMES)),
    FieldSpec("input_device", "audio", "input_device", _device, optional=True),
    FieldSpec("output_device", "audio", "output_device", _device, optional=True),
    FieldSpec("engine", "recognition", "engine", _choice(ENGINE_CHOICES)),
    FieldSpec("vosk_model", "recognition", "vosk_model", _path(optional=True), optional=True),
    FieldSpec("wake", "wake", "enabled", _flag, _text_to_bool),
    FieldSpec("wake_phrase", "wake", "phrase", _wake_phrase),
    FieldSpec("data_dir", "storage", "data_dir", _path(optional=False)),
    FieldSpec("clock_speed", "debug", "clock_speed",
              _number(f"a number greater than 0 and at most {MAX_CLOCK_SPEED:g} (1 = real time)",
                      lambda v: 0 < v <= MAX_CLOCK_SPEED),
              _text_to_number),
    FieldSpec("log_level", "debug", "log_level", _choice(LOG_LEVELS, upper=True)),
)  # fmt: skip
"""Every setting in file order: the loader, the flags and ``Settings`` itself check with these."""
_BY_NAME = {spec.name: spec for spec in FIELDS}


# --------------------------------------------------------------------------- flags on top


def merge_overrides(
    settings: Settings,
    overrides: Mapping[str, object],
    *,
    option_names: Mapping[str, str] | None = None,
) -> Settings:
    """Command-line values win over the file; a value of None means "flag not given".

    Keys are Settings field names. Text values are converted ("120" → 120, "yes" → True) and
    relative paths are taken from the current folder. A bad value raises ConfigError naming
    the option (``option_names`` maps a field to its flag when it is not ``--field-name``).
    """
    names = option_names or {}
    changes: dict[str, object] = {}
    for name, value in overrides.items():
        spec = _BY_NAME.get(name)
        if spec is None:
            raise ValueError(f"merge_overrides: {name!r} is not a Settings field")
        if value is None:
            continue
        given = spec.from_text(value) if spec.from_text and isinstance(value, str) else value
        try:
            changes[name] = spec.parse(given, Path.cwd())
        except NotAllowed as exc:
            option = names.get(name, "--" + name.replace("_", "-"))
            raise ConfigError(
                f"The option {option} {_flag_shown(value)} is not allowed: "
                f"it must be {exc.allowed}. Fix it on the command line and try again."
            ) from None
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]  # each value parsed by its field's spec above


def _flag_shown(value: object) -> str:
    text = str(value)
    return f'"{text}"' if not text or any(c.isspace() for c in text) else text
