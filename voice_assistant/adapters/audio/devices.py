"""Find microphones and speakers by name or number, and explain audio failures in words.

Everything that touches PortAudio's device list lives here so the microphone,
the player and ``heat-or-ice devices`` agree on names, numbers and messages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from voice_assistant.errors import AudioDeviceError

Kind = Literal["input", "output"]

PORTAUDIO_LOCK = threading.RLock()
"""Held while a stream is opened or played and while PortAudio is refreshed.

Refreshing PortAudio (to see a re-plugged microphone) kills every open stream,
so the player holds this lock for a whole playback and the refresh waits for it.
"""

INSTALL_PORTAUDIO = (
    "The sound library PortAudio is missing. Install it with "
    "`sudo apt-get install libportaudio2`, or type your answers with --text."
)
_WHAT = {"input": "microphone", "output": "speaker"}
_FLAG = {"input": "--device", "output": "--output-device"}


def import_sounddevice() -> Any:
    """``import sounddevice``, turning a missing PortAudio into a clear AudioDeviceError."""
    try:
        import sounddevice
    except (OSError, ImportError) as exc:
        raise AudioDeviceError(f"{INSTALL_PORTAUDIO} (detail: {exc})") from exc
    return sounddevice


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device; ``inputs``/``outputs`` are channel counts, ``default_rate`` Hz."""

    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: float
    hostapi: str = ""

    def channels(self, kind: Kind) -> int:
        return self.inputs if kind == "input" else self.outputs


@dataclass(frozen=True)
class DeviceTable:
    """A snapshot of the device list; a default index is -1 when there is none."""

    devices: tuple[DeviceInfo, ...] = ()
    default_input: int = -1
    default_output: int = -1

    def of_kind(self, kind: Kind) -> list[DeviceInfo]:
        return [d for d in self.devices if d.channels(kind) > 0]

    def default(self, kind: Kind) -> int:
        return self.default_input if kind == "input" else self.default_output


def table_from_sounddevice(
    devices: Sequence[Mapping[str, Any]],
    default_pair: Sequence[int],
    hostapis: Sequence[Mapping[str, Any]] = (),
) -> DeviceTable:
    """Build a table from what ``sd.query_devices()`` / ``sd.default.device`` return."""
    infos = []
    for position, dev in enumerate(devices):
        api_index = int(dev.get("hostapi", -1))
        api = str(hostapis[api_index]["name"]) if 0 <= api_index < len(hostapis) else ""
        infos.append(
            DeviceInfo(
                index=int(dev.get("index", position)),
                name=str(dev.get("name", "?")),
                inputs=int(dev.get("max_input_channels", 0)),
                outputs=int(dev.get("max_output_channels", 0)),
                default_rate=float(dev.get("default_samplerate", 0.0)),
                hostapi=api,
            )
        )
    pair = [int(x) if x is not None else -1 for x in default_pair] + [-1, -1]
    return DeviceTable(tuple(infos), default_input=pair[0], default_output=pair[1])


def query_devices() -> DeviceTable:
    """Ask PortAudio for its (frozen at start-up) device list."""
    sd = import_sounddevice()
    with PORTAUDIO_LOCK:
        try:
            devices = list(sd.query_devices())
            hostapis = list(sd.query_hostapis())
            default_pair = list(sd.default.device)
        except Exception as exc:
            raise AudioDeviceError(f"Cannot read the list of audio devices: {exc}") from exc
    return table_from_sounddevice(devices, default_pair, hostapis)


def refresh_portaudio() -> None:
    """Make PortAudio look for devices again (after a re-plug); kills open streams."""
    sd = import_sounddevice()
    with PORTAUDIO_LOCK:
        sd._terminate()
        sd._initialize()


def format_devices(table: DeviceTable) -> str:
    """The text printed by ``heat-or-ice devices``."""
    if not table.devices:
        return (
            "No audio devices found: this computer has no microphone and no speaker that\n"
            "the sound system can see. Plug one in (or check the sound settings) and run\n"
            "`heat-or-ice devices` again. Meanwhile you can type your answers with --text;\n"
            "replies are printed, and --save-speech DIR keeps them as WAV files."
        )
    lines: list[str] = []
    sections: tuple[tuple[Kind, str], ...] = (
        ("input", "Microphones (inputs)"),
        ("output", "Speakers (outputs)"),
    )
    for kind, title in sections:
        lines.append(f"{title}:")
        found = table.of_kind(kind)
        if not found:
            lines.append("  (none)")
        for dev in found:
            mark = "*" if dev.index == table.default(kind) else " "
            api = f", {dev.hostapi}" if dev.hostapi else ""
            lines.append(
                f" {mark}{dev.index:3d}  {dev.name}  "
                f"({dev.channels(kind)} ch, {dev.default_rate:.0f} Hz{api})"
            )
        lines.append("")
    lines.append("* = default. Choose a microphone with --device NAME|NUMBER and a speaker")
    lines.append("with --output-device NAME|NUMBER (part of the name is enough).")
    return "\n".join(lines)


def list_devices(query: Callable[[], DeviceTable] = query_devices) -> str:
    """Device listing for the user; never raises, never shows a traceback."""
    try:
        table = query()
    except AudioDeviceError as exc:
        return str(exc)
    return format_devices(table)


def _names(devices: Sequence[DeviceInfo]) -> str:
    if not devices:
        return "none"
    return ", ".join(f"{d.index} ({d.name})" for d in devices)


def no_device_message(kind: Kind) -> str:
    if kind == "input":
        return (
            "No microphone found. Plug one in and check it with `heat-or-ice devices`, "
            "choose one with --device, or type your answers with --text."
        )
    return (
        "No speaker or headphones found. Check them with `heat-or-ice devices` or "
        "choose one with --output-device; replies will be printed meanwhile."
    )


def resolve_device(
    spec: str | int | None,
    kind: Kind,
    query: Callable[[], DeviceTable] = query_devices,
) -> int:
    """Turn "2", 2, "usb" or None (the default) into a device index of the right kind.

    A name matches case-insensitively, an exact name first, otherwise the
    lowest-numbered device whose name contains ``spec``.
    """
    table = query()
    candidates = table.of_kind(kind)
    what, flag = _WHAT[kind], _FLAG[kind]
    if not candidates:
        raise AudioDeviceError(no_device_message(kind))
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        default = table.default(kind)
        if any(d.index == default for d in candidates):
            return default
        return candidates[0].index
    available = f"Available {what}s: {_names(candidates)}."
    text = str(spec).strip()
    if isinstance(spec, int) or text.lstrip("-").isdigit():
        index = int(text)
        if any(d.index == index for d in candidates):
            return index
        raise AudioDeviceError(
            f"There is no {what} number {index}. {available} "
            f"Choose one with {flag} (see `heat-or-ice devices`)."
        )
    key = text.lower()
    exact = [d for d in candidates if d.name.lower() == key]
    partial = [d for d in candidates if key in d.name.lower()]
    chosen = exact or partial
    if chosen:
        return chosen[0].index
    raise AudioDeviceError(
        f"No {what} matches '{text}'. {available} "
        f"Choose one with {flag} (see `heat-or-ice devices`)."
    )


def describe_stream_error(exc: BaseException, kind: Kind, device: str | int | None) -> str:
    """Words for a failure to open or run a stream: what is wrong and what to do."""
    what, flag = _WHAT[kind], _FLAG[kind]
    label = f" '{device}'" if device is not None else ""
    text = str(exc)
    code = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
    escape = "type your answers with --text" if kind == "input" else "replies will be printed"
    if "Error querying device -1" in text or code == -9996 or "Invalid device" in text:
        return no_device_message(kind)
    if code == -9985 or "Device unavailable" in text or "busy" in text.lower():
        return (
            f"The {what}{label} is busy: another program is using it. Close that program, "
            f"choose another with {flag} (see `heat-or-ice devices`), or {escape}."
        )
    if code == -9997 or "Invalid sample rate" in text:
        return (
            f"The {what}{label} cannot work at the sample rate we need. Choose the "
            f"'default' or 'pulse' device with {flag} (see `heat-or-ice devices`), "
            f"or {escape}."
        )
    return (
        f"The {what}{label} could not be used ({text}). Check it with `heat-or-ice devices`, "
        f"choose another with {flag}, or {escape}."
    )
