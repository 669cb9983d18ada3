"""The fake Hub speaks the protocol the real huggingface_hub client uses, and injects faults."""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
import urllib.request
from pathlib import Path
from urllib.error import HTTPError

import pytest
from huggingface_hub import (
    HfApi,
    constants,
    get_hf_file_metadata,
    hf_hub_download,
    hf_hub_url,
    snapshot_download,
)
from huggingface_hub.errors import (
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile, RepoFolder

from tests.fixtures.fake_hub import FakeHub

pytestmark = pytest.mark.usefixtures("hf_online")

REPO = "Qwen/QwQ-32B-GGUF"
GGUF = "qwq-32b-q4_k_m.gguf"
DATA = bytes(range(256)) * 400  # 102,400 bytes
README = b"# QwQ-32B GGUF\n"


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET (or HEAD, with method=...) without raising on HTTP errors."""
    method = headers.pop("method", "GET")
    request = urllib.request.Request(url, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except HTTPError as error:
        with error:
            return error.code, dict(error.headers.items()), error.read()


@pytest.fixture
def hub(fake_hub: FakeHub) -> FakeHub:
    fake_hub.add_file(REPO, GGUF, DATA)
    fake_hub.add_file(REPO, "README.md", README, lfs=False)
    fake_hub.add_file(REPO, "split/part-00001-of-00002.gguf", b"part one")
    return fake_hub


def _download(hub: FakeHub, tmp_path: Path, filename: str = GGUF) -> bytes:
    path = hf_hub_download(
        REPO,
        filename,
        local_dir=tmp_path / "models",
        cache_dir=tmp_path / "hf-cache",
        endpoint=hub.url,
        force_download=True,
    )
    return Path(path).read_bytes()


def test_model_info_lists_sizes_and_sha256(hub: FakeHub) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    info = api.model_info(REPO, files_metadata=True)
    assert info.id == REPO
    assert info.sha == hub.commit_sha(REPO)
    siblings = {s.rfilename: s for s in info.siblings or []}
    assert set(siblings) == {GGUF, "README.md", "split/part-00001-of-00002.gguf"}
    gguf = siblings[GGUF]
    assert gguf.size == len(DATA)
    assert gguf.lfs is not None and gguf.lfs.sha256 == hashlib.sha256(DATA).hexdigest()
    assert siblings["README.md"].lfs is None and siblings["README.md"].size == len(README)
    # /revision/{rev}, by commit too; without files_metadata, only names.
    bare = api.model_info(REPO, revision=hub.commit_sha(REPO))
    assert [s.size for s in bare.siblings or []] == [None, None, None]


def test_tree_listing(hub: FakeHub) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    top = list(api.list_repo_tree(REPO))
    assert [(type(e), e.path) for e in top] == [
        (RepoFolder, "split"),
        (RepoFile, "README.md"),
        (RepoFile, GGUF),
    ]
    everything = {e.path: e for e in api.list_repo_tree(REPO, recursive=True, expand=True)}
    part = everything["split/part-00001-of-00002.gguf"]
    assert isinstance(part, RepoFile) and part.lfs is not None
    assert part.lfs.sha256 == hashlib.sha256(b"part one").hexdigest()
    assert part.last_commit is not None and part.last_commit.oid == hub.commit_sha(REPO)
    inside = list(api.list_repo_tree(REPO, "split"))
    assert [e.path for e in inside] == ["split/part-00001-of-00002.gguf"]


def test_file_metadata(hub: FakeHub) -> None:
    sha256 = hashlib.sha256(DATA).hexdigest()
    meta = get_hf_file_metadata(hf_hub_url(REPO, GGUF, endpoint=hub.url), token=False)
    assert meta.commit_hash == hub.commit_sha(REPO)
    assert meta.etag == sha256
    assert meta.size == len(DATA)
    assert meta.location == f"{hub.cdn_url}/cdn/{sha256}"
    assert meta.xet_file_data is None
    readme = get_hf_file_metadata(hf_hub_url(REPO, "README.md", endpoint=hub.url), token=False)
    assert readme.etag == hashlib.sha1(b"blob %d\0" % len(README) + README).hexdigest()
    assert readme.size == len(README)
    assert readme.location == hf_hub_url(REPO, "README.md", endpoint=hub.url)


def test_downloads(hub: FakeHub, tmp_path: Path) -> None:
    assert _download(hub, tmp_path) == DATA
    assert _download(hub, tmp_path, "README.md") == README
    cached = hf_hub_download(REPO, GGUF, cache_dir=tmp_path / "cache", endpoint=hub.url)
    assert Path(cached).read_bytes() == DATA
    folder = snapshot_download(
        REPO, local_dir=tmp_path / "snap", cache_dir=tmp_path / "c2", endpoint=hub.url
    )
    assert (Path(folder) / "split/part-00001-of-00002.gguf").read_bytes() == b"part one"


def test_not_found_errors(hub: FakeHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/nothing")
    with pytest.raises(RevisionNotFoundError):
        api.model_info(REPO, revision="no-such-branch")
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(
            REPO, "missing.gguf", local_dir=tmp_path, cache_dir=tmp_path, endpoint=hub.url
        )
    status, headers, _ = _get(f"{hub.url}/{REPO}/resolve/main/missing.gguf", method="HEAD")
    assert (status, headers["X-Error-Code"]) == (404, "EntryNotFound")
    status, _, body = _get(f"{hub.url}/api/agent-harnesses")
    assert status == 200 and json.loads(body) == {"standardEnvVars": [], "harnesses": {}}


def test_ranges(hub: FakeHub) -> None:
    url = f"{hub.cdn_url}/cdn/{hashlib.sha256(DATA).hexdigest()}"
    status, headers, body = _get(url, Range="bytes=1000-1999")
    assert (status, body, headers["Content-Range"]) == (
        206,
        DATA[1000:2000],
        f"bytes 1000-1999/{len(DATA)}",
    )
    status, headers, body = _get(url, Range="bytes=100000-")
    assert (status, body, headers["Content-Length"]) == (
        206,
        DATA[100000:],
        str(len(DATA) - 100000),
    )
    status, headers, _ = _get(url, Range=f"bytes={len(DATA)}-")
    assert (status, headers["Content-Range"]) == (416, f"bytes */{len(DATA)}")
    status, headers, body = _get(url, method="HEAD")
    assert (status, headers["Content-Length"], headers["Accept-Ranges"], body) == (
        200,
        str(len(DATA)),
        "bytes",
        b"",
    )
    # The resolve URL redirects there; urllib follows it.
    status, _, body = _get(f"{hub.url}/{REPO}/resolve/main/{GGUF}", Range="bytes=5-9")
    assert (status, body) == (206, DATA[5:10])


def test_modelscope(hub: FakeHub) -> None:
    base = f"{hub.modelscope_url}/api/v1/models/{REPO}"
    status, _, body = _get(f"{base}/repo/files?Revision=master&Recursive=True")
    listing = json.loads(body)
    assert (status, listing["Code"], listing["Success"]) == (200, 200, True)
    files = {f["Path"]: f for f in listing["Data"]["Files"] if f["Type"] == "blob"}
    assert files[GGUF]["Size"] == len(DATA)
    assert files[GGUF]["Sha256"] == hashlib.sha256(DATA).hexdigest()
    assert files[GGUF]["Name"] == GGUF and files[GGUF]["Revision"] == hub.commit_sha(REPO)
    assert files["split/part-00001-of-00002.gguf"]["Name"] == "part-00001-of-00002.gguf"
    status, _, body = _get(f"{base}/repo/files?Revision=master&Recursive=False")
    assert [f["Path"] for f in json.loads(body)["Data"]["Files"]] == ["split", "README.md", GGUF]
    status, headers, body = _get(f"{base}/repo?Revision=master&FilePath={GGUF}", Range="bytes=10-")
    assert (status, body, headers["Content-Range"]) == (
        206,
        DATA[10:],
        f"bytes 10-{len(DATA) - 1}/{len(DATA)}",
    )
    status, _, body = _get(f"{base}/repo?Revision=master&FilePath=split%2Fpart-00001-of-00002.gguf")
    assert (status, body) == (200, b"part one")
    status, _, body = _get(
        f"{hub.modelscope_url}/api/v1/models/nobody/nothing/repo/files?Revision=master"
    )
    assert status == 404 and json.loads(body)["Success"] is False


def test_require_token(hub: FakeHub, tmp_path: Path) -> None:
    hub.require_token = "s3cret"
    with pytest.raises(RepositoryNotFoundError) as caught:
        HfApi(endpoint=hub.url, token=False).model_info(REPO)
    assert caught.value.response.status_code == 401
    assert HfApi(endpoint=hub.url, token="s3cret").model_info(REPO).sha == hub.commit_sha(REPO)
    path = hf_hub_download(
        REPO, GGUF, local_dir=tmp_path, cache_dir=tmp_path, endpoint=hub.url, token="s3cret"
    )
    assert Path(path).read_bytes() == DATA
    cdn = next(r for r in hub.requests if r.path.startswith("/cdn/"))
    assert "Authorization" not in cdn.headers  # the client keeps the token off the CDN
    ms_files = f"{hub.modelscope_url}/api/v1/models/{REPO}/repo/files"
    assert _get(ms_files)[0] == 401
    assert _get(ms_files, Authorization="Bearer s3cret")[0] == 200
    assert _get(ms_files, Cookie="m_session_id=s3cret")[0] == 200


def test_fail_next(hub: FakeHub, tmp_path: Path) -> None:
    hub.fail_next = 2
    with pytest.raises(HfHubHTTPError) as caught:
        _download(hub, tmp_path)
    assert caught.value.response.status_code == 500
    ms_url = f"{hub.modelscope_url}/api/v1/models/{REPO}/repo?Revision=master&FilePath={GGUF}"
    assert _get(ms_url, method="HEAD")[0] == 200  # HEADs are not content GETs
    assert _get(ms_url)[0] == 500
    assert hub.fail_next == 0
    assert _download(hub, tmp_path) == DATA


def test_drop_after_closes_the_connection_once(hub: FakeHub) -> None:
    url = f"{hub.modelscope_url}/api/v1/models/{REPO}/repo?Revision=master&FilePath={GGUF}"
    hub.drop_after = 1000
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Length"] == str(len(DATA))
        with pytest.raises(http.client.IncompleteRead) as caught:
            response.read()
    assert caught.value.partial == DATA[:1000]
    status, _, body = _get(url)  # it fired once: the next GET gets it all
    assert (status, body) == (200, DATA)
    assert vars(hub)["drop_after"] is None  # (vars: mypy still sees the 1000 set above)


def test_drop_after_is_resumed_by_hf_hub_download(fake_hub: FakeHub, tmp_path: Path) -> None:
    # http_get keeps whole chunks only (10 MiB): drop past the first so it resumes with Range.
    chunk = constants.DOWNLOAD_CHUNK_SIZE
    big = bytes(range(256)) * ((chunk + 2**20) // 256)
    sha256 = fake_hub.add_file(REPO, "big.gguf", big)
    fake_hub.drop_after = chunk + 123
    path = hf_hub_download(
        REPO, "big.gguf", local_dir=tmp_path, cache_dir=tmp_path, endpoint=fake_hub.url
    )
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha256
    gets = [r for r in fake_hub.requests if r.method == "GET" and r.path.startswith("/cdn/")]
    assert [r.headers.get("Range") for r in gets] == [None, f"bytes={chunk}-"]


def test_corrupt(hub: FakeHub, tmp_path: Path) -> None:
    hub.corrupt = True
    meta = get_hf_file_metadata(hf_hub_url(REPO, GGUF, endpoint=hub.url), token=False)
    assert meta.etag == hashlib.sha256(DATA).hexdigest()  # metadata stays honest
    served = _download(hub, tmp_path)
    assert len(served) == len(DATA) and hashlib.sha256(served).hexdigest() != meta.etag
    status, _, part = _get(meta.location, Range="bytes=100-199")
    assert status == 206 and part == served[100:200] and part != DATA[100:200]
    hub.corrupt = False
    assert _download(hub, tmp_path) == DATA


def test_bytes_per_second(hub: FakeHub) -> None:
    hub.bytes_per_second = 50_000
    started = time.monotonic()
    status, _, body = _get(
        f"{hub.cdn_url}/cdn/{hashlib.sha256(DATA).hexdigest()}", Range="bytes=0-9999"
    )
    elapsed = time.monotonic() - started
    assert (status, body) == (206, DATA[:10000])
    assert 0.15 < elapsed < 2


def test_start_is_quick_and_stop_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    hub = FakeHub()
    started = time.perf_counter()
    hub.start()
    assert time.perf_counter() - started < 0.05
    hub.add_file(REPO, GGUF, DATA)
    hub.bytes_per_second = 1000  # a slow body still streaming when the hub stops
    request = urllib.request.Request(f"{hub.url}/{REPO}/resolve/main/{GGUF}")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read(10)
        started = time.perf_counter()
        hub.stop()
    assert time.perf_counter() - started < 1
    assert set(threading.enumerate()) <= before
    assert hub.errors == []
