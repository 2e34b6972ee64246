"""``heat-or-ice doctor``: the checks themselves live in ``voice_assistant.doctor``."""

from __future__ import annotations

from pathlib import Path

from voice_assistant import paths
from voice_assistant.settings.config import Settings


def run(settings: Settings, config_flag: Path | None, dialogs: Path | None) -> int:
    """Check microphone, speaker, engine, journal and settings; ``dialogs`` None: shipped ones."""
    from voice_assistant.doctor import run_doctor

    return run_doctor(
        settings,
        config_flag=config_flag,
        dialogs_dir=dialogs if dialogs is not None else paths.dialogs_dir(),
    )
