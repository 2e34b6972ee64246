"""``heat-or-ice models download|list``: install a speech model, or show the installed ones.

The command line is parsed in ``cli.py`` (``main_models``); the fetching, checking and
unpacking are ``models_download``'s. This module says what happens, in words.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from voice_assistant.adapters.vosk.asr_vosk import ENV_MODEL_PATH, find_vosk_model, model_problems
from voice_assistant.adapters.whisper import whisper_model
from voice_assistant.errors import AssistantError
from voice_assistant.install.models_download import (
    DEFAULT_SHA256,
    DEFAULT_URL,
    WHISPER,
    download_model,
    download_whisper_model,
    installed_model,
)


@dataclass(frozen=True)
class DownloadRequest:
    """``models download``: which model, from where, into which folder."""

    model: str
    url: str | None
    sha256: str | None
    dest: Path
    force: bool = False
    quiet: bool = False


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


def list_models(models_dir: Path, env: Mapping[str, str]) -> int:
    """Print each model folder, whether it is usable, and which one is used."""
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


def _download_whisper(request: DownloadRequest) -> int:
    base = request.url or whisper_model.OFFICIAL_SOURCE
    try:
        print(f"Downloading {WHISPER} from {base} ...")
        path = download_whisper_model(
            base, request.dest, progress=not request.quiet, force=request.force
        )
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped. Run the same command again to resume the download.", file=sys.stderr)
        return 130
    print(f"Installed the Whisper model in {path}; it is checked and used from there.")
    return 0


def download(request: DownloadRequest) -> int:
    """Install the requested model (unless it is there already); the process exit code."""
    if request.model == WHISPER:
        return _download_whisper(request)
    url = request.url or DEFAULT_URL
    sha = request.sha256
    if sha is None and url == DEFAULT_URL:
        sha = DEFAULT_SHA256
    try:
        if not request.force:
            existing = installed_model(request.dest, url)
            if existing is not None:
                print(f"The model is already installed in {existing}; nothing to do.")
                return 0
        if sha is None:
            print(
                "Note: no --sha256 given for this address, so the download cannot be verified.",
                file=sys.stderr,
            )
        print(f"Downloading {url} ...")
        path = download_model(
            url, sha, request.dest, progress=not request.quiet, force=request.force
        )
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped. Run the same command again to resume the download.", file=sys.stderr)
        return 130
    print(f"Installed the vosk model in {path}.")
    return 0
