"""Device listing and lookup: clear words for every case, never a traceback."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from voice_assistant.adapters.audio import devices
from voice_assistant.adapters.audio.devices import (
    DeviceInfo,
    DeviceTable,
    Kind,
    describe_stream_error,
    format_devices,
    list_devices,
    query_devices,
    resolve_device,
    table_from_sounddevice,
)
from voice_assistant.errors import AudioDeviceError

TABLE = DeviceTable(
    devices=(
        DeviceInfo(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)", 2, 2, 44100.0, "ALSA"),
        DeviceInfo(1, "USB PnP Sound Device: Audio (hw:1,0)", 1, 0, 48000.0, "ALSA"),
        DeviceInfo(2, "HDMI 0 (hw:0,3)", 0, 8, 48000.0, "ALSA"),
        DeviceInfo(3, "pulse", 32, 32, 44100.0, "ALSA"),
        DeviceInfo(4, "default", 32, 32, 44100.0, "ALSA"),
    ),
    default_input=4,
    default_output=4,
)


def fake_query() -> DeviceTable:
    return TABLE


def empty_query() -> DeviceTable:
    return DeviceTable()


def test_this_machine_lists_devices_or_says_there_are_none() -> None:
    try:
        table = query_devices()
    except AudioDeviceError as exc:  # PortAudio missing: the words must say how to install it
        assert "libportaudio2" in str(exc)
        assert "libportaudio2" in list_devices()
        return
    text = list_devices()
    if table.devices:
        assert "Microphones (inputs):" in text
    else:
        assert text.startswith("No audio devices found")
        assert "--text" in text
        assert "Traceback" not in text


def test_listing_shows_index_name_channels_rate_and_defaults() -> None:
    text = format_devices(TABLE)
    inputs, outputs = text.split("Speakers (outputs):")
    assert "USB PnP Sound Device" in inputs
    assert "HDMI 0" not in inputs  # output-only device is not a microphone
    assert "HDMI 0" in outputs
    assert "USB PnP" not in outputs
    assert "   1  USB PnP Sound Device: Audio (hw:1,0)  (1 ch, 48000 Hz, ALSA)" in inputs
    assert " *  4  default  (32 ch, 44100 Hz, ALSA)" in inputs
    assert " *  4  default" in outputs
    assert "--device" in text
    assert "--output-device" in text


def test_no_devices_gives_a_clear_text() -> None:
    text = list_devices(empty_query)
    assert "No audio devices found" in text
    assert "--text" in text


def test_missing_portaudio_is_explained_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_portaudio() -> None:
        raise AudioDeviceError(devices.INSTALL_PORTAUDIO)

    monkeypatch.setattr(devices, "import_sounddevice", no_portaudio)
    text = list_devices()
    assert "apt-get install libportaudio2" in text


def test_import_sounddevice_turns_oserror_into_words(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> ModuleType:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(AudioDeviceError, match="apt-get install libportaudio2"):
        devices.import_sounddevice()


def test_table_from_sounddevice_dicts() -> None:
    raw = [
        {"name": "mic", "index": 0, "hostapi": 0, "max_input_channels": 1,
         "max_output_channels": 0, "default_samplerate": 16000.0},
        {"name": "spk", "index": 1, "hostapi": 0, "max_input_channels": 0,
         "max_output_channels": 2, "default_samplerate": 48000.0},
    ]  # fmt: skip
    table = table_from_sounddevice(raw, [0, -1], [{"name": "ALSA"}])
    assert table.devices[0] == DeviceInfo(0, "mic", 1, 0, 16000.0, "ALSA")
    assert table.default_input == 0
    assert table.default_output == -1
    assert [d.name for d in table.of_kind("output")] == ["spk"]


@pytest.mark.parametrize(
    ("spec", "kind", "expected"),
    [
        (None, "input", 4),
        (None, "output", 4),
        (1, "input", 1),
        ("1", "input", 1),
        (" 3 ", "output", 3),
        ("usb", "input", 1),
        ("USB PnP", "input", 1),
        ("hdmi", "output", 2),
        ("PULSE", "input", 3),
        ("default", "output", 4),  # exact name beats "default" being part of nothing else
        ("hw:0", "output", 0),  # first (lowest-numbered) partial match
    ],
)
def test_resolve_device(spec: str | int | None, kind: Kind, expected: int) -> None:
    assert resolve_device(spec, kind, fake_query) == expected


def test_resolve_unknown_name_lists_what_exists() -> None:
    with pytest.raises(AudioDeviceError) as info:
        resolve_device("blue yeti", "input", fake_query)
    message = str(info.value)
    assert "No microphone matches 'blue yeti'" in message
    assert "1 (USB PnP Sound Device: Audio (hw:1,0))" in message
    assert "HDMI" not in message  # not a microphone
    assert "--device" in message


def test_resolve_output_only_device_as_microphone_is_refused() -> None:
    with pytest.raises(AudioDeviceError, match="no microphone number 2"):
        resolve_device(2, "input", fake_query)


def test_resolve_with_no_devices_says_what_to_do() -> None:
    with pytest.raises(AudioDeviceError, match=r"No microphone found.*--text"):
        resolve_device(None, "input", empty_query)
    with pytest.raises(AudioDeviceError, match="No speaker or headphones found"):
        resolve_device("usb", "output", empty_query)


def test_resolve_default_missing_falls_back_to_first_of_kind() -> None:
    table = DeviceTable(devices=(DeviceInfo(7, "only mic", 1, 0, 16000.0),))
    assert resolve_device(None, "input", lambda: table) == 7


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (("Error querying device -1",), "No microphone found"),
        (("Error opening RawInputStream: Device unavailable", -9985), "is busy"),
        (("Error opening RawInputStream: Invalid sample rate", -9997), "'default' or 'pulse'"),
        (("Error opening RawInputStream: Internal PortAudio error", -9986), "could not be used"),
    ],
)
def test_stream_errors_in_words(error: tuple[str | int, ...], words: str) -> None:
    sd = pytest.importorskip("sounddevice")
    message = describe_stream_error(sd.PortAudioError(*error), "input", "usb")
    assert words in message
    assert "--text" in message or "--device" in message
