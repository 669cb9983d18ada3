"""A seal on the KV-state files the engine writes, checked before llama.cpp reads one.

llama.cpp's ``llama_state_seq_load_file`` refuses a file of another shape cleanly, but
a truncated one ends the process (``GGML_ASSERT(nread <= state_size)`` in
llama-context.cpp: it reads past the end without noticing). So the engine appends a
trailer to each file it saves, and loads a file only when the trailer is there and
both the size and the CRC-32 of what llama.cpp wrote match it:

    [llama.cpp's state file][magic, 8 bytes][its size, u64][its CRC-32, u32]

llama.cpp ignores bytes after the state it reads, so a sealed file loads as it is.
Both sides stream the file in chunks: no copy of a multi-GB state in memory.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

MAGIC = b"QWQKVst1"
_TRAILER = struct.Struct("<8sQI")
TRAILER_SIZE = _TRAILER.size
_CHUNK = 4 * 2**20


def _crc(path: Path, size: int) -> int | None:
    """CRC-32 of the first ``size`` bytes; None when the file is shorter."""
    crc = 0
    left = size
    with path.open("rb") as f:
        while left:
            chunk = f.read(min(_CHUNK, left))
            if not chunk:
                return None
            crc = zlib.crc32(chunk, crc)
            left -= len(chunk)
    return crc


def seal(path: Path) -> int:
    """Append the trailer to the state file llama.cpp just wrote; its size in bytes."""
    size = path.stat().st_size
    crc = _crc(path, size)
    assert crc is not None  # nobody else writes the file meanwhile
    with path.open("ab") as f:
        f.write(_TRAILER.pack(MAGIC, size, crc))
    return size + TRAILER_SIZE


def is_sealed(path: Path) -> bool:
    """Whether ``path`` is a whole state file as the engine wrote it: its trailer is
    there, and the size and checksum of the state before it match. Never raises."""
    try:
        total = path.stat().st_size
        if total < TRAILER_SIZE:
            return False
        with path.open("rb") as f:
            f.seek(total - TRAILER_SIZE)
            magic, size, crc = _TRAILER.unpack(f.read(TRAILER_SIZE))
        if magic != MAGIC or size != total - TRAILER_SIZE:
            return False
        return bool(_crc(path, size) == crc)
    except (OSError, struct.error):
        return False
