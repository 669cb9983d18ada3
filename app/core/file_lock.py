"""An exclusive OS lock on a file, released when the process ends, even by kill -9.

One app instance per data folder holds one; so does each download in progress, so a
window and a terminal never write the same part file.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from app.core.errors import QwQError

Busy = Callable[[str, Path], QwQError]  # (the holder's pid, the lock file) -> the error


class FileLock:
    def __init__(self, path: Path, busy: Busy) -> None:
        self.path = path
        self.busy = busy
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Never through a link: a planted symlink would make the pid overwrite its target.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as e:
            raise QwQError(
                f"Cannot use the lock file {self.path}: {e.strerror or e}. If it is a link, "
                "remove it."
            ) from None
        f = os.fdopen(fd, "r+", encoding="utf-8")
        try:
            _lock_file(f)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            f.close()
            raise self.busy(holder, self.path) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                _unlock_file(self._file)
            self._file.close()
            self._file = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds
    import msvcrt

    def _lock_file(f: IO[str]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(f: IO[str]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(f: IO[str]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(f: IO[str]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
