"""Download model files: resumable across restarts, verified before use.

Each file is written to ``NAME.part`` beside a ``NAME.part.json`` that records what
the part belongs to (repo, path, commit, size, SHA-256). A later run, after a pause,
a quit or a ``kill -9``, hashes the bytes already there and asks the server for the
rest with an HTTP Range request. Only when the whole file's SHA-256 matches the
published one does the part become ``NAME``: a file with the final name is always
complete and verified. A mismatch deletes the part and downloads it once more; a
second mismatch is an error, and leaves no file behind.

The network may drop, time out or answer 5xx: each failure is retried with
exponential backoff, resuming where it stopped; the count starts again whenever
bytes arrive. A full disk stops the download with the part kept, to be resumed.

``Download.run`` blocks; ``pause`` and ``cancel`` may be called from any thread.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal

from app.core.file_lock import FileLock
from app.models.hardware import free_disk
from app.models.sources import READ_TIMEOUT, DownloadError, RemoteFile, _reason, http_client

DiskProbe = Callable[[Path], int]
State = Literal["checking", "downloading", "retrying", "verifying", "done"]
PART, META, LOCK = ".part", ".part.json", ".lock"
MIN_MARGIN = 256 * 1024**2  # free space kept beyond the download itself
DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
HASH_BLOCK = 4 * 1024**2


class ChecksumError(DownloadError):
    """The bytes received do not have the published SHA-256 (twice)."""


class DiskFullError(DownloadError):
    """Not enough free disk for the download, before or while it runs."""


class DownloadStopped(DownloadError):
    """Paused or cancelled by the user; ``cancelled`` tells which."""

    def __init__(self, message: str, cancelled: bool) -> None:
        super().__init__(message)
        self.cancelled = cancelled


@dataclass(frozen=True, slots=True)
class Progress:
    state: State
    file: str
    file_index: int  # 1-based
    file_count: int
    done: int  # bytes of the whole set
    total: int
    speed: float = 0.0  # bytes per second, smoothed
    message: str = ""  # why it waits, when it retries

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def eta(self) -> float | None:
        if self.speed <= 0:
            return None
        return (self.total - self.done) / self.speed


ProgressCallback = Callable[[Progress], None]


def target_folder(models: Path, repo: str) -> Path:
    """Downloads keep their own file names, in a folder per repo: models/owner/name/."""
    return models.joinpath(*repo.split("/"))


def part_size(folder: Path, file: RemoteFile) -> int:
    """Bytes of ``file`` already downloaded into ``folder`` (whole files count in full)."""
    final = folder / file.name
    if final.exists():
        return file.size
    part = final.with_name(file.name + PART)
    try:
        if _meta_matches(part, file):
            return min(part.stat().st_size, file.size)
    except OSError:
        pass
    return 0


def _meta_path(part: Path) -> Path:
    return part.with_name(part.name.removesuffix(PART) + META)


def _meta_matches(part: Path, file: RemoteFile) -> bool:
    try:
        saved = json.loads(_meta_path(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(saved, dict) or saved.get("size") != file.size:
        return False
    if file.sha256 and saved.get("sha256"):
        return bool(saved["sha256"] == file.sha256)
    same_path = saved.get("path") == file.path
    if not file.revision:  # what the catalog knows, before asking the source
        return same_path
    return same_path and saved.get("revision") == file.revision


class Download:
    def __init__(
        self,
        files: Sequence[RemoteFile],
        folder: Path,
        *,
        token: str | None = None,
        on_progress: ProgressCallback | None = None,
        retries: int = 8,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        free_bytes: DiskProbe = free_disk,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        if not files:
            raise DownloadError("Nothing to download.")
        self.files = list(files)
        self.folder = folder
        self.token = token
        self.on_progress = on_progress
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.free_bytes = free_bytes
        self.read_timeout = read_timeout
        self.total = sum(f.size for f in self.files)
        self._stop = threading.Event()
        self._cancelled = False
        self._delete_partial = False
        self._progress = Progress("checking", self.files[0].name, 1, len(self.files), 0, self.total)
        self._last_report = 0.0
        self._rate_mark = (time.monotonic(), 0)

    # --- control, from any thread -------------------------------------------------
    def pause(self) -> None:
        """Stop soon; the parts stay, and a later run resumes them."""
        self._stop.set()

    def cancel(self, delete_partial: bool = False) -> None:
        """Stop soon; with ``delete_partial`` the parts of this download are deleted."""
        self._cancelled = True
        self._delete_partial = delete_partial
        self._stop.set()

    @property
    def progress(self) -> Progress:
        return self._progress

    # --- the work -----------------------------------------------------------------
    def run(self) -> list[Path]:
        """Download, verify and return the final paths (all parts of a split set)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = self.files[0].name
        lock = FileLock(self.folder / (name + LOCK), _already_downloading)
        lock.acquire()
        try:
            return self._run()
        finally:
            lock.release()
            with contextlib.suppress(OSError):
                lock.path.unlink()

    def _run(self) -> list[Path]:
        try:
            self._check_disk()
            done_before = 0
            paths = []
            for index, file in enumerate(self.files, 1):
                paths.append(self._fetch(file, index, done_before))
                done_before += file.size
        except DownloadStopped:
            if self._cancelled and self._delete_partial:
                self.delete_partial()
            raise
        self._report(replace(self._progress, state="done", done=self.total, message=""), True)
        return paths

    def delete_partial(self) -> None:
        for file in self.files:
            part = self.folder / (file.name + PART)
            for path in (part, _meta_path(part)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def _check_disk(self) -> None:
        remaining = sum(f.size - part_size(self.folder, f) for f in self.files)
        margin = max(MIN_MARGIN, remaining // 100)
        free = self.free_bytes(self.folder)
        if remaining and free < remaining + margin:
            raise DiskFullError(
                f"Not enough free disk space in {self.folder}: {_gb(remaining)} still to "
                f"download (plus {_gb(margin)} to spare), {_gb(free)} free. Free some space "
                "or move the models folder."
            )

    def _fetch(self, file: RemoteFile, index: int, done_before: int) -> Path:
        final = self.folder / file.name
        if final.exists() and final.stat().st_size == file.size:
            done = done_before + file.size
            self._report(Progress("done", file.name, index, len(self.files), done, self.total))
            return final  # verified when it got its name
        part = final.with_name(file.name + PART)
        for attempt in (1, 2):
            digest = self._download_part(file, part, index, done_before)
            if file.sha256 is None or digest == file.sha256:
                os.replace(part, final)
                with contextlib.suppress(FileNotFoundError):
                    _meta_path(part).unlink()
                return final
            part.unlink()
            _meta_path(part).unlink()
            if attempt == 2:
                raise ChecksumError(
                    f"{file.name} from {file.repo} failed its checksum twice (expected SHA-256 "
                    f"{file.sha256}, got {digest}). The file was deleted; the source may be "
                    "damaged: try another source."
                )
        raise AssertionError("unreachable")

    def _download_part(self, file: RemoteFile, part: Path, index: int, done_before: int) -> str:
        """Bring ``part`` to the full size; return the SHA-256 of its bytes."""
        if not _meta_matches(part, file):
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
        meta = {k: getattr(file, k) for k in ("repo", "path", "revision", "size", "sha256")}
        _meta_path(part).write_text(json.dumps(meta), encoding="utf-8")
        base = Progress("checking", file.name, index, len(self.files), done_before, self.total)
        hasher = hashlib.sha256()
        with open(part, "a+b") as out:
            have = self._hash_existing(out, hasher, base)
            if have > file.size:  # longer than the file: not ours
                out.truncate(0)
                hasher, have = hashlib.sha256(), 0
            failures = 0
            while have < file.size:
                self._raise_if_stopped()
                try:
                    have = self._receive(file, out, hasher, have, base)
                    failures = 0
                except _Retry as retry:
                    if retry.progressed:
                        failures = 0
                    have = out.tell()
                    failures += 1
                    if failures > self.retries:
                        raise DownloadError(
                            f"Downloading {file.name} keeps failing ({retry}). The "
                            f"{_gb(have)} received are kept: run the download again to resume."
                        ) from None
                    delay = min(self.max_backoff, self.backoff * 2 ** (failures - 1))
                    message = (
                        f"{retry}; retrying in {delay:.0f} s (attempt {failures} of {self.retries})"
                    )
                    retrying = replace(
                        base, state="retrying", done=done_before + have, message=message
                    )
                    self._report(retrying, True)
                    if self._stop.wait(delay):
                        self._raise_if_stopped()
                except _Restart:
                    out.truncate(0)
                    out.seek(0)
                    hasher, have = hashlib.sha256(), 0
        self._report(replace(base, state="verifying", done=done_before + file.size), True)
        return hasher.hexdigest()

    def _hash_existing(self, out: IO[bytes], hasher: hashlib._Hash, base: Progress) -> int:
        out.seek(0)
        have = 0
        while block := out.read(HASH_BLOCK):
            self._raise_if_stopped()
            hasher.update(block)
            have += len(block)
            self._report(replace(base, done=base.done + have))
        out.seek(0, os.SEEK_END)
        return have

    def _receive(
        self, file: RemoteFile, out: IO[bytes], hasher: hashlib._Hash, have: int, base: Progress
    ) -> int:
        """One HTTP request for the bytes from ``have`` on; returns the new size."""
        import httpx2

        headers = {"Range": f"bytes={have}-", "Accept-Encoding": "identity"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        start = have
        self._rate_mark = (time.monotonic(), have)
        try:
            with http_client().stream(
                "GET",
                file.url,
                headers=headers,
                follow_redirects=True,
                timeout=httpx2.Timeout(self.read_timeout, connect=15.0),
            ) as response:
                status = response.status_code
                if status == 416 and have >= file.size:
                    return have
                if status == 200 and have:  # the server ignored the Range: start over
                    raise _Restart
                if status in (401, 403):
                    raise DownloadError(
                        f"{file.repo} refused the download (HTTP {status}): the repo may be "
                        "gated or private; set HF_TOKEN to a token that may read it."
                    )
                if status == 404:
                    raise DownloadError(f"{file.path} is no longer in {file.repo} (HTTP 404).")
                if status == 429 or status >= 500 or status not in (200, 206):
                    raise _Retry(f"the server answered HTTP {status}", False)
                for chunk in response.iter_bytes():
                    self._write(out, chunk, file)
                    hasher.update(chunk)
                    have += len(chunk)
                    self._report(self._downloading(base, have))
                    if self._stop.is_set():
                        break
        except (httpx2.TransportError, httpx2.StreamError) as e:
            raise _Retry(_reason(e), have > start) from None
        self._raise_if_stopped()
        if have < file.size:
            raise _Retry("the connection closed early", have > start)
        if have > file.size:
            raise _Restart
        return have

    def _write(self, out: IO[bytes], chunk: bytes, file: RemoteFile) -> None:
        try:
            out.write(chunk)
        except OSError as e:
            if e.errno in DISK_FULL:
                with contextlib.suppress(OSError):
                    out.flush()
                raise DiskFullError(
                    f"The disk filled up while downloading {file.name} into {self.folder}. "
                    "What was received is kept: free some space and resume."
                ) from None
            raise DownloadError(f"Cannot write {file.name}: {e.strerror}") from None

    def _downloading(self, base: Progress, have: int) -> Progress:
        now = time.monotonic()
        mark_time, mark_bytes = self._rate_mark
        speed = self._progress.speed
        if now - mark_time >= 0.5:
            rate = (have - mark_bytes) / (now - mark_time)
            speed = rate if speed <= 0 else 0.7 * speed + 0.3 * rate
            self._rate_mark = (now, have)
        return replace(base, state="downloading", done=base.done + have, speed=speed, message="")

    def _report(self, progress: Progress, force: bool = False) -> None:
        self._progress = progress
        now = time.monotonic()
        if self.on_progress is None or (not force and now - self._last_report < 0.1):
            return
        self._last_report = now
        self.on_progress(progress)

    def _raise_if_stopped(self) -> None:
        if not self._stop.is_set():
            return
        if self._cancelled:
            raise DownloadStopped("Download cancelled.", cancelled=True)
        raise DownloadStopped("Download paused; run it again to resume.", cancelled=False)


class _Retry(Exception):
    def __init__(self, reason: str, progressed: bool) -> None:
        super().__init__(reason)
        self.progressed = progressed


class _Restart(Exception):
    pass


def _already_downloading(holder: str, path: Path) -> DownloadError:
    name = path.name.removesuffix(LOCK)
    return DownloadError(
        f"{name} is already being downloaded (process {holder}): let that one finish, or "
        "stop it first."
    )


def _gb(n: int) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.1f} MB"
