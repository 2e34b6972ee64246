"""``heat-or-ice devices``: list the microphones and speakers this machine offers."""

from __future__ import annotations

from voice_assistant.commands import EXIT_OK


def run() -> int:
    from voice_assistant.adapters.audio.devices import list_devices

    print(list_devices())
    return EXIT_OK
