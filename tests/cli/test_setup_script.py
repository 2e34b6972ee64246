"""setup.sh: "run" installs what running needs, "test" the test tools; the stamp tells which.

setup.sh runs in a copy of the repository whose .venv holds fake python, ruff, mypy
and heat-or-ice scripts that log their arguments, so no package is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support import REPO

FAKE = """#!/bin/sh
echo "$(basename "$0") $*" >> "{log}"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    if shutil.which("dpkg-query") is None:
        pytest.skip("setup.sh checks Debian packages with dpkg-query")
    for name in ("setup.sh", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "requirements", tmp_path / "requirements")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("python", "ruff", "mypy", "heat-or-ice"):
        script = bin_dir / tool
        script.write_text(FAKE.format(log=tmp_path / "calls.log"))
        script.chmod(0o755)
    return tmp_path


def setup_sh(project: Path, *args: str) -> list[str]:
    """Run setup.sh; returns the fake tools' calls it made (and clears the log)."""
    done = subprocess.run(
        ["bash", str(project / "setup.sh"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if "apt-get" in done.stderr or "Installing system packages" in done.stderr:
        pytest.skip("this machine lacks the Debian packages; setup.sh would install them")
    assert done.returncode == 0, done.stderr
    log = project / "calls.log"
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def pip_installs(calls: list[str]) -> list[str]:
    """The locks installed from (build.txt aside), one entry per install: "dev+piper"."""
    installs = []
    for call in calls:
        words = call.split()
        if "pip install" not in call or "--require-hashes" not in words:
            continue
        locks = [Path(words[i + 1]).stem for i, w in enumerate(words) if w == "-r"]
        if locks != ["build"]:
            installs.append("+".join(locks))
    return installs


def test_every_package_comes_from_a_lock_and_the_project_without_dependencies(
    project: Path,
) -> None:
    calls = [call for call in setup_sh(project, "run") if "pip install" in call]
    here = str(project)
    assert len(calls) == 3
    assert calls[0].endswith(f"--require-hashes -r {here}/requirements/build.txt")
    assert calls[1].endswith(f"--require-hashes -r {here}/requirements/run.txt")
    assert calls[2].endswith(f"--no-deps --no-build-isolation -e {here}")


def test_run_installs_without_dev_and_test_adds_it(project: Path) -> None:
    assert pip_installs(setup_sh(project, "run", "--text")) == ["run"]
    calls = setup_sh(project, "run", "--text")
    assert pip_installs(calls) == []  # stamp matches: straight to the assistant
    assert calls == ["heat-or-ice --text"]
    assert pip_installs(setup_sh(project, "test", "-q")) == ["dev"]
    assert pip_installs(setup_sh(project, "test", "-q")) == []
    assert pip_installs(setup_sh(project, "run")) == []  # dev includes what running needs


def test_changed_pyproject_reinstalls_the_same_kind(project: Path) -> None:
    setup_sh(project, "run")
    with (project / "pyproject.toml").open("a") as file:
        file.write("\n# changed\n")
    assert pip_installs(setup_sh(project, "run")) == ["run"]


def test_a_changed_lock_reinstalls(project: Path) -> None:
    setup_sh(project, "run")
    with (project / "requirements" / "run.txt").open("a") as file:
        file.write("\n# changed\n")
    assert pip_installs(setup_sh(project, "run")) == ["run"]


def test_pip_shows_its_progress(project: Path) -> None:
    calls = setup_sh(project, "run")
    assert calls and all(" -q" not in call for call in calls if "pip" in call)


def test_the_test_command_runs_every_check(project: Path) -> None:
    calls = setup_sh(project, "test", "-q")
    checks = [call for call in calls if "pip" not in call]
    assert checks[:3] == [
        "ruff check voice_assistant tests bench",
        "ruff format --check voice_assistant tests bench",
        "mypy ",  # the fake logs "NAME ARGS"
    ]
    assert checks[3] == "python -m pytest -q"
    # The Whisper decisions once more, under another CPU instruction set.
    assert checks[4] == "python -m pytest -m whisper -q"
    assert len(checks) == 5


def test_piper_flag_adds_the_natural_voice_once(project: Path) -> None:
    calls = setup_sh(project, "run", "--piper", "--text")
    assert pip_installs(calls) == ["run+piper"]
    assert calls[-1] == "heat-or-ice --tts piper --text"
    assert pip_installs(setup_sh(project, "run")) == []  # with Piper includes without
    assert pip_installs(setup_sh(project, "test", "-q")) == ["dev"]
