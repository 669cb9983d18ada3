"""Downloads through huggingface-hub's protocol (and ModelScope's) from a local fake
Hub, with the faults the network and the disk really have."""

from __future__ import annotations

import hashlib
import os
import random
import threading
from pathlib import Path

import pytest

from app.models.download import (
    ChecksumError,
    DiskFullError,
    Download,
    DownloadStopped,
    Progress,
)
from app.models.sources import DownloadError, RemoteFile, Source
from tests.fixtures.fake_hub import FakeHub

pytestmark = pytest.mark.usefixtures("hf_online")
REPO = "someone/Tiny-GGUF"
MB = 1024 * 1024


def blob(n: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n)


def resolve(hub: FakeHub, path: str, repo: str = REPO) -> list[RemoteFile]:
    return Source("hf", hub.url).resolve(repo, [path])


def fast(files: list[RemoteFile], folder: Path, **kw: object) -> Download:
    """A download with quick retries, so faults cost the suite little time."""
    return Download(files, folder, backoff=0.01, max_backoff=0.05, **kw)  # type: ignore[arg-type]


def range_starts(hub: FakeHub) -> list[int]:
    starts = []
    for r in hub.requests:  # the bytes: the CDN's or ModelScope's, not the Hub's redirects
        serves_bytes = r.path.startswith("/cdn/") or "FilePath=" in r.path
        if r.method == "GET" and serves_bytes and "range" in {k.lower() for k in r.headers}:
            value = next(v for k, v in r.headers.items() if k.lower() == "range")
            starts.append(int(value.removeprefix("bytes=").split("-")[0]))
    return starts


def test_resolve_reads_size_sha256_and_commit_from_the_hub(fake_hub: FakeHub) -> None:
    data = blob(3000)
    sha = fake_hub.add_file(REPO, "tiny-q4_k_m.gguf", data)
    [file] = resolve(fake_hub, "tiny-q4_k_m.gguf")
    assert (file.size, file.sha256) == (3000, sha)
    assert file.revision == fake_hub.commit_sha(REPO)
    assert file.revision in file.url  # pinned: every retry gets the same bytes
    with pytest.raises(DownloadError, match=r"No file nope\.gguf in someone/Tiny-GGUF"):
        resolve(fake_hub, "nope.gguf")
    with pytest.raises(DownloadError, match="No repo nobody/none"):
        resolve(fake_hub, "x.gguf", repo="nobody/none")


def test_a_download_is_verified_and_only_then_named(fake_hub: FakeHub, tmp_path: Path) -> None:
    data = blob(3 * MB)
    fake_hub.add_file(REPO, "tiny-q4_k_m.gguf", data)
    seen: list[Progress] = []
    [path] = fast(resolve(fake_hub, "tiny-q4_k_m.gguf"), tmp_path, on_progress=seen.append).run()
    assert path == tmp_path / "tiny-q4_k_m.gguf"
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny-q4_k_m.gguf"]
    states = [p.state for p in seen]
    assert states[-1] == "done" and "verifying" in states and "downloading" in states
    assert seen[-1].done == seen[-1].total == 3 * MB
    # Run again: nothing is fetched, the verified file is kept.
    before = len(fake_hub.requests)
    fast(resolve(fake_hub, "tiny-q4_k_m.gguf"), tmp_path).run()
    assert [r for r in fake_hub.requests[before:] if r.method == "GET"] == []


def test_a_split_set_comes_as_a_set(fake_hub: FakeHub, tmp_path: Path) -> None:
    parts = {f"fp16/tiny-fp16-{i:05d}-of-00003.gguf": blob(200_000, i) for i in (1, 2, 3)}
    for path, data in parts.items():
        fake_hub.add_file(REPO, path, data)
    files = resolve(fake_hub, "fp16/tiny-fp16-00002-of-00003.gguf")
    assert [f.path for f in files] == list(parts)
    paths = fast(files, tmp_path).run()
    assert [p.read_bytes() for p in paths] == list(parts.values())
    assert [p.name for p in paths] == [Path(p).name for p in parts]


def test_a_dropped_connection_resumes_where_it_stopped(fake_hub: FakeHub, tmp_path: Path) -> None:
    data = blob(2 * MB)
    fake_hub.add_file(REPO, "m.gguf", data)
    fake_hub.drop_after = 700_000
    seen: list[Progress] = []
    [path] = fast(resolve(fake_hub, "m.gguf"), tmp_path, on_progress=seen.append).run()
    assert path.read_bytes() == data
    starts = range_starts(fake_hub)
    assert starts[0] == 0 and 0 < starts[1] <= 700_000  # the rest, not the whole file again
    [retry] = [p for p in seen if p.state == "retrying"]
    assert "attempt 1 of 8" in retry.message


def test_500s_are_retried_with_backoff_and_a_dead_server_gives_up(
    fake_hub: FakeHub, tmp_path: Path
) -> None:
    data = blob(500_000)
    fake_hub.add_file(REPO, "m.gguf", data)
    fake_hub.fail_next = 3
    seen: list[Progress] = []
    [path] = fast(resolve(fake_hub, "m.gguf"), tmp_path, on_progress=seen.append).run()
    assert path.read_bytes() == data
    retries = [p.message for p in seen if p.state == "retrying"]
    assert len(retries) == 3 and "HTTP 500" in retries[0] and "attempt 3 of 8" in retries[2]

    fake_hub.add_file(REPO, "n.gguf", blob(500_000, 2))
    files = resolve(fake_hub, "n.gguf")
    fake_hub.fail_next = 100
    with pytest.raises(DownloadError, match=r"keeps failing.*run the download again to resume"):
        fast(files, tmp_path, retries=3).run()
    assert not (tmp_path / "n.gguf").exists()


def test_wrong_bytes_are_downloaded_again_then_refused(fake_hub: FakeHub, tmp_path: Path) -> None:
    data = blob(400_000)
    fake_hub.add_file(REPO, "m.gguf", data)
    files = resolve(fake_hub, "m.gguf")
    fake_hub.corrupt = True

    def heal_after_first_check(p: Progress) -> None:
        if p.state == "verifying":
            fake_hub.corrupt = False

    [path] = fast(files, tmp_path, on_progress=heal_after_first_check).run()
    assert path.read_bytes() == data
    assert range_starts(fake_hub).count(0) == 2  # downloaded again from the start

    path.unlink()
    fake_hub.corrupt = True
    with pytest.raises(ChecksumError, match=r"failed its checksum twice.*was deleted"):
        fast(files, tmp_path).run()
    assert list(tmp_path.iterdir()) == []  # no usable file, no part


def test_pause_then_resume_in_a_new_download(fake_hub: FakeHub, tmp_path: Path) -> None:
    data = blob(1 * MB)
    fake_hub.add_file(REPO, "m.gguf", data)
    fake_hub.bytes_per_second = 1 * MB
    files = resolve(fake_hub, "m.gguf")
    first = fast(files, tmp_path)

    def pause_early(p: Progress) -> None:
        if p.state == "downloading" and p.done > 100_000:
            threading.Thread(target=first.pause).start()

    first.on_progress = pause_early
    with pytest.raises(DownloadStopped, match="paused") as stopped:
        first.run()
    assert not stopped.value.cancelled
    part = tmp_path / "m.gguf.part"
    kept = part.stat().st_size
    assert 100_000 < kept < MB
    fake_hub.bytes_per_second = None
    seen: list[Progress] = []
    [path] = fast(files, tmp_path, on_progress=seen.append).run()
    assert path.read_bytes() == data
    assert range_starts(fake_hub)[-1] == kept
    assert seen[0].state == "checking"  # the kept bytes are hashed, not trusted


def test_cancel_can_delete_the_partial_file(fake_hub: FakeHub, tmp_path: Path) -> None:
    fake_hub.add_file(REPO, "m.gguf", blob(MB))
    fake_hub.bytes_per_second = MB
    download = fast(resolve(fake_hub, "m.gguf"), tmp_path)
    download.on_progress = lambda p: download.cancel(delete_partial=True) if p.done else None
    with pytest.raises(DownloadStopped, match="cancelled") as stopped:
        download.run()
    assert stopped.value.cancelled
    assert list(tmp_path.iterdir()) == []


def test_not_enough_disk_is_said_before_anything_is_written(
    fake_hub: FakeHub, tmp_path: Path
) -> None:
    fake_hub.add_file(REPO, "m.gguf", blob(MB))
    download = fast(resolve(fake_hub, "m.gguf"), tmp_path, free_bytes=lambda _p: 100 * MB)
    with pytest.raises(DiskFullError, match=r"Not enough free disk space.*1\.0 MB still to download"):  # fmt: skip
        download.run()
    assert list(tmp_path.iterdir()) == []


def test_a_token_is_sent_when_the_hub_asks_for_one(
    fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = blob(100_000)
    fake_hub.add_file(REPO, "m.gguf", data)
    fake_hub.require_token = "hf_secret"
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no saved login either
    with pytest.raises(DownloadError, match="HF_TOKEN"):
        Source("hf", fake_hub.url).resolve(REPO, ["m.gguf"])
    files = Source("hf", fake_hub.url).resolve(REPO, ["m.gguf"], token="hf_secret")
    [path] = fast(files, tmp_path / "out", token="hf_secret").run()
    assert path.read_bytes() == data


def test_hf_endpoint_and_modelscope_are_sources(
    fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url + "/")
    assert Source.parse("hf") == Source("hf", fake_hub.url)
    assert Source.parse("https://hf-mirror.com/") == Source("hf", "https://hf-mirror.com")
    with pytest.raises(DownloadError, match="Unknown source"):
        Source.parse("ftp")

    data = blob(600_000)
    sha = fake_hub.add_file("Qwen/QwQ-32B-GGUF", "fp16/q-fp16-00001-of-00001.gguf", data)
    monkeypatch.setenv("MODELSCOPE_DOMAIN", fake_hub.modelscope_url)
    source = Source.parse("modelscope")
    [file] = source.resolve("Qwen/QwQ-32B-GGUF", ["fp16/q-fp16-00001-of-00001.gguf"])
    assert (file.size, file.sha256) == (600_000, sha)
    fake_hub.drop_after = 200_000
    [path] = fast([file], tmp_path).run()
    assert path.read_bytes() == data
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    path.unlink()
    fake_hub.fail_next = 2
    seen: list[Progress] = []
    [path] = fast([file], tmp_path, on_progress=seen.append).run()
    assert [p.message.split(";")[0] for p in seen if p.state == "retrying"] == [
        "the server answered HTTP 500"
    ] * 2
    fake_hub.corrupt = True
    path.unlink()
    with pytest.raises(ChecksumError):
        fast([file], tmp_path).run()
    assert not os.listdir(tmp_path)


def test_one_download_of_a_file_at_a_time(fake_hub: FakeHub, tmp_path: Path) -> None:
    fake_hub.add_file(REPO, "m.gguf", blob(MB))
    fake_hub.bytes_per_second = MB // 2
    files = resolve(fake_hub, "m.gguf")
    first = fast(files, tmp_path)
    started = threading.Event()
    first.on_progress = lambda p: started.set() if p.done else None
    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            first.run()
        except DownloadStopped as e:
            errors.append(e)

    thread = threading.Thread(target=run_first)
    thread.start()
    assert started.wait(10)
    with pytest.raises(DownloadError, match=r"m\.gguf is already being downloaded \(process \d+\)"):
        fast(files, tmp_path).run()
    first.pause()
    thread.join(10)
    assert isinstance(errors[0], DownloadStopped)
    fake_hub.bytes_per_second = None
    [path] = fast(files, tmp_path).run()  # the lock went with the first download
    assert path.stat().st_size == MB
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.gguf"]
