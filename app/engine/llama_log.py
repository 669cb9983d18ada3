"""llama.cpp's log, kept instead of printed.

llama.cpp writes its log to stderr unless a callback takes it. We keep the recent
lines in memory (to explain a failed load in one clear sentence) and pass them to
Python's ``logging`` at DEBUG level, so a terminal stays clean.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections import deque

import llama_cpp

log = logging.getLogger("app.llama_cpp")

_lines: deque[str] = deque(maxlen=8000)  # a load writes ~450 debug lines; keep several
_partial: list[str] = []
_written = 0  # lines ever written, so marks survive the deque dropping old lines
_lock = threading.Lock()


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
def _on_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    global _written
    piece = text.decode("utf-8", errors="replace")
    with _lock:
        _partial.append(piece)
        if not piece.endswith("\n"):
            return
        line = "".join(_partial).rstrip("\n")
        _partial.clear()
        _lines.append(line)
        _written += 1
    log.debug("%s", line)


def install() -> None:
    """Route llama.cpp's log through us (idempotent)."""
    llama_cpp.llama_log_set(_on_log, ctypes.c_void_p(0))


def mark() -> int:
    """A position in the log; :func:`since` returns the lines written after it."""
    with _lock:
        return _written


def since(position: int) -> list[str]:
    with _lock:
        n = min(_written - position, len(_lines))
        return list(_lines)[len(_lines) - n :] if n > 0 else []
