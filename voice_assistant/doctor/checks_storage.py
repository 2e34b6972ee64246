"""Doctor checks for what the assistant reads and writes: settings, dialogs, journal, disk.

None of these is about sound; each returns a ``Check`` naming the file or folder involved.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from voice_assistant.doctor.check import Check
from voice_assistant.doctor.deps import MIN_FREE_BYTES
from voice_assistant.errors import AssistantError
from voice_assistant.settings.config_file import EXAMPLE_FILE, choose_config_path, load_settings


def check_settings(config_flag: Path | str | None, environ: Mapping[str, str]) -> Check:
    """Which settings file is read, and every problem in it (each names line and key)."""
    path, explicit = choose_config_path(config_flag, environ)
    result = load_settings(path, explicit=explicit)
    name = "Settings"
    if result.problems:
        count = len(result.problems)
        return Check(
            name,
            "warning",
            False,
            f"{path} has {count} problem{'s' if count != 1 else ''}; the settings affected "
            f"keep their defaults. Fix {'them' if count != 1 else 'it'} (every setting is "
            f"shown in {EXAMPLE_FILE}):",
            tuple(result.problems),
        )
    if not result.found:
        return Check(
            name,
            "ok",
            False,
            f"there is no settings file at {path}, so the defaults are used. To change them, "
            f"copy {EXAMPLE_FILE} there and edit it.",
        )
    speed = result.settings.clock_speed
    if speed != 1.0:
        return Check(
            name,
            "warning",
            False,
            f"{path} sets clock_speed = {speed:g}: every run is a trial, its clock {speed:g} "
            "times faster than real time and nothing kept in the history. Remove that line "
            "(or set it to 1) before real use; for a trial, `heat-or-ice --try` is enough.",
        )
    return Check(name, "ok", False, f"{path} was read without problems.")


def check_dialogs(directory: Path) -> Check:
    """The dialog YAML files load and fit together (without them nothing can be said)."""
    from voice_assistant.dialog.script import load_script
    from voice_assistant.session.plans import load_session_config

    script = load_script(directory)
    config = load_session_config(directory / "session.yaml")
    return Check(
        "Dialog files",
        "ok",
        True,
        f"the files in {directory} load ({len(script.questions)} questions, "
        f"{len(script.advice)} kinds of advice, {len(config.plans)} session plans).",
    )


def check_journal(data_dir: Path, dialogs_dir: Path, now: float) -> Check:
    """The journal opens (creating the folder if needed) and can be written."""
    from voice_assistant.session.journal.journal import open_journal
    from voice_assistant.session.plans import load_session_config

    name = "Journal"
    config = load_session_config(dialogs_dir / "session.yaml")
    try:
        journal = open_journal(data_dir, config)
    except AssistantError as exc:
        return Check(
            name,
            "problem",
            False,
            f"{exc} The assistant still works without it, but cannot check the time since "
            "your last session.",
        )
    try:
        rows = journal.history(limit=1_000_000)
        interrupted = journal.find_interrupted(now)
    finally:
        journal.close()
    count = len(rows)
    message = f"{journal.path} is writable; {count} session{'s' if count != 1 else ''} recorded"
    if rows:
        last = datetime.fromtimestamp(rows[0].started).strftime("%Y-%m-%d %H:%M")
        message += f", the last on {last}"
    message += "."
    if interrupted is not None:
        message += (
            f" The last {interrupted.kind.replace('_', ' ')} session was interrupted "
            f"{interrupted.minutes_ago:.0f} minutes ago; the assistant will mention it when it "
            "starts."
        )
    return Check(name, "ok", False, message)


def _existing_parent(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path.cwd()


def check_disk(data_dir: Path, min_free_bytes: int = MIN_FREE_BYTES) -> Check:
    """Enough free space where the journal lives (a full disk stops it saving)."""
    where = _existing_parent(data_dir)
    free = shutil.disk_usage(where).free
    shown = f"{free / 1e9:.1f} GB" if free >= 1e9 else f"{free / 1e6:.0f} MB"
    if free < min_free_bytes:
        return Check(
            "Disk space",
            "warning",
            False,
            f"only {shown} free on the disk holding {where}. Free some space, or choose "
            "another folder with --data-dir, so the journal can keep saving.",
        )
    return Check("Disk space", "ok", False, f"{shown} free on the disk holding {where}.")
