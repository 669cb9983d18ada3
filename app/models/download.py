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

The server is not trusted either. Bytes beyond the size the source announced stop the
download at once (nothing past the size is kept), and a server that keeps sending the
file from the start instead of resuming it is given up on after a few restarts. No file
the download writes is opened through a symbolic link: the ``.part``, the ``.part.json``,
the lock and the final name are opened with ``O_NOFOLLOW`` after an ``lstat`` check, and a
link found at any of them is refused, never written through.

``Download.run`` blocks; ``pause`` and ``cancel`` may be called from any thread.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal

from app.core.file_lock import FileLock
from app.core.i18n import translate
from app.engine.hardware import free_disk
from app.models.sources import (
    READ_TIMEOUT,
    DownloadError,
    RemoteFile,
    _reason,
    check_file_path,
    check_repo_id,
    http_client,
)

DiskProbe = Callable[[Path], int]
State = Literal["checking", "downloading", "retrying", "verifying", "done"]
PART, META, LOCK = ".part", ".part.json", ".lock"
MIN_MARGIN = 256 * 1024**2  # free space kept beyond the download itself
DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
HASH_BLOCK = 4 * 1024**2
MAX_RESTARTS = 3  # times a file may start over from byte 0 (a server that ignores Range)
MAX_META = 64 * 1024  # a .part.json is ~300 bytes: anything bigger is not ours
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_EXTRA_FLAGS = getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted at a path must not block the open
_LINK_ERRNOS = {errno.ELOOP, getattr(errno, "EMLINK", errno.ELOOP)}


class ChecksumError(DownloadError):
    """The bytes received do not have the published SHA-256 (twice)."""


class DiskFullError(DownloadError):
    """Not enough free disk for the download, before or while it runs."""


class OversizeError(DownloadError):
    """The server sent more bytes than the source announced."""


class UnsafePathError(DownloadError):
    """A symbolic link (or anything but a plain file) where the download would write."""


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
    """Downloads keep their own file names, in a folder per repo: models/owner/name/.

    ``repo`` is checked first (DownloadError): no repo id leads outside ``models``.
    """
    return models.joinpath(*check_repo_id(repo).split("/"))


def check_no_links(models: Path, folder: Path) -> None:
    """DownloadError unless every folder from ``models`` down to ``folder`` is a real folder
    (or not there yet): a symbolic link on the way would lead the download outside."""
    current = models
    for name in folder.relative_to(models).parts:
        current = current / name
        kind = _kind(current)
        if kind == "missing":
            return
        if kind != "folder":
            what = (
                translate("Download", "a symbolic link")
                if kind == "link"
                else translate("Download", "not a folder")
            )
            raise UnsafePathError(
                translate(
                    "Download",
                    "{path} is {what}: downloads never leave the models folder. Remove it and "
                    "run the download again.",
                ).format(path=current, what=what)
            )


def part_size(folder: Path, file: RemoteFile) -> int:
    """Bytes of ``file`` already downloaded into ``folder`` (whole files count in full);
    a link or anything but a plain file counts as nothing."""
    final = folder / file.name
    if _plain_file(final):
        return file.size
    part = final.with_name(file.name + PART)
    try:
        if _plain_file(part) and _meta_matches(part, file):
            return min(os.lstat(part).st_size, file.size)
    except OSError:
        pass
    return 0


def _meta_path(part: Path) -> Path:
    return part.with_name(part.name.removesuffix(PART) + META)


Kind = Literal["missing", "file", "folder", "link", "other"]
# Windows: symbolic links and junctions (not every reparse point: OneDrive's files are too).
_LINK_TAGS = {
    getattr(stat, "IO_REPARSE_TAG_SYMLINK", 0xA000000C),
    getattr(stat, "IO_REPARSE_TAG_MOUNT_POINT", 0xA0000003),
}


def _kind(path: Path) -> Kind:
    """What is at ``path`` itself, never following a link (DownloadError if it can't tell)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        raise DownloadError(
            translate("Download", "Cannot check {path}: {error}.").format(
                path=path, error=e.strerror
            )
        ) from None
    if stat.S_ISLNK(info.st_mode) or getattr(info, "st_reparse_tag", 0) in _LINK_TAGS:
        return "link"
    if stat.S_ISREG(info.st_mode):
        return "file"
    return "folder" if stat.S_ISDIR(info.st_mode) else "other"


def _plain_file(path: Path) -> bool:
    try:
        return _kind(path) == "file"
    except DownloadError:
        return False


def _refuse_links(*paths: Path) -> None:
    """UnsafePathError if any of ``paths`` is there as a link or as anything but a file."""
    for path in paths:
        kind = _kind(path)
        if kind not in ("missing", "file"):
            raise _unsafe(path, kind)


def _unsafe(path: Path, kind: Kind = "link") -> UnsafePathError:
    what = (
        translate("Download", "a symbolic link")
        if kind == "link"
        else translate("Download", "not a plain file")
    )
    return UnsafePathError(
        translate(
            "Download",
            "{path} is {what}: a download never writes through one. Remove it and run the "
            "download again.",
        ).format(path=path, what=what)
    )


def _open_file(path: Path, flags: int) -> int:
    """``os.open`` that never follows a symbolic link and only opens plain files."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | _EXTRA_FLAGS, 0o666)
    except OSError as e:
        if e.errno in _LINK_ERRNOS:
            raise _unsafe(path) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _unsafe(path, "other")
        if info.st_nlink > 1 and flags & (os.O_WRONLY | os.O_RDWR):
            raise UnsafePathError(
                translate(
                    "Download",
                    "{path} has other hard links: a download never writes into a file that is "
                    "also elsewhere. Remove it and run the download again.",
                ).format(path=path)
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_part(part: Path) -> IO[bytes]:
    _refuse_links(part)
    try:
        fd = _open_file(part, os.O_RDWR | os.O_CREAT | os.O_APPEND)
    except OSError as e:
        raise DownloadError(
            translate("Download", "Cannot open {path}: {error}.").format(
                path=part, error=e.strerror
            )
        ) from None
    return os.fdopen(fd, "a+b")


def _write_meta(path: Path, meta: dict[str, object]) -> None:
    """A fresh file: whatever was at ``path`` (a link included) is removed, not written."""
    _refuse_links(path)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    try:
        fd = _open_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except OSError as e:
        raise DownloadError(
            translate("Download", "Cannot write {path}: {error}.").format(
                path=path, error=e.strerror
            )
        ) from None
    with os.fdopen(fd, "wb") as f:
        f.write(json.dumps(meta).encode("utf-8"))


def _read_meta(path: Path) -> object:
    fd = _open_file(path, os.O_RDONLY | _NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_META + 1)
    if len(data) > MAX_META:
        raise ValueError("not a .part.json")
    return json.loads(data)


def _meta_matches(part: Path, file: RemoteFile) -> bool:
    try:
        saved = _read_meta(_meta_path(part))
    except (OSError, ValueError, RecursionError, DownloadError):
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
        for file in files:
            check_repo_id(file.repo)
            check_file_path(file.path)
            if not isinstance(file.size, int) or file.size < 0:
                raise DownloadError(f"The source gave no valid size for {file.path}.")
        names = [f.name for f in files]
        if len(set(names)) != len(names):
            raise DownloadError("Two of the files to download have the same name.")
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
        _refuse_links(lock.path)  # FileLock writes its pid into the file
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
                translate(
                    "Download",
                    "Not enough free disk space in {folder}: {remaining} still to download "
                    "(plus {margin} to spare), {free} free. Free some space or move the models "
                    "folder.",
                ).format(
                    folder=self.folder,
                    remaining=_gb(remaining),
                    margin=_gb(margin),
                    free=_gb(free),
                )
            )

    def _fetch(self, file: RemoteFile, index: int, done_before: int) -> Path:
        final = self.folder / file.name
        part = final.with_name(file.name + PART)
        _refuse_links(final, part, _meta_path(part))
        if _plain_file(final) and os.lstat(final).st_size == file.size:
            done = done_before + file.size
            self._report(Progress("done", file.name, index, len(self.files), done, self.total))
            return final  # verified when it got its name
        for attempt in (1, 2):
            digest = self._download_part(file, part, index, done_before)
            if file.sha256 is None or digest == file.sha256:
                _refuse_links(final)
                os.replace(part, final)  # replaces the name itself, never a link's target
                with contextlib.suppress(FileNotFoundError):
                    _meta_path(part).unlink()
                return final
            part.unlink()
            _meta_path(part).unlink()
            if attempt == 2:
                raise ChecksumError(
                    translate(
                        "Download",
                        "{name} from {repo} failed its checksum twice (expected SHA-256 "
                        "{expected}, got {digest}). The file was deleted; the source may be "
                        "damaged: try another source.",
                    ).format(name=file.name, repo=file.repo, expected=file.sha256, digest=digest)
                )
        raise AssertionError("unreachable")

    def _download_part(self, file: RemoteFile, part: Path, index: int, done_before: int) -> str:
        """Bring ``part`` to the full size; return the SHA-256 of its bytes."""
        _refuse_links(part, _meta_path(part))
        if not _meta_matches(part, file):
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
        meta = {k: getattr(file, k) for k in ("repo", "path", "revision", "size", "sha256")}
        _write_meta(_meta_path(part), meta)
        base = Progress("checking", file.name, index, len(self.files), done_before, self.total)
        hasher = hashlib.sha256()
        with _open_part(part) as out:
            if os.fstat(out.fileno()).st_size > file.size:  # longer than the file: not ours,
                out.truncate(0)  # and not worth hashing
            have = self._hash_existing(out, hasher, base)
            failures = restarts = 0
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
                            translate(
                                "Download",
                                "Downloading {name} keeps failing ({why}). The {size} received "
                                "are kept: run the download again to resume.",
                            ).format(name=file.name, why=retry, size=_gb(have))
                        ) from None
                    delay = min(self.max_backoff, self.backoff * 2 ** (failures - 1))
                    message = translate(
                        "Download", "{why}; retrying in {delay:.0f} s (attempt {n} of {all})"
                    ).format(why=retry, delay=delay, n=failures, all=self.retries)
                    retrying = replace(
                        base, state="retrying", done=done_before + have, message=message
                    )
                    self._report(retrying, True)
                    if self._stop.wait(delay):
                        self._raise_if_stopped()
                except _Restart:
                    restarts += 1
                    if restarts > MAX_RESTARTS:
                        out.truncate(0)
                        raise DownloadError(
                            translate(
                                "Download",
                                "The server keeps sending {name} from the start instead of "
                                "resuming it, and the connection keeps dropping: try another "
                                "source.",
                            ).format(name=file.name)
                        ) from None
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
                        translate(
                            "Download",
                            "{repo} refused the download (HTTP {status}): the repo may be "
                            "gated or private; set HF_TOKEN to a token that may read it.",
                        ).format(repo=file.repo, status=status)
                    )
                if status == 404:
                    raise DownloadError(
                        translate("Download", "{path} is no longer in {repo} (HTTP 404).").format(
                            path=file.path, repo=file.repo
                        )
                    )
                if status == 429 or status >= 500 or status not in (200, 206):
                    raise _Retry(f"the server answered HTTP {status}", False)
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > file.size - have:
                    raise self._oversize(file, out, start)
                for chunk in response.iter_bytes():
                    if len(chunk) > file.size - have:  # more than announced: stop right here
                        raise self._oversize(file, out, start)
                    self._write(out, chunk, file)
                    hasher.update(chunk)
                    have += len(chunk)
                    self._report(self._downloading(base, have))
                    if self._stop.is_set():
                        break
        except (httpx2.TransportError, httpx2.StreamError) as e:
            raise _Retry(_reason(e), have > start) from None
        except httpx2.RequestError as e:  # endless redirects, a body that cannot be decoded
            out.truncate(start)
            raise DownloadError(
                translate(
                    "Download",
                    "The server's answer for {name} cannot be used ({why}): try another source.",
                ).format(name=file.name, why=_reason(e))
            ) from None
        self._raise_if_stopped()
        if have < file.size:
            raise _Retry("the connection closed early", have > start)
        return have

    def _oversize(self, file: RemoteFile, out: IO[bytes], start: int) -> OversizeError:
        """The error for a server that sends more than announced; what this answer wrote
        is dropped, so nothing past the announced size is ever kept."""
        with contextlib.suppress(OSError):
            out.truncate(start)
            out.flush()
        return OversizeError(
            f"The server sent more than the {file.size:,} bytes announced for {file.name}, "
            "so the download was stopped and the extra bytes discarded. The source may be "
            "broken or not what it claims: try another source."
        )

    def _write(self, out: IO[bytes], chunk: bytes, file: RemoteFile) -> None:
        try:
            out.write(chunk)
        except OSError as e:
            if e.errno in DISK_FULL:
                with contextlib.suppress(OSError):
                    out.flush()
                raise DiskFullError(
                    translate(
                        "Download",
                        "The disk filled up while downloading {name} into {folder}. What was "
                        "received is kept: free some space and resume.",
                    ).format(name=file.name, folder=self.folder)
                ) from None
            raise DownloadError(
                translate("Download", "Cannot write {name}: {error}").format(
                    name=file.name, error=e.strerror
                )
            ) from None

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
        translate(
            "Download",
            "{name} is already being downloaded (process {holder}): let that one finish, or "
            "stop it first.",
        ).format(name=name, holder=holder)
    )


def _gb(n: int) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.1f} MB"
