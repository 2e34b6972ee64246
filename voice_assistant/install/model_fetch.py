"""Resumable HTTP (or file://) download of one file, with disk-space checks and clear errors.

The download is the only network access the assistant ever makes, and only when asked. It
streams into a hidden ``.part`` file; a rerun resumes it when the server allows (HTTP Range),
and every failure becomes a ``ModelDownloadError`` that says what to do.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from voice_assistant.errors import ModelDownloadError
from voice_assistant.install.transfer_watch import TransferWatch, watched_opener

_CHUNK = 64 * 1024
_UNPACK_FACTOR = 3  # zip + unpacked model ~ 2.7x the zip for vosk models
_USER_AGENT = "heat-or-ice-models/1"


def normalize_url(url: str) -> str:
    """Accept a local zip path too (offline installs), as a file:// URL."""
    scheme = urllib.parse.urlparse(url).scheme.lower()
    if scheme in {"http", "https", "file"}:
        return url
    if scheme == "" or (len(scheme) == 1 and os.name == "nt"):
        local = Path(url).expanduser()
        if not local.is_file():
            raise ModelDownloadError(
                f"There is no file at {local}. Give the path of the downloaded model file, "
                "or leave out --url to download the model from its usual address."
            )
        return local.resolve().as_uri()
    raise ModelDownloadError(
        f"Cannot download from {url!r}: only http, https and file addresses are supported."
    )


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def disk_full(dest_dir: Path, needed: int | None) -> ModelDownloadError:
    """The error for a full disk under ``dest_dir`` (``needed`` bytes, when known)."""
    need = f" about {needed // 1_000_000 + 1} MB" if needed else " more space"
    return ModelDownloadError(
        f"The disk holding {dest_dir} is full: the model needs{need}. Free some space "
        "(or choose another folder with --dest) and run the command again."
    )


def _copy_stream(response: IO[bytes], sink: IO[bytes], update: Callable[[int], object]) -> int:
    """Copy what arrives, as it arrives (``read1``: a trickle is counted byte by byte)."""
    read = getattr(response, "read1", response.read)
    copied = 0
    while chunk := read(_CHUNK):
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


def _open(url: str, start: int, timeout: float, watch: TransferWatch) -> Any:
    headers = {"User-Agent": _USER_AGENT}
    if start > 0:
        headers["Range"] = f"bytes={start}-"
    request = urllib.request.Request(url, headers=headers)
    return watched_opener(watch).open(request, timeout=timeout)


def _counted(update: Callable[[int], object], watch: TransferWatch) -> Callable[[int], None]:
    def both(count: int) -> None:
        update(count)
        watch.note(count)

    return both


def _too_slow(url: str, reason: str, by_hand: str) -> ModelDownloadError:
    host = urllib.parse.urlparse(url).netloc or url
    return ModelDownloadError(
        f"I gave up the download from {host}: {reason}. Try again later or on another "
        f"connection (it resumes where it stopped). {by_hand}"
    )


def _network_error(url: str, exc: BaseException, by_hand: str) -> ModelDownloadError:
    """The error for a failed download; ``by_hand`` says how to get this model without it."""
    host = urllib.parse.urlparse(url).netloc or url
    if isinstance(exc, urllib.error.HTTPError):
        return ModelDownloadError(
            f"The server answered {exc.code} {exc.reason} for {url}. Check the address. {by_hand}"
        )
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if urllib.parse.urlparse(url).scheme == "file":
        return ModelDownloadError(f"Cannot read the model zip {url} ({reason}).")
    return ModelDownloadError(
        f"Could not download from {host} ({reason}). Check the internet connection and "
        f"run the command again (it resumes where it stopped). {by_hand}"
    )


def fetch(
    url: str,
    part: Path,
    *,
    progress: bool,
    timeout: float,
    desc: str,
    by_hand: str,
    watch: TransferWatch | None = None,
) -> None:
    """Download ``url`` into ``part``, resuming from what is already there.

    ``by_hand`` is the installer's own advice for getting the model without this
    download (each model has its own), told with every network error. The
    download gives up when ``watch`` (default: 3 hours at most, at least 1 KB/s
    over each minute) finds it too slow or too long.
    """
    with watch or TransferWatch() as watching:
        try:
            _fetch(
                url,
                part,
                progress=progress,
                timeout=timeout,
                desc=desc,
                by_hand=by_hand,
                watch=watching,
            )
        except ModelDownloadError as exc:
            if watching.reason is not None:
                raise _too_slow(url, watching.reason, by_hand) from exc
            raise
        if watching.reason is not None:  # stopped between two reads, the file looked whole
            raise _too_slow(url, watching.reason, by_hand)


def _fetch(
    url: str,
    part: Path,
    *,
    progress: bool,
    timeout: float,
    desc: str,
    by_hand: str,
    watch: TransferWatch,
) -> None:
    start = part.stat().st_size if part.exists() else 0
    try:
        response_cm = _open(url, start, timeout, watch)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start > 0:  # we already have everything
            exc.close()
            return
        exc.close()
        raise _network_error(url, exc, by_hand) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _network_error(url, exc, by_hand) from exc
    with response_cm as response:
        watch.note(0)
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
                raise disk_full(part.parent, needed)
        bar = _progress_bar(total, start, desc, progress)
        try:
            with part.open("ab" if resumed else "wb") as sink:
                copied = _copy_stream(response, sink, _counted(bar.update, watch))
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                part.unlink(missing_ok=True)
                raise disk_full(part.parent, total) from exc
            raise _network_error(url, exc, by_hand) from exc
        except http.client.HTTPException as exc:  # IncompleteRead: closed mid-way
            raise _network_error(url, exc, by_hand) from exc
        finally:
            bar.close()
        if length is not None and copied < length:
            raise _network_error(
                url,
                ConnectionError(f"the connection closed after {start + copied} of {total} bytes"),
                by_hand,
            )


def sha256_of(path: Path) -> str:
    """The file's SHA-256 as lower-case hex."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
