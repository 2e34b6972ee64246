"""Where things live on disk: user settings, user data, and the folders shipped with the code.

Kept apart from config.py so any module can ask "where is dialogs/?" without loading settings.
platformdirs reads XDG_CONFIG_HOME / XDG_DATA_HOME (and the Windows/macOS equivalents) on each
call, so tests can redirect everything with monkeypatch.setenv.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "heat-or-ice"
CONFIG_FILE_NAME = "settings.toml"
DIALOGS_ENV = "HEAT_OR_ICE_DIALOGS"
MODELS_ENV = "HEAT_OR_ICE_MODELS"


def config_dir() -> Path:
    """The user's settings folder, e.g. ~/.config/heat-or-ice (not created here)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """The user's data folder (journal, logs), e.g. ~/.local/share/heat-or-ice (not created)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    """The settings file read when neither --config nor HEAT_OR_ICE_CONFIG names one."""
    return config_dir() / CONFIG_FILE_NAME


def repo_root() -> Path:
    """The folder holding the package, dialogs/ and models/ (a source checkout)."""
    return Path(__file__).resolve().parent.parent


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def dialogs_dir() -> Path:
    """The dialog YAML folder; HEAT_OR_ICE_DIALOGS points elsewhere (tests, clinicians' drafts)."""
    return _env_path(DIALOGS_ENV) or repo_root() / "dialogs"


def models_dir() -> Path:
    """Where speech models are installed; HEAT_OR_ICE_MODELS points elsewhere."""
    return _env_path(MODELS_ENV) or repo_root() / "models"
