"""Is the journal's write-ahead log damaged? Checked before SQLite opens it.

SQLite replays ``journal.sqlite3-wal`` at open and silently stops at the first
frame whose checksum is wrong: everything saved after it is dropped without a
word. After a crash (kill -9, power cut) this file holds the latest sessions,
so we read it first, following the format in https://sqlite.org/fileformat.html
(section 4: a 32-byte header, then frames of a 24-byte header and one page;
checksums chain from the header through every frame of the current salt).
"""

from __future__ import annotations

import struct
from pathlib import Path

from voice_assistant.runtime.privacy import read_private

HEADER = 32
FRAME_HEADER = 24
WAL_LIMIT = 1 << 30  # bytes read at most (a larger log is only checked that far)
MAGIC = (0x377F0682, 0x377F0683)  # the low bit: checksum words are big-endian
_MASK = 0xFFFFFFFF


def _checksum(data: bytes, big_endian: bool, s0: int, s1: int) -> tuple[int, int]:
    words = struct.unpack((">" if big_endian else "<") + f"{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & _MASK
        s1 = (s1 + words[i + 1] + s0) & _MASK
    return s0, s1


def wal_problem(path: Path) -> str | None:
    """None when ``path`` is missing, empty or sound; otherwise what is wrong, in words.

    Read without following a link or waiting on a FIFO (NotPrivate, an OSError)."""
    try:
        data = read_private(path, WAL_LIMIT)
    except FileNotFoundError:
        return None
    if not data:
        return None
    if len(data) < HEADER:
        return "its write-ahead log is cut short"
    magic, _version, page_size, _seq, salt1, salt2, c1, c2 = struct.unpack(">8I", data[:HEADER])
    big = bool(magic & 1)
    if magic not in MAGIC or _checksum(data[:24], big, 0, 0) != (c1, c2):
        return "the header of its write-ahead log is damaged"
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        return "the header of its write-ahead log is damaged"
    frame = FRAME_HEADER + page_size
    s0, s1 = c1, c2
    offset, number = HEADER, 0
    while offset + frame <= len(data):
        head = data[offset : offset + FRAME_HEADER]
        _page, _commit, f1, f2, k1, k2 = struct.unpack(">6I", head)
        if (f1, f2) != (salt1, salt2):
            break  # frames left from before the last checkpoint: not in use
        number += 1
        s0, s1 = _checksum(head[:8], big, s0, s1)
        s0, s1 = _checksum(data[offset + FRAME_HEADER : offset + frame], big, s0, s1)
        if (s0, s1) != (k1, k2):
            if _commits_from(data, offset, frame, (salt1, salt2)):
                return f"frame {number} of its write-ahead log does not match its checksum"
            return None  # only an unfinished transaction is dropped: normal recovery
        offset += frame
    # Past the end of the valid chain, no whole frame may carry the current salt: one
    # that does (after a frame whose salt was damaged) would be lost. A last frame cut
    # short (kill -9 between SQLite's write of its header and of its page) was never
    # committed: SQLite ignores it at open, as normal recovery, and so do we.
    for start in range(offset, len(data) - frame + 1, frame):
        if struct.unpack(">2I", data[start + 8 : start + 16]) == (salt1, salt2):
            return "a frame of its write-ahead log is damaged"
    return None


def _commits_from(data: bytes, start: int, frame: int, salt: tuple[int, int]) -> bool:
    """Does a whole frame from ``start`` on carry the current salt and end a
    transaction (a non-zero database size)? SQLite would drop that commit; a damaged
    frame with no commit after it only loses a transaction that never finished."""
    for at in range(start, len(data) - frame + 1, frame):
        _page, commit, f1, f2 = struct.unpack(">4I", data[at : at + 16])
        if commit and (f1, f2) == salt:
            return True
    return False
