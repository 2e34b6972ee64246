"""Fetch, check and install a speech model safely (for ``heat-or-ice models download``).

The download is the only network access the assistant ever makes, and only
when asked. It streams to a hidden ``.part`` file in the models folder (a
rerun resumes it when the server allows), checks the SHA-256, unpacks into a
hidden temporary folder with every path checked (no absolute paths, no
``..``, no links) and moves the finished model into place in one rename, so
``models/`` never holds half a model.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Any

from voice_assistant.adapters import whisper_model
from voice_assistant.adapters.asr_vosk import (
    DEFAULT_MODEL_NAME,
    MODELS_PAGE,
    model_problems,
)
from voice_assistant.errors import RecognizerError

DEFAULT_URL = f"https://alphacephei.com/vosk/models/{DEFAULT_MODEL_NAME}.zip"
# Published checksum and size of vosk-model-small-en-us-0.15.zip. The same
# value is pinned independently by the AUR vosk-api-bin PKGBUILD, the
# meta-vosk Yocto recipe and several apps; alphacephei.com lists the size (40M).
DEFAULT_SHA256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
DEFAULT_SIZE = 41_205_931
_CHUNK = 64 * 1024
_TIMEOUT_S = 30.0
_MAX_UNPACKED = 4 * 1024**3  # refuse archives that claim to unpack to more than 4 GiB
_UNPACK_FACTOR = 3  # zip + unpacked model ~ 2.7x the zip for vosk models
_USER_AGENT = "heat-or-ice-models/1"
WHISPER = whisper_model.MODEL_NAME


class ModelDownloadError(RecognizerError):
    """The model could not be downloaded or installed; the message says why and what to do."""


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


def _normalize_url(url: str) -> str:
    """Accept a local zip path too (offline installs), as a file:// URL."""
    scheme = urllib.parse.urlparse(url).scheme.lower()
    if scheme in {"http", "https", "file"}:
        return url
    if scheme == "" or (len(scheme) == 1 and os.name == "nt"):
        local = Path(url).expanduser()
        if not local.is_file():
            raise ModelDownloadError(
                f"There is no file at {local}. Give the path of the downloaded model zip, "
                f"or leave out --url to download {DEFAULT_MODEL_NAME}."
            )
        return local.resolve().as_uri()
    raise ModelDownloadError(
        f"Cannot download from {url!r}: only http, https and file addresses are supported."
    )


# -- download ----------------------------------------------------------------------


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _disk_full(dest_dir: Path, needed: int | None) -> ModelDownloadError:
    need = f" about {needed // 1_000_000 + 1} MB" if needed else " more space"
    return ModelDownloadError(
        f"The disk holding {dest_dir} is full: the model needs{need}. Free some space "
        "(or choose another folder with --dest) and run the command again."
    )


def _copy_stream(response: IO[bytes], sink: IO[bytes], update: Callable[[int], object]) -> int:
    copied = 0
    while chunk := response.read(_CHUNK):
        sink.write(chunk)
        copied += len(chunk)
        update(len(chunk))
    return copied


def _progress_bar(total: int | None, initial: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=desc,
        disable=not enabled,
        leave=False,
    )


def _open(url: str, start: int, timeout: float) -> Any:
    headers = {"User-Agent": _USER_AGENT}
    if start > 0:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)


def _network_error(url: str, exc: BaseException) -> ModelDownloadError:
    host = urllib.parse.urlparse(url).netloc or url
    if isinstance(exc, urllib.error.HTTPError):
        return ModelDownloadError(
            f"The server answered {exc.code} {exc.reason} for {url}. Check the address, "
            f"or download the model by hand from {MODELS_PAGE} and unzip it into models/."
        )
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if urllib.parse.urlparse(url).scheme == "file":
        return ModelDownloadError(f"Cannot read the model zip {url} ({reason}).")
    return ModelDownloadError(
        f"Could not download from {host} ({reason}). Check the internet connection and "
        "run the command again (it resumes where it stopped). Without internet, fetch "
        f"the zip on another computer from {MODELS_PAGE} and run: "
        "heat-or-ice models download --url PATH/TO/THE.zip"
    )


def _fetch(url: str, part: Path, *, progress: bool, timeout: float, desc: str) -> None:
    """Download ``url`` into ``part``, resuming from what is already there."""
    start = part.stat().st_size if part.exists() else 0
    try:
        response_cm = _open(url, start, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start > 0:  # we already have everything
            exc.close()
            return
        exc.close()
        raise _network_error(url, exc) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _network_error(url, exc) from exc
    with response_cm as response:
        status = getattr(response, "status", 200) or 200
        resumed = start > 0 and status == 206
        if not resumed:
            start = 0  # server ignored the range (or file://): start over
        length_header = response.headers.get("Content-Length")
        length = int(length_header) if length_header and length_header.isdigit() else None
        total = start + length if length is not None else None
        if total is not None:
            needed = (total - start) + total * (_UNPACK_FACTOR - 1)
            if _free_bytes(part.parent) < needed:
                raise _disk_full(part.parent, needed)
        bar = _progress_bar(total, start, desc, progress)
        try:
            with part.open("ab" if resumed else "wb") as sink:
                copied = _copy_stream(response, sink, bar.update)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                part.unlink(missing_ok=True)
                raise _disk_full(part.parent, total) from exc
            raise _network_error(url, exc) from exc
        except http.client.HTTPException as exc:  # IncompleteRead: closed mid-way
            raise _network_error(url, exc) from exc
        finally:
            bar.close()
        if length is not None and copied < length:
            raise _network_error(
                url,
                ConnectionError(f"the connection closed after {start + copied} of {total} bytes"),
            )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


# -- safe unpacking ----------------------------------------------------------------------


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's relative path, or raise if it could escape the folder.

    Returns None for entries to skip (the "./" root entry).
    """
    name = info.filename
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool stored no type
    if kind == stat.S_IFLNK:
        raise ModelDownloadError(f"The archive contains a link ({name!r}); refusing to unpack it.")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise ModelDownloadError(f"The archive contains a special file ({name!r}); refusing it.")
    if "\\" in name or "\x00" in name:
        raise ModelDownloadError(f"The archive contains a bad file name ({name!r}); refusing it.")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise ModelDownloadError(
            f"The archive contains an absolute path ({name!r}); refusing to unpack it."
        )
    if ".." in path.parts:
        raise ModelDownloadError(
            f"The archive contains a path leaving its folder ({name!r}); refusing to unpack it."
        )
    parts = [p for p in path.parts if p != "."]
    return PurePosixPath(*parts) if parts else None


def safe_unpack(archive: Path, target: Path) -> None:
    """Unpack ``archive`` into the empty folder ``target``, checking every entry first."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            members = [(info, _member_path(info)) for info in infos]  # check all first
            if sum(info.file_size for info in infos) > _MAX_UNPACKED:
                raise ModelDownloadError(
                    "The archive claims to unpack to more than 4 GiB; refusing it."
                )
            root = target.resolve()
            for info, rel in members:
                if rel is None:
                    continue
                dest = (target / rel).resolve()
                if root != dest and root not in dest.parents:
                    raise ModelDownloadError(
                        f"The archive entry {info.filename!r} would land outside {target}."
                    )
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, dest.open("xb") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
    except zipfile.BadZipFile as exc:
        raise ModelDownloadError(
            f"The downloaded file is not a valid zip archive ({exc}). Run the command again."
        ) from exc
    except FileExistsError as exc:
        raise ModelDownloadError(
            f"The archive lists the same file twice ({exc.filename}); refusing it."
        ) from exc


def _model_root(unpacked: Path) -> Path:
    """The model folder inside the unpacked tree (zips usually hold one top folder)."""
    entries = [p for p in unpacked.iterdir() if p.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return unpacked


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
    url = _normalize_url(url)
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
    _fetch(url, part, progress=progress, timeout=timeout, desc=name)
    actual = sha256_of(part)
    if expected and actual != expected and resumed:
        part.unlink()  # a stale partial file from another version: start over once
        _fetch(url, part, progress=progress, timeout=timeout, desc=name)
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
                raise _disk_full(target.parent, None) from exc
            raise ModelDownloadError(
                f"Cannot unpack the model into {target.parent} ({exc}). "
                "Check the folder's permissions and free space, then run the command again."
            ) from exc
        root = _model_root(staging)
        problems = model_problems(root)
        if problems:
            raise ModelDownloadError(
                f"The archive does not hold a vosk model (missing {', '.join(problems)}). "
                f"Check the address; models are listed at {MODELS_PAGE}."
            )
        try:
            _replace_folder(root, target, force=force)
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
    base = _normalize_url(base_url.rstrip("/"))
    try:
        for name, expected in whisper_model.FILES.items():
            url = f"{base}/{name}"
            part = dest_dir / f".{target.name}.{name}.part"
            _fetch(url, part, progress=progress, timeout=timeout, desc=name)
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
        _replace_folder(staging, target, force=force)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _disk_full(dest_dir, None) from exc
        raise ModelDownloadError(
            f"Cannot install the model into {target} ({exc.strerror or exc}). Check the "
            "folder's permissions and free space, then run the command again."
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _replace_folder(ready: Path, target: Path, *, force: bool) -> None:
    """Move ``ready`` to ``target`` in one rename, keeping the old folder until it worked."""
    old: Path | None = None
    if force and target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
    try:
        ready.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
            old = None
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
