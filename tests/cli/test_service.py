"""``heat-or-ice service``: the unit it writes, the steps it runs, and the unit's own command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import run_cli

from voice_assistant.commands import service


class Steps:
    """Records the commands instead of running them; ``fail`` makes one of them fail."""

    def __init__(self, fail: str = "") -> None:
        self.ran: list[str] = []
        self.fail = fail

    def __call__(self, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        line = " ".join(command)
        self.ran.append(line)
        failed = bool(self.fail) and self.fail in line
        return subprocess.CompletedProcess(list(command), int(failed), "", "Host is down")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path / "systemd" / "user" / "heat-or-ice.service"


def test_install_writes_the_unit_then_lingers_and_enables(config: Path) -> None:
    steps, said = Steps(), list[str]()
    assert service.install(None, run=steps, out=said.append) == 0
    me = service.Account.named(None).name
    assert steps.ran == [
        f"loginctl enable-linger {me}",
        "systemctl --user daemon-reload",
        "systemctl --user enable --now heat-or-ice.service",
    ]
    text = config.read_text()
    assert f"ExecStart={service.assistant_command()} --wake" in text
    assert "WantedBy=default.target" in text and "Restart=on-failure" in text
    assert said[-1].startswith("heat-or-ice now starts at boot")
    steps = Steps()
    assert service.remove(None, run=steps, out=said.append) == 0
    assert steps.ran == [
        "systemctl --user disable --now heat-or-ice.service",
        "systemctl --user daemon-reload",
    ]
    assert not config.exists()


def test_a_step_that_cannot_run_here_is_printed_with_the_rest(config: Path) -> None:
    said: list[str] = []
    assert service.install(None, run=Steps(fail="enable-linger"), out=said.append) == 1
    assert config.exists()
    assert "Could not run `loginctl enable-linger" in said[1] and "Host is down" in said[1]
    assert [line.strip() for line in said[3:]] == [
        f"loginctl enable-linger {service.Account.named(None).name}",
        "systemctl --user daemon-reload",
        "systemctl --user enable --now heat-or-ice.service",
    ]


def test_an_unknown_account_is_named() -> None:
    for command in (service.install, service.remove, service.show):
        said: list[str] = []
        assert command("no-such-user-here", out=said.append) == 2
        assert said == ["There is no user called 'no-such-user-here' on this computer."]


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to see another account's view")
def test_a_program_in_a_closed_folder_is_found_before_installing() -> None:
    import tempfile

    top = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's own tmp_path is closed to others
    top.chmod(0o755)
    closed = top / "closed"
    program = closed / "bin" / "heat-or-ice"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    closed.chmod(0o700)
    nobody = service.Account.named("nobody")
    assert service.unreachable(program, nobody) == closed
    closed.chmod(0o755)
    assert service.unreachable(program, nobody) is None
    program.chmod(0o700)
    assert service.unreachable(program, nobody) == program
    shutil.rmtree(top)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = tmp_path / "heat-or-ice.service"
    unit.write_text(service.unit_text(service.Account.named(None), service.assistant_command()))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_units_exact_command_runs_and_says_why_it_stops_without_a_microphone(
    tmp_path: Path,
) -> None:
    text = service.unit_text(service.Account.named(None), service.assistant_command())
    match = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE)
    assert match
    env = dict(
        os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "cfg")
    )
    done = subprocess.run(
        match.group(1).split(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    if "No microphone found" not in done.stderr:
        pytest.skip("this machine has a microphone: the service would start listening")
    assert done.returncode == 1  # systemd's Restart=on-failure starts it again
    assert "the service manager will start me again" in done.stderr
    assert "Traceback" not in done.stderr


def test_service_show_prints_the_unit() -> None:
    result = run_cli("service", "show")
    assert result.returncode == 0, result.stderr
    assert "ExecStart=" in result.stdout and "--wake" in result.stdout


def test_the_contrib_copy_is_the_unit_the_command_writes() -> None:
    from support import REPO

    copy = (REPO / "contrib" / "heat-or-ice.service").read_text(encoding="utf-8")
    unit = service.UNIT_TEMPLATE.format(user="@USER@", command="@BIN@ --wake")
    assert copy.endswith(unit)
    assert all(line.startswith("#") for line in copy.removesuffix(unit).splitlines())
