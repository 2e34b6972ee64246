"""Session timer (phases, announcements, voice control) and the SQLite journal.

The timer is pure (``now`` is always passed in); the journal is the only I/O here.
"""

from voice_assistant.session.history import format_history
from voice_assistant.session.journal.journal import Journal, default_data_dir, open_journal
from voice_assistant.session.journal.journal_queries import HistoryRow, InterruptedSession
from voice_assistant.session.plans import (
    MinutesCheck,
    Phase,
    Plan,
    SessionConfig,
    load_session_config,
)
from voice_assistant.session.timer.timer import SessionTimer
from voice_assistant.session.timer.timer_state import (
    PhaseRecord,
    Status,
    TimerSnapshot,
    TimerState,
)

__all__ = [
    "HistoryRow",
    "InterruptedSession",
    "Journal",
    "MinutesCheck",
    "Phase",
    "PhaseRecord",
    "Plan",
    "SessionConfig",
    "SessionTimer",
    "Status",
    "TimerSnapshot",
    "TimerState",
    "default_data_dir",
    "format_history",
    "load_session_config",
    "open_journal",
]
