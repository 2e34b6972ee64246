"""``heat-or-ice service install|remove|show``: start at boot, with nobody logging in.

The one systemd unit of the project is ``UNIT_TEMPLATE`` here (``service show``
prints it, for installing by hand).

The recipe is a systemd *user* unit plus "linger" for its user: systemd then
starts that user's services at boot, sound server included (PipeWire or
PulseAudio run as user services too), without anyone logging in. A system
unit with ``User=`` would start at boot as well, but without the user's sound
session the microphone and speaker are often out of reach.

Run by root, ``--user NAME`` installs it for another account (the person's);
otherwise for the account running the command. Every step that cannot be done
here (no systemd running, no permission) is printed as the exact command to
run instead, so following the output literally always finishes the job.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from voice_assistant.commands import EXIT_MISSING, EXIT_OK, EXIT_USAGE

UNIT_NAME = "heat-or-ice.service"

UNIT_TEMPLATE = """\
# heat-or-ice, always-on (wake phrase), started at boot for {user}.
# Made by `heat-or-ice service install`; remove with `heat-or-ice service remove`.
[Unit]
Description=heat-or-ice voice assistant (always-on, wake phrase)
After=sound.target pipewire.service pulseaudio.service

[Service]
Type=simple
ExecStart={command}
# SIGTERM makes it say goodbye and record any running session as interrupted.
KillSignal=SIGTERM
# Every sentence said (the advice too) is printed on stdout: keep it out of the system
# journal, which is kept for months and group adm may read. Problems with the program
# itself (no microphone, journal unavailable) go to stderr, so the journal shows why it
# stopped; the details are in the private heat-or-ice.log in the data folder (0600).
StandardOutput=null
StandardError=journal
TimeoutStopSec=20
# Without a microphone (not ready yet at boot, unplugged) it logs why and exits
# with code 1; it is started again after RestartSec, so it begins listening
# once the microphone works.
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
"""

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class Account:
    """Who the service runs as."""

    name: str
    uid: int
    gid: int
    home: Path

    @classmethod
    def named(cls, name: str | None) -> Account:
        entry = pwd.getpwuid(os.getuid()) if name is None else pwd.getpwnam(name)
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir))

    @property
    def unit_path(self) -> Path:
        if self.uid == os.getuid():
            config = os.environ.get("XDG_CONFIG_HOME") or str(self.home / ".config")
            return Path(config) / "systemd" / "user" / UNIT_NAME
        return self.home / ".config" / "systemd" / "user" / UNIT_NAME


def assistant_command() -> Path:
    """The heat-or-ice program of this installation (the one running now)."""
    found = Path(sys.executable).parent / "heat-or-ice"
    return found if found.exists() else Path(shutil.which("heat-or-ice") or found)


def unit_text(account: Account, program: Path) -> str:
    return UNIT_TEMPLATE.format(user=account.name, command=f"{program} --wake")


def unreachable(path: Path, account: Account) -> Path | None:
    """The first folder or file on ``path`` that ``account`` cannot use (None: it can).

    Another account cannot run a program inside, say, /root: found before
    anything is installed, so the advice is to move the folder first.
    """
    if account.uid in (0, os.getuid()):
        return None
    import grp

    groups = {account.gid} | {g.gr_gid for g in grp.getgrall() if account.name in g.gr_mem}
    for item in [*reversed(path.parents), path]:
        try:
            info = item.stat()
        except OSError:
            return item
        need = stat.S_IXOTH if item != path else stat.S_IXOTH | stat.S_IROTH
        if info.st_uid == account.uid:
            need <<= 6
        elif info.st_gid in groups:
            need <<= 3
        if info.st_mode & need != need:
            return item
    return None


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=30, check=False)


def _systemctl(account: Account, *args: str) -> list[str]:
    if account.uid == os.getuid():
        return ["systemctl", "--user", *args]
    return ["systemctl", "--user", f"--machine={account.name}@", *args]


def _steps(account: Account, *, remove: bool) -> list[list[str]]:
    if remove:
        return [
            _systemctl(account, "disable", "--now", UNIT_NAME),
            _systemctl(account, "daemon-reload"),
        ]
    return [
        ["loginctl", "enable-linger", account.name],
        _systemctl(account, "daemon-reload"),
        _systemctl(account, "enable", "--now", UNIT_NAME),
    ]


def _carry_out(steps: list[list[str]], run: Runner, out: Callable[[str], None]) -> bool:
    """Run each step; after the first that fails, print it and the rest to run by hand."""
    for index, step in enumerate(steps):
        try:
            done = run(step)
            failed = done.returncode != 0
            why = (done.stderr or done.stdout).strip().splitlines()[-1:] if failed else []
        except (OSError, subprocess.SubprocessError) as exc:
            failed, why = True, [str(exc)]
        if failed:
            out(f"Could not run `{' '.join(step)}` here ({' '.join(why) or 'no reason given'}).")
            out("Run these yourself (as root, or as the user for the systemctl lines):")
            for rest in steps[index:]:
                out(f"    {' '.join(rest)}")
            return False
    return True


def _account(user: str | None, out: Callable[[str], None]) -> Account | None:
    """The account ``user`` names (None: the one running this), or None after saying why."""
    try:
        return Account.named(user)
    except KeyError:
        out(f"There is no user called {user!r} on this computer.")
        return None


def install(user: str | None, *, run: Runner = _run, out: Callable[[str], None] = print) -> int:
    account = _account(user, out)
    if account is None:
        return EXIT_USAGE
    if user is not None and account.uid != os.getuid() and os.getuid() != 0:
        out("Installing the service for another user needs root: run it with sudo.")
        return EXIT_USAGE
    program = assistant_command()
    interpreter = Path(sys.executable).resolve()
    blocked = unreachable(program, account) or unreachable(interpreter, account)
    if blocked is not None:
        out(
            f"{account.name} cannot reach {program} ({blocked} is closed to them). Put the "
            "heat-or-ice folder where they can read it, for example /opt/heat-or-ice, run "
            "`bash setup.sh run` there once, then run this command again."
        )
        return EXIT_MISSING
    unit = account.unit_path
    unit.parent.mkdir(parents=True, exist_ok=True)
    unit.write_text(unit_text(account, program), encoding="utf-8")
    if account.uid != os.getuid():  # root installing for the person: theirs, not root's
        for item in (account.home / ".config", unit.parent.parent, unit.parent, unit):
            if item.stat().st_uid == os.getuid():
                os.chown(item, account.uid, account.gid)
    out(f"Wrote {unit} (runs `{program} --wake` as {account.name}).")
    if not _carry_out(_steps(account, remove=False), run, out):
        return EXIT_MISSING  # the unit is written; the printed steps finish the job
    out(f"heat-or-ice now starts at boot for {account.name}, without anyone logging in.")
    return EXIT_OK


def remove(user: str | None, *, run: Runner = _run, out: Callable[[str], None] = print) -> int:
    account = _account(user, out)
    if account is None:
        return EXIT_USAGE
    unit = account.unit_path
    if not unit.exists():
        out(f"No heat-or-ice service is installed for {account.name} ({unit} does not exist).")
        return EXIT_OK
    _carry_out(_steps(account, remove=True)[:1], run, out)
    unit.unlink()
    _carry_out(_steps(account, remove=True)[1:], run, out)
    out(
        f"Removed {unit}. Linger stays on for {account.name} (other services may need it); "
        f"`loginctl disable-linger {account.name}` turns it off."
    )
    return EXIT_OK


def show(user: str | None, *, out: Callable[[str], None] = print) -> int:
    account = _account(user, out)
    if account is None:
        return EXIT_USAGE
    out(f"# {account.unit_path}")
    out(unit_text(account, assistant_command()).rstrip("\n"))
    return EXIT_OK
