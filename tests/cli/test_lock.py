"""The locks in requirements/: complete, hashed, true to pyproject.toml, installed, refreshable.

setup.sh installs only from these files (``pip install --require-hashes``), so
the figures in the README and the decisions in the tests come from one known
set of packages.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from support import REPO

LOCKS = REPO / "requirements"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: Marker | None
    hashes: int

    def applies(self) -> bool:
        return self.marker is None or self.marker.evaluate()


def pins(lock: str) -> list[Pin]:
    """The pins of ``requirements/<lock>.txt`` with their hash counts."""
    found: list[Pin] = []
    for line in (LOCKS / f"{lock}.txt").read_text().splitlines():
        match = PIN.match(line)
        if match:
            name, version, marker = match.groups()
            found.append(
                Pin(
                    str(canonicalize_name(name)),
                    Version(version),
                    Marker(marker) if marker else None,
                    0,
                )
            )
        elif line.strip().startswith("--hash=sha256:") and found:
            last = found[-1]
            found[-1] = Pin(last.name, last.version, last.marker, last.hashes + 1)
    return found


def applying(lock: str) -> dict[str, Version]:
    return {pin.name: pin.version for pin in pins(lock) if pin.applies()}


def project() -> dict[str, list[str]]:
    table = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {"run": table["dependencies"], **table["optional-dependencies"]}


@pytest.mark.parametrize("lock", ["build", "run", "dev", "piper"])
def test_every_pin_is_exact_and_hashed(lock: str) -> None:
    found = pins(lock)
    assert found, f"no pins read from {lock}.txt"
    assert all(pin.hashes >= 1 for pin in found), [p.name for p in found if not p.hashes]
    lines = [
        line
        for line in (LOCKS / f"{lock}.txt").read_text().splitlines()
        if line and not line.startswith((" ", "#"))
    ]
    assert len(lines) == len(found), "a requirement line that is not an exact pin"


@pytest.mark.parametrize(("lock", "extras"), [("run", []), ("dev", ["dev"]), ("piper", ["piper"])])
def test_each_lock_satisfies_pyproject(lock: str, extras: list[str]) -> None:
    locked = applying(lock)
    wanted = [Requirement(text) for key in ["run", *extras] for text in project()[key]]
    for requirement in wanted:
        name = str(canonicalize_name(requirement.name))
        assert name in locked, f"{requirement} is not in {lock}.txt"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{lock}.txt pins {name} {locked[name]}, pyproject.toml wants {requirement}"
        )


@pytest.mark.parametrize("lock", ["dev", "piper"])
def test_the_extra_locks_keep_the_run_versions(lock: str) -> None:
    run = applying("run")
    extra = applying(lock)
    assert {name: extra[name] for name in run} == run


def test_this_environment_has_exactly_the_locked_versions() -> None:
    installed = {
        str(canonicalize_name(dist.metadata["Name"])): Version(dist.version)
        for dist in importlib.metadata.distributions()
    }
    locked = applying("dev")
    if "piper-tts" in installed:
        locked |= applying("piper")
    wrong = {
        name: (str(version), str(installed.get(name)))
        for name, version in locked.items()
        if installed.get(name) != version
    }
    assert not wrong, f"locked vs installed (run bash setup.sh setup): {wrong}"
    unlocked = set(installed) - set(locked) - set(applying("build")) - {"heat-or-ice"}
    assert not unlocked, f"installed but in no lock: {sorted(unlocked)}"


def test_a_refresh_on_the_recorded_date_gives_the_same_locks(tmp_path: Path) -> None:
    header = (LOCKS / "run.txt").read_text().splitlines()[1]
    date = re.search(r"--date (\d{4}-\d{2}-\d{2})", header)
    assert date, f"run.txt does not say how it was made: {header!r}"
    done = subprocess.run(
        ["bash", str(REPO / "setup.sh"), "lock", "--date", date.group(1), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 and re.search(r"(?i)connect|dns|network|timed out", done.stderr):
        pytest.skip(f"the package index cannot be reached: {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stderr
    for lock in ("build", "run", "dev", "piper"):
        assert (tmp_path / f"{lock}.txt").read_text() == (LOCKS / f"{lock}.txt").read_text(), lock
