"""The app's log file, in the logs folder (see :mod:`app.core.paths`).

A hard crash (a segfault in llama.cpp or Qt, an abort) kills the process before any
Python code can log it, so ``faulthandler`` writes the Python traceback of every
thread straight into the same log file: ``enable_fault_log`` at start (window and
CLI), and again onto the new file each time the log rotates. faulthandler's report
holds only file names, line numbers and function names, never values.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
from pathlib import Path
from typing import TextIO

from app.core.paths import AppPaths

LOG_NAME = "qwq-desktop.log"

_fault_file: TextIO | None = None  # what faulthandler writes into, when we enabled it


def log_file(paths: AppPaths) -> Path:
    return paths.logs / LOG_NAME


def enable_fault_log(paths: AppPaths) -> Path | None:
    """Send ``faulthandler``'s report of a hard crash to the log file; its path, or None.

    Left alone when faulthandler already writes elsewhere (``python -X faulthandler``,
    a test runner): whoever enabled it chose where. A log folder that cannot be
    written leaves Python's default (nothing), never an error.
    """
    if faulthandler.is_enabled() and _fault_file is None:
        return None
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        stream = open(log_file(paths), "a", encoding="utf-8")  # noqa: SIM115  (kept open)
    except OSError:
        return None
    _fault_into(stream)
    return log_file(paths)


def _fault_into(stream: TextIO) -> None:
    """faulthandler writes into ``stream`` from now on (the previous file is closed)."""
    global _fault_file
    previous, _fault_file = _fault_file, stream
    faulthandler.enable(stream, all_threads=True)
    if previous is not None and previous is not stream and not _is_handler_stream(previous):
        previous.close()


def _is_handler_stream(stream: TextIO) -> bool:
    return any(getattr(h, "stream", None) is stream for h in logging.getLogger("app").handlers)


class _LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log; faulthandler follows it onto each new file."""

    def doRollover(self) -> None:
        super().doRollover()
        if _fault_file is not None and self.stream is not None:
            _fault_into(self.stream)


def setup_logging(paths: AppPaths, *, level: int = logging.INFO) -> None:
    """Log to a rotating file (1 MB x 3); llama.cpp's own log goes there at DEBUG."""
    paths.logs.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("app")
    if any(getattr(h, "_qwq", False) for h in root.handlers):
        return
    handler = _LogFile(log_file(paths), maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler._qwq = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # llama.cpp's own lines (model loading, memory) are what troubleshooting needs.
    logging.getLogger("app.llama_cpp").setLevel(logging.DEBUG)
    if _fault_file is not None and handler.stream is not None:
        _fault_into(handler.stream)  # one file, one writer position (append mode)
