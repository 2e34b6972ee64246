"""The settings file: which one is read, reading it, and a message for every problem in it.

Layered like hassil's loaders so tests need no files: ``parse_settings(text)`` does the work,
``load_settings(path)`` adds the file reading (``config.merge_overrides`` adds the flags).

A bad settings file never stops the assistant: every problem becomes a message for the user
(which file, which line, which key, what is allowed, what to do) and the affected setting keeps
its default.

File layout (see docs/settings.example.toml)::

    [voice]        engine, name, rate, volume, mute
    [audio]        input_device, output_device
    [recognition]  engine, vosk_model
    [wake]         enabled, phrase
    [storage]      data_dir
    [debug]        clock_speed, log_level
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from voice_assistant import paths
from voice_assistant.settings.config import FIELDS, FieldSpec, NotAllowed, Settings

CONFIG_ENV = "HEAT_OR_ICE_CONFIG"
"""Environment variable naming a settings file; --config wins over it."""

EXAMPLE_FILE = "docs/settings.example.toml"
MAX_BYTES = 1_000_000
"""Largest settings file read (ours is under 2 KB); a device, a FIFO or an endless file
is refused at once, never read whole."""


@dataclass(frozen=True)
class LoadResult:
    """Settings plus the problems found on the way (empty when all went well)."""

    settings: Settings
    problems: list[str]
    """Messages for the user: what is wrong and what to do. Show each one; never fatal."""
    path: Path
    """The settings file that was (or would have been) read."""
    found: bool
    """True when the file existed and was read (even with problems)."""


_ALIASES = {
    "voice": "name", "speed": "rate", "wpm": "rate", "loudness": "volume", "wake": "enabled",
    "wake_phrase": "phrase", "device": "input_device", "microphone": "input_device",
    "mic": "input_device", "speaker": "output_device", "model": "vosk_model",
    "recognizer": "engine", "asr": "engine", "data": "data_dir", "log": "log_level",
}  # fmt: skip
"""Words people are likely to write for a setting; used only for "did you mean"."""
_SECTIONS: dict[str, dict[str, FieldSpec]] = {}
for _spec in FIELDS:
    _SECTIONS.setdefault(_spec.section, {})[_spec.key] = _spec


# --------------------------------------------------------------------------- file → settings


def choose_config_path(
    flag: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Path, bool]:
    """Which settings file to read, and whether the user named it (so a missing one is an error).

    Order: --config, then $HEAT_OR_ICE_CONFIG, then the per-user default (XDG).
    """
    env = os.environ if environ is None else environ
    if flag is not None and str(flag).strip():
        return Path(flag).expanduser(), True
    named = env.get(CONFIG_ENV, "").strip()
    if named:
        return Path(named).expanduser(), True
    return paths.default_config_path(), False


def load_settings(path: Path | None = None, *, explicit: bool = False) -> LoadResult:
    """Read settings from ``path`` (None: $HEAT_OR_ICE_CONFIG or the per-user default).

    ``explicit`` means the user named the file, so its absence is reported; a missing default
    file is normal and silently gives the defaults. Never raises for a bad file.
    """
    if path is None:
        path, from_env = choose_config_path(None)
        explicit = explicit or from_env
    where = f"The settings file {path}"
    try:
        raw = _read_bounded(path)
    except _NotAFile as exc:
        return _unreadable(
            path,
            f"{where} is {exc}, not a settings file. Point --config (or {CONFIG_ENV}) at "
            "the settings file itself.",
        )
    except _TooLarge:
        return _unreadable(
            path,
            f"{where} is larger than {MAX_BYTES // 1000} KB, far too large for settings. "
            f"Check that it is the right file (see {EXAMPLE_FILE}).",
            found=True,
        )
    except FileNotFoundError:
        problems = []
        if explicit:
            problems.append(
                f"{where} does not exist. Check the path given with --config "
                f"(or in {CONFIG_ENV}); the default settings are used for now."
            )
        return LoadResult(Settings(), problems, path, found=False)
    except IsADirectoryError:
        return _unreadable(
            path,
            f"{where} is a folder, not a file. Point --config at the "
            f"settings file itself, e.g. {path / paths.CONFIG_FILE_NAME}.",
        )
    except PermissionError:
        return _unreadable(
            path,
            f"{where} cannot be read: permission denied. Allow reading "
            f'it (for example "chmod u+r {path}").',
        )
    except OSError as exc:
        return _unreadable(path, f"{where} cannot be read ({exc.strerror or exc}).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return _unreadable(
            path,
            f"{where} is not plain UTF-8 text (line {line} has a byte "
            "that is not). Save it as UTF-8 text in a plain-text editor.",
            found=True,
        )
    return parse_settings(text, path=path)


class _NotAFile(Exception):
    """The settings path is a FIFO, a device or a socket (the kind is the message)."""


class _TooLarge(Exception):
    """The settings file holds more than MAX_BYTES."""


def _read_bounded(path: Path) -> bytes:
    """At most MAX_BYTES of a regular file; opened without blocking, so a FIFO never hangs."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            raise _NotAFile("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device")
        os.set_blocking(fd, True)
        raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise _TooLarge
    return raw


def _unreadable(path: Path, message: str, *, found: bool = False) -> LoadResult:
    return LoadResult(Settings(), [message + " The default settings are used."], path, found)


def parse_settings(text: str, *, path: Path | None = None) -> LoadResult:
    """Settings from TOML text; relative paths in it are taken from the file's folder."""
    shown = path if path is not None else Path("<text>")
    base = shown.absolute().parent if path is not None else Path.cwd()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return LoadResult(Settings(), [_syntax_message(shown, text, exc)], shown, found=True)
    except (RecursionError, MemoryError):  # tomllib recurses once per nesting level
        message = (
            f"Settings file {shown} is nested too deeply to be a settings file (tables or "
            f"lists inside each other hundreds of times). Write it like {EXAMPLE_FILE}; "
            "until then the default settings are used."
        )
        return LoadResult(Settings(), [message], shown, found=True)

    lines = _Lines(text.splitlines())
    problems: list[str] = []
    values: dict[str, object] = {}
    for section, content in data.items():
        if not isinstance(content, dict):
            problems.append(_top_level_message(shown, lines, section, content))
            continue
        known = _SECTIONS.get(section)
        if known is None:
            problems.append(_unknown_section_message(shown, lines, section))
            continue
        for key, value in content.items():
            spec = known.get(key)
            line = lines.find(section, key)
            if spec is None:
                problems.append(_unknown_key_message(shown, line, section, key))
                continue
            try:
                values[spec.name] = spec.parse(value, base)
            except NotAllowed as exc:
                problems.append(_bad_value_message(shown, line, spec, value, exc.allowed))
    settings = Settings(**values)  # type: ignore[arg-type]  # values were checked above
    return LoadResult(settings, problems, shown, found=True)


# --------------------------------------------------------------------------- settings → file


def settings_to_toml(settings: Settings) -> str:
    """The settings as a file in our layout (unset values commented out); loads back equal."""
    out: list[str] = []
    for section, keys in _SECTIONS.items():
        out.append(f"[{section}]")
        for key, spec in keys.items():
            value = getattr(settings, spec.name)
            if value is None:
                out.append(f'# {key} = ""')
            else:
                out.append(f"{key} = {_toml_value(value)}")
        out.append("")
    return "\n".join(out)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML
    return str(value)


# --------------------------------------------------------------------------- messages


MAX_SCANS = 100  # keys the index misses that are searched for line by line
_HEADER = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]")
_NAME = r"""("[^"\\]*"|'[^']*'|[A-Za-z0-9_-]+)"""
_KEY_LINE = re.compile(rf"\s*{_NAME}(?:\s*\.\s*{_NAME})?\s*[=.]")


def _unquote(name: str) -> str:
    return name[1:-1] if name[:1] in "\"'" and len(name) >= 2 else name


class _Lines:
    """The file's lines with an index of where each key and section is set, built in one
    pass, so locating every problem takes time in step with the file (not its square)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._keys: dict[tuple[str, str], int] = {}
        self._sections: dict[str, int] = {}
        self._scans = 0
        current = ""
        for number, line in enumerate(lines, start=1):
            header = _HEADER.match(line)
            if header:
                current = header.group(1).replace(" ", "")
                parts = [_unquote(part.strip()) for part in header.group(1).split(".")]
                self._sections.setdefault(parts[0], number)
                if len(parts) > 1:  # [section.key] as a sub-table
                    self._keys.setdefault((parts[0], parts[1]), number)
                continue
            found = _KEY_LINE.match(line)
            if found:
                first, second = _unquote(found.group(1)), found.group(2)
                self._keys.setdefault((current, first), number)
                if second is not None:  # section.key = ... (in any section)
                    self._keys.setdefault((first, _unquote(second)), number)

    def find(self, section: str, key: str) -> int | None:
        """1-based line where ``key`` is set inside ``[section]`` (or as ``section.key``)."""
        number = self._keys.get((section, key))
        if number is not None or self._scans >= MAX_SCANS:
            return number
        self._scans += 1  # an odd spelling: look through the file, a bounded number of times
        return _find_line(self.lines, section, key)

    def find_section(self, section: str) -> int | None:
        number = self._sections.get(section)
        return number if number is not None else self.find("", section)


def _find_line(lines: list[str], section: str, key: str) -> int | None:
    """1-based line where ``key`` is set inside ``[section]`` (or as ``section.key``)."""
    key_pattern = rf"""(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')"""
    in_section = re.compile(rf"\s*{key_pattern}\s*[=.]")
    dotted = re.compile(rf"\s*{re.escape(section)}\s*\.\s*{key_pattern}\s*[=.]")
    sub_table = re.compile(rf"\s*\[\[?\s*{re.escape(section)}\s*\.\s*{key_pattern}\s*[.\]]")
    current = ""
    fallback = None
    for number, line in enumerate(lines, start=1):
        header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]", line)
        if header:
            if sub_table.match(line):
                return number
            current = header.group(1).replace(" ", "")
            continue
        if current == section and in_section.match(line):
            return number
        if dotted.match(line):
            return number
        if fallback is None and re.search(rf"\b{re.escape(key)}\s*=", line):
            fallback = number
    return fallback


def _at(path: Path, line: int | None) -> str:
    return f"Settings file {path}, line {line}:" if line else f"Settings file {path}:"


def _suggest(word: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


def _syntax_message(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    detail = str(exc)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", detail)
    if found:
        line, column = int(found.group(1)), int(found.group(2))
        reason = detail[: found.start()]
        lines = text.splitlines()
        content = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        where = f"line {line}, column {column}" + (f" ({content})" if content else "")
    else:
        reason = re.sub(r"\s*\(at end of document\)\s*$", "", detail)
        where = "the end of the file"
    return (
        f"Settings file {path} is not valid TOML: {reason} at {where}. "
        f"Fix that line (every setting is shown in {EXAMPLE_FILE}); "
        "until then the default settings are used."
    )


def _top_level_message(path: Path, lines: _Lines, name: str, value: object = None) -> str:
    line = lines.find("", name)
    if name in _SECTIONS:
        first_key = next(iter(_SECTIONS[name]))
        return (
            f'{_at(path, line)} "{name}" is a section, not a setting: write the heading '
            f"[{name}] on its own line and its settings below it (for example {first_key} = "
            f"...). This line is ignored."
        )
    specs = [spec for spec in FIELDS if spec.key == name]
    if specs:
        # A key in two sections ([voice] engine, [recognition] engine): the one its value fits.
        fitting = [spec for spec in specs if _fits(spec, value)] or specs
        heading = " or ".join(f"[{spec.section}]" for spec in fitting)
        return (
            f'{_at(path, line)} "{name}" must be inside a section: put it below a '
            f"{heading} heading. This line is ignored."
        )
    return _unknown_key_message(path, line, "", name)


def _fits(spec: FieldSpec, value: object) -> bool:
    try:
        spec.parse(value, Path())
    except NotAllowed:
        return False
    return True


def _unknown_section_message(path: Path, lines: _Lines, section: str) -> str:
    line = lines.find_section(section)
    guess = _suggest(section, list(_SECTIONS))
    hint = f" Did you mean [{guess}]?" if guess else ""
    known = ", ".join(f"[{name}]" for name in _SECTIONS)
    return (
        f"{_at(path, line)} unknown section [{section}].{hint} The known sections are "
        f"{known}. Everything in [{section}] is ignored."
    )


def _unknown_key_message(path: Path, line: int | None, section: str, key: str) -> str:
    where = f" in [{section}]" if section else ""
    homes = [spec.section for spec in FIELDS if spec.key == key and spec.section != section]
    if homes:
        hint = f" It belongs in the [{homes[0]}] section: move it there."
    else:
        keys = list(_SECTIONS.get(section, {})) or [spec.key for spec in FIELDS]
        guess = (
            _ALIASES.get(key.lower())
            or _suggest(key, keys)
            or _suggest(key, [spec.key for spec in FIELDS])
        )
        hint = f' Did you mean "{guess}"?' if guess else ""
        if guess and section and guess not in _SECTIONS[section]:
            hint += f" (it goes in [{_field_for_key(guess).section}])"
    return f'{_at(path, line)} unknown setting "{key}"{where}.{hint} This line is ignored.'


def _field_for_key(key: str) -> FieldSpec:
    return next(spec for spec in FIELDS if spec.key == key)


def _bad_value_message(
    path: Path, line: int | None, spec: FieldSpec, value: object, allowed: str
) -> str:
    default = getattr(Settings(), spec.name)
    shown_default = "automatic" if default is None else _toml_value(default)
    return (
        f"{_at(path, line)} {spec.key} = {_shown(value)} is not allowed in [{spec.section}]: "
        f"it must be {allowed}. Using the default ({shown_default}) until you fix it."
    )


def _shown(value: object) -> str:
    if isinstance(value, dict | list):
        try:
            return json.dumps(value, default=str)[:60]
        except RecursionError:
            return "(a deeply nested value)"
    return _toml_value(value)
