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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that gets a decision from the Whisper model: ``-m whisper``.

    Those are the tests whose results could depend on the CPU's instruction set;
    setup.sh runs them a second time under another one.
    """
    for item in items:
        names = getattr(item, "fixturenames", ())
        module = item.module.__name__  # type: ignore[attr-defined]  # pytest.Function has .module
        if "whisper" in names or module.rpartition(".")[2] == "test_asr_whisper":
            item.add_marker(pytest.mark.whisper)
