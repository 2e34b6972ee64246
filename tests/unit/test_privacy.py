"""Our files are ours or refused (issue 21: F11-F14, F21, F22, F26): no link followed, no
FIFO waited on, no folder of someone else's used, no mode changed through a link."""

from __future__ import annotations

import os
import stat
import struct
import time
from pathlib import Path

import pytest

from voice_assistant.adapters.audio.saved_speech import (
    first_free_number,
    save_speech,
    saved_texts,
)
from voice_assistant.adapters.piper.phrase_cache import PhraseCache
from voice_assistant.errors import JournalError, SpeakerError
from voice_assistant.runtime.lock import LOCK_FILE, DataFolderLock
from voice_assistant.runtime.privacy import (
    NotPrivate,
    open_private,
    private_file,
    private_folder,
    tighten_files,
)
from voice_assistant.session.journal.journal import open_journal, open_journal_readonly


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def someone_else(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as if we were another user: everything that exists now belongs to someone else."""
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 4242)


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"line of my thesis\n" * 500)
    victim.chmod(0o644)
    return victim


def test_a_folder_owned_by_someone_else_is_refused_in_words(
    tmp_path: Path, someone_else: None
) -> None:
    folder = tmp_path / "heat-or-ice"
    folder.mkdir(mode=0o777)
    with pytest.raises(NotPrivate, match=r"belongs to another user.*--data-dir"):
        private_folder(folder)
    with pytest.raises(JournalError, match="belongs to another user"):
        open_journal(folder)
    assert not DataFolderLock(folder).acquire()
    assert list(folder.iterdir()) == []  # nothing written there


def test_the_lock_is_never_opened_through_a_link(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    before = victim.read_bytes()
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / LOCK_FILE).symlink_to(victim)
    assert not DataFolderLock(data).acquire()
    assert victim.read_bytes() == before
    assert _mode(victim) == 0o644


def test_a_planted_link_as_the_damaged_log_copy_is_not_written_through(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    bashrc = tmp_path / "bashrc"
    bashrc.write_text("# victim bashrc\n")
    (data / "journal.sqlite3-wal").write_bytes(b"touch /tmp/PWNED\n")
    now = time.time()
    for second in range(10):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now + second))
        (data / f"journal.sqlite3-wal.damaged-{stamp}").symlink_to(bashrc)
    journal = open_journal(data)
    journal.close()
    assert bashrc.read_text() == "# victim bashrc\n"
    copies = [p for p in data.glob("journal.sqlite3-wal.damaged-*") if not p.is_symlink()]
    assert len(copies) == 1 and copies[0].read_bytes() == b"touch /tmp/PWNED\n"
    assert _mode(copies[0]) == 0o600
    assert any(str(copies[0]) in warning for warning in journal.warnings)


def test_modes_are_never_tightened_through_a_link(tmp_path: Path) -> None:
    passwd = _victim(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "journal.sqlite3").symlink_to(passwd)
    (data / "heat-or-ice.log").symlink_to(passwd)
    with pytest.raises(JournalError, match="is a link"):
        open_journal(data)
    tighten_files([data / "journal.sqlite3", data / "heat-or-ice.log"])
    with pytest.raises(NotPrivate):
        private_file(data / "heat-or-ice.log")
    assert _mode(passwd) == 0o644
    with pytest.raises(JournalError, match="is a link"):
        open_journal_readonly(data)


def test_a_fifo_as_the_journal_is_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "journal.sqlite3")
    started = time.monotonic()
    with pytest.raises(JournalError, match=r"named pipe|not a regular file"):
        open_journal(tmp_path)
    with pytest.raises(JournalError, match=r"named pipe|not a regular file"):
        open_journal_readonly(tmp_path)
    assert time.monotonic() - started < 5


def test_someone_elses_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"")
    path.chmod(0o666)
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 1)
    with pytest.raises(NotPrivate, match="belongs to another user"):
        os.close(open_private(path))
    assert _mode(path) == 0o666


def test_an_unenterable_data_folder_is_said_in_words(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root enters every folder")
    folder = tmp_path / "data"
    folder.mkdir(mode=0o000)
    try:
        with pytest.raises(JournalError, match="Permission denied"):
            open_journal(folder)
        with pytest.raises(JournalError, match="Permission denied"):
            open_journal_readonly(folder)
    finally:
        folder.chmod(0o700)


def test_saved_speech_is_private_with_neutral_names(tmp_path: Path) -> None:
    folder = tmp_path / "speech"
    old = os.umask(0o022)
    try:
        number = first_free_number(folder)
        first = save_speech(folder, number, "Call emergency services now.", b"\0\0" * 10, 16000)
        (folder / "002.wav").symlink_to(_victim(tmp_path))  # planted: skipped, not followed
        second = save_speech(folder, number + 1, "Use ice.", b"\0\0" * 10, 16000)
    finally:
        os.umask(old)
    assert (first.name, second.name) == ("001.wav", "003.wav")
    assert _mode(folder) == 0o700
    assert {_mode(p) for p in folder.iterdir() if not p.is_symlink()} == {0o600}
    assert saved_texts(folder) == [
        ("001.wav", "Call emergency services now."),
        ("003.wav", "Use ice."),
    ]
    assert (tmp_path / "victim.txt").read_bytes().startswith(b"line of my thesis")


def test_saved_speech_in_someone_elses_folder_is_refused(
    tmp_path: Path, someone_else: None
) -> None:
    with pytest.raises(SpeakerError, match="belongs to another user"):
        first_free_number(tmp_path)


def _pcm() -> bytes:
    return struct.pack("<4h", 0, 100, -100, 0)


def test_the_phrase_cache_is_private_and_its_names_tell_nothing(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        cache = PhraseCache(tmp_path / "speech")
        key = cache.key("Call emergency services now.", "voice", 170, 1.0)
        assert not cache.seen_before(key)
        assert cache.seen_before(key)
        cache.put(key, _pcm())
    finally:
        os.umask(old)
    assert cache.get(key) == _pcm()
    assert _mode(cache.folder) == 0o700
    assert {_mode(p) for p in cache.folder.iterdir()} == {0o600}
    other_user = PhraseCache(tmp_path / "other")  # another user's cache: another key
    assert other_user.key("Call emergency services now.", "voice", 170, 1.0) != key
    again = PhraseCache(tmp_path / "speech")  # the same user later: found again
    assert again.key("Call emergency services now.", "voice", 170, 1.0) == key


def test_a_phrase_cache_in_someone_elses_folder_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "speech"
    folder.mkdir()
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 1)
    cache = PhraseCache(folder)
    key = cache.key("Use ice.", "voice", 170, 1.0)
    cache.put(key, _pcm())
    assert not cache.seen_before(key)
    assert cache.get(key) is None
    assert list(folder.iterdir()) == []


def test_the_systemd_unit_keeps_the_dialog_out_of_the_system_journal() -> None:
    """F24: the unit sent stdout (every sentence said, the advice too) to the journal."""
    from voice_assistant.commands import service

    lines = service.UNIT_TEMPLATE.splitlines()
    assert "StandardOutput=null" in lines
    assert "StandardError=journal" in lines  # problems with the program itself only
