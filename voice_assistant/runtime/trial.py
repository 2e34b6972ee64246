"""Trying it out without a trace: a fast clock and a throwaway data folder.

A carer who tries a 30-second "fifteen minutes of ice" must not leave fifteen
simulated minutes in the person's history, nor a two-hour wait before their
real ice. Any run with a clock that is not real time is a trial.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from voice_assistant.settings.config import Settings

TRIAL_SPEED = 60.0
"""How much faster the clock runs for ``--try`` (fifteen minutes in fifteen seconds)."""


@dataclass(frozen=True)
class Trial:
    """A run whose sessions are not the person's: where they go and how fast time runs."""

    folder: Path
    speed: float
    throwaway: bool  # the folder is ours to delete when the run ends

    def notice(self) -> tuple[str, str]:
        """What is printed (with the folder) and what is spoken at start."""
        speed = f"{self.speed:g}"
        said = (
            f"This is a trial run: the clock runs {speed} times faster, and nothing is kept "
            "in your history."
        )
        if not self.throwaway:
            said = f"This is a trial run: the clock runs {speed} times faster."
            return f"{said} Sessions are written to {self.folder}.", said
        return f"{said} (Its sessions go to {self.folder}, deleted at the end.)", said

    def clean_up(self) -> None:
        if self.throwaway:
            shutil.rmtree(self.folder, ignore_errors=True)


def trial_settings(
    settings: Settings, *, asked: bool, data_dir_given: bool
) -> tuple[Settings, Trial | None]:
    """``settings`` for this run, and the trial it is (None: a real run).

    A trial when ``--try`` was asked for or the clock speed is not 1. Its data
    folder is a fresh private one, unless a folder was named on the command line
    (tests and demos that want to read the journal afterwards).
    """
    speed = settings.clock_speed
    if not asked and speed == 1.0:
        return settings, None
    if asked and speed == 1.0:
        speed = TRIAL_SPEED
    if data_dir_given:
        folder, throwaway = settings.data_dir, False
    else:
        folder, throwaway = Path(tempfile.mkdtemp(prefix="heat-or-ice-trial-")), True
    changed = dataclasses.replace(settings, clock_speed=speed, data_dir=folder)
    return changed, Trial(folder, speed, throwaway)
