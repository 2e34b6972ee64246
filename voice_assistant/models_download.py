"""`heat-or-ice models download|list`: fetch, check and install a speech model safely.

The per-model installers: the vosk model comes as one zip (fetched by ``model_fetch``,
checked against its SHA-256, unpacked by ``model_unpack``), Whisper as separate pinned
files. Either way the finished folder is moved into place in one rename, so ``models/``
never holds half a model; an interrupted download keeps only its hidden ``.part`` file.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import shutil
import sys
import tempfile
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from voice_assistant.adapters import whisper_model
from voice_assistant.adapters.asr_vosk import (
    DEFAULT_MODEL_NAME,
    ENV_MODEL_PATH,
    MODELS_PAGE,
    find_vosk_model,
    model_problems,
)
from voice_assistant.errors import AssistantError, ModelDownloadError
from voice_assistant.model_fetch import disk_full, fetch, normalize_url, sha256_of
from voice_assistant.model_unpack import model_root, replace_folder, safe_unpack

DEFAULT_URL = f"https://alphacephei.com/vosk/models/{DEFAULT_MODEL_NAME}.zip"
# Published checksum and size of vosk-model-small-en-us-0.15.zip. The same
# value is pinned independently by the AUR vosk-api-bin PKGBUILD, the
# meta-vosk Yocto recipe and several apps; alphacephei.com lists the size (40M).
DEFAULT_SHA256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
DEFAULT_SIZE = 41_205_931
_TIMEOUT_S = 30.0
WHISPER = whisper_model.MODEL_NAME


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
    fetch(url, part, progress=progress, timeout=timeout, desc=name)
    actual = sha256_of(part)
    if expected and actual != expected and resumed:
        part.unlink()  # a stale partial file from another version: start over once
        fetch(url, part, progress=progress, timeout=timeout, desc=name)
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
            fetch(url, part, progress=progress, timeout=timeout, desc=name)
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


# -- command line ---------------------------------------------------------------------------


def _parser(models_dir: Path) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="heat-or-ice models", description="Download and list speech models."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dl = sub.add_parser(
        "download",
        help="download and install a model",
        description=f"{WHISPER} is the accurate default recogniser; it normally comes with "
        "heat-or-ice, so downloading it is only needed when that package is missing. "
        f"{DEFAULT_MODEL_NAME} is the small English vosk model.",
    )
    dl.add_argument(
        "model",
        nargs="?",
        choices=(DEFAULT_MODEL_NAME, WHISPER),
        default=DEFAULT_MODEL_NAME,
        help=f"which model (default {DEFAULT_MODEL_NAME})",
    )
    dl.add_argument(
        "--url",
        default=None,
        help="model zip address or local path (vosk); base address of the files (whisper)",
    )
    dl.add_argument("--sha256", default=None, help="expected SHA-256 of the zip")
    dl.add_argument("--dest", type=Path, default=models_dir, help="models folder")
    dl.add_argument("--force", action="store_true", help="replace an installed model")
    dl.add_argument("--quiet", action="store_true", help="no progress bar")
    ls = sub.add_parser("list", help="list model folders and whether each is usable")
    ls.add_argument("--dest", type=Path, default=models_dir, help="models folder")
    return parser


def _list_whisper(models_dir: Path, env: Mapping[str, str]) -> None:
    packaged = whisper_model.packaged_model_dir()
    chosen = whisper_model.find_whisper_model(env, models_dir, packaged)
    for location in whisper_model.candidates(env, models_dir, packaged):
        if location.origin != "environment" and not location.path.is_dir():
            continue
        problems = whisper_model.model_problems(location.path)
        state = "ok" if not problems else f"not usable: {'; '.join(problems)}"
        mark = "  (used)" if location == chosen else ""
        print(f"{WHISPER} ({location.origin}, {location.path}): {state}{mark}")


def _list(models_dir: Path, env: Mapping[str, str]) -> int:
    _list_whisper(models_dir, env)
    chosen = find_vosk_model(None, env, models_dir)
    folders = (
        sorted(
            p
            for p in models_dir.iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name != WHISPER
        )
        if models_dir.is_dir()
        else []
    )
    if not model_problems(models_dir) and models_dir.is_dir():
        folders = [models_dir]
    if not folders:
        print(f"No vosk models in {models_dir}. Get one with: heat-or-ice models download")
    for folder in folders:
        problems = model_problems(folder)
        state = "ok" if not problems else f"incomplete: missing {', '.join(problems)}"
        mark = "  (used)" if chosen is not None and folder == chosen else ""
        print(f"{folder.name}: {state}{mark}")
    if chosen is not None and chosen.parent != models_dir and chosen != models_dir:
        problems = model_problems(chosen)
        state = "ok" if not problems else f"incomplete: missing {', '.join(problems)}"
        print(f"{chosen} (from {ENV_MODEL_PATH}): {state}  (used)")
    return 0


def _download_whisper(args: argparse.Namespace) -> int:
    base = args.url or whisper_model.OFFICIAL_SOURCE
    try:
        print(f"Downloading {WHISPER} from {base} ...")
        path = download_whisper_model(base, args.dest, progress=not args.quiet, force=args.force)
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped. Run the same command again to resume the download.", file=sys.stderr)
        return 130
    print(f"Installed the Whisper model in {path}; it is checked and used from there.")
    return 0


def main_models(
    argv: Sequence[str],
    *,
    models_dir: Path = Path("models"),
    env: Mapping[str, str] | None = None,
) -> int:
    """Run ``heat-or-ice models ...``; return the process exit code."""
    try:
        args = _parser(models_dir).parse_args(list(argv))
    except SystemExit as exc:  # --help or a usage error (argparse printed it)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    environment = os.environ if env is None else env
    if args.command == "list":
        return _list(args.dest, environment)
    if args.model == WHISPER:
        return _download_whisper(args)
    args.url = args.url or DEFAULT_URL
    sha = args.sha256
    if sha is None and args.url == DEFAULT_URL:
        sha = DEFAULT_SHA256
    try:
        if not args.force:
            existing = installed_model(args.dest, args.url)
            if existing is not None:
                print(f"The model is already installed in {existing}; nothing to do.")
                return 0
        if sha is None:
            print(
                "Note: no --sha256 given for this address, so the download cannot be verified.",
                file=sys.stderr,
            )
        print(f"Downloading {args.url} ...")
        path = download_model(args.url, sha, args.dest, progress=not args.quiet, force=args.force)
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped. Run the same command again to resume the download.", file=sys.stderr)
        return 130
    print(f"Installed the vosk model in {path}.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main_models(sys.argv[1:]))
