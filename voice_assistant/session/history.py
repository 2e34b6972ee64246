"""Past sessions as a plain-text table (for ``--history`` and the text console)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from voice_assistant.session.journal.journal_queries import HistoryRow
from voice_assistant.session.plans import SessionConfig, load_session_config


def format_history(
    rows: Sequence[HistoryRow], config: SessionConfig | None = None, tz: tzinfo | None = None
) -> str:
    """Title, then one aligned line per session: date, kind, planned and actual
    minutes, how it ended. Headings and words come from dialogs/session.yaml."""
    texts = (config or load_session_config()).history
    if not rows:
        return f"{texts['title']}\n{texts['empty']}"
    ended_names = texts["ended"]
    minutes = str(texts["minutes"])

    def mins(value: float | None) -> str:
        return "-" if value is None else minutes.format(minutes=round(value))

    table = [list(map(str, texts["columns"]))]
    for row in rows:
        table.append(
            [
                datetime.fromtimestamp(row.started, tz).strftime(texts["date_format"]),
                str(texts["kinds"].get(row.kind, row.kind)),
                mins(row.planned_minutes),
                mins(row.actual_minutes),
                str(ended_names.get(row.ended_how or "open", row.ended_how)),
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([str(texts["title"]), lines[0], rule, *lines[1:]])
