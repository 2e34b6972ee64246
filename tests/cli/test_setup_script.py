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


def run_setup(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", str(project / "setup.sh"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    if "Installing system packages" in done.stderr or "Debian package lists" in done.stderr:
        pytest.skip("this machine lacks the Debian packages; setup.sh would install them")
    return done


def setup_sh(project: Path, *args: str) -> list[str]:
    """Run setup.sh; returns the fake tools' calls it made (and clears the log)."""
    done = run_setup(project, *args)
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


def test_setup_says_one_line_per_step_then_ready(project: Path) -> None:
    done = run_setup(project, "run", "--text")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert [line.rsplit(" ... ", 1)[1] for line in lines if " ... " in line] == ["done"] * 3
    assert lines[-1].startswith("Ready: .venv holds heat-or-ice (")
    assert len(lines) == 4
    # pip's own output is in the log, not on the screen
    assert "pip install" in (project / "calls.log").read_text()


def test_a_failing_step_shows_the_end_of_its_log(project: Path) -> None:
    python = project / ".venv" / "bin" / "python"
    python.write_text(
        '#!/bin/sh\ncase "$*" in *run.txt*) echo "ERROR: no matching distribution"; exit 1;; esac\n'
    )
    done = run_setup(project, "run")
    assert done.returncode == 1
    assert "(locked versions; a few minutes the first time) ... failed" in done.stderr
    assert "ERROR: no matching distribution" in done.stderr
    assert str(project / ".setup.log") in done.stderr


def test_uninstall_keeps_the_history_unless_asked(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    made = [home / "config/heat-or-ice/settings.toml", home / "data/heat-or-ice/journal.db"]
    made += [home / "cache/heat-or-ice/speech/a.wav", home / "config/systemd/user/x"]
    for path in made:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    unit = home / "config/systemd/user/heat-or-ice.service"
    unit.write_text("[Unit]\n")
    (project / "models").mkdir()
    (project / "models" / "README.md").write_text("how to add a model")
    (project / "models" / "vosk-model-small-en-us-0.15").mkdir()
    done = run_setup(project, "uninstall", env=env)
    assert done.returncode == 0, done.stderr
    assert not (project / ".venv").exists() and not unit.exists()
    assert not (home / "cache/heat-or-ice").exists()
    assert [p.name for p in (project / "models").iterdir()] == ["README.md"]
    assert made[0].exists() and made[1].exists() and made[3].exists()
    assert "bash setup.sh uninstall --all" in done.stderr
    done = run_setup(project, "uninstall", "--all", env=env)
    assert done.returncode == 0, done.stderr
    assert not made[0].exists() and not made[1].exists() and made[3].exists()


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
