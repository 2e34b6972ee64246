"""``heat-or-ice history``: past heat and ice sessions, newest first, from the journal."""

from __future__ import annotations

import sys

from voice_assistant import paths
from voice_assistant.commands import EXIT_OK
from voice_assistant.settings.config import Settings


def run(settings: Settings, limit: int) -> int:
    from voice_assistant.session.history import format_history
    from voice_assistant.session.journal.journal import open_journal_readonly
    from voice_assistant.session.plans import load_session_config

    config = load_session_config(paths.dialogs_dir() / "session.yaml")
    journal = open_journal_readonly(settings.data_dir, config)  # read-only folders, too
    print(format_history(journal.history(limit), config))
    for problem in journal.bad_rows:
        print(f"One session was left out: its record holds an impossible value ({problem}).",
              file=sys.stderr)  # fmt: skip
    return EXIT_OK
