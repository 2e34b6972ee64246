"""Shared fixtures."""

from __future__ import annotations

import pytest
from support import DIALOGS

from voice_assistant.dialog.script import DialogScript, load_script


@pytest.fixture(scope="session")
def script() -> DialogScript:
    return load_script(DIALOGS)
