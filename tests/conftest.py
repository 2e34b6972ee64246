"""Shared fixtures."""

from __future__ import annotations

import pytest
from hypothesis import settings
from support import DIALOGS

from voice_assistant.dialog.script import DialogScript, load_script

# Property tests check behaviour, never speed (speed is measured in bench/): no
# per-example deadline, which a busy machine would turn into random failures.
settings.register_profile("behaviour", deadline=None)
settings.load_profile("behaviour")


@pytest.fixture(scope="session")
def script() -> DialogScript:
    return load_script(DIALOGS)
