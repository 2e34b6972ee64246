"""Safe unpacking of a model zip, and the all-or-nothing move of a finished folder into place.

Every archive entry is checked before anything is written (no absolute paths, no ``..``, no
links or special files, no zip bombs), and ``replace_folder`` puts a model in place with one
rename, so ``models/`` never holds half a model.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from voice_assistant.errors import ModelDownloadError

_CHUNK = 64 * 1024
_MAX_UNPACKED = 4 * 1024**3  # refuse archives that claim to unpack to more than 4 GiB


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


def model_root(unpacked: Path) -> Path:
    """The model folder inside the unpacked tree (zips usually hold one top folder)."""
    entries = [p for p in unpacked.iterdir() if p.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return unpacked


def replace_folder(ready: Path, target: Path, *, force: bool) -> None:
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
