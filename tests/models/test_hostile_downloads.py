"""Downloads from a server that lies, and into a folder where someone planted links.

Each test runs the download under a watchdog: the defects these tests hold were endless
loops, so a download still running after a generous bound is cancelled and the test fails
instead of hanging.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
import threading
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.models import acquire
from app.models.catalog import Catalog
from app.models.download import (
    MAX_RESTARTS,
    Download,
    OversizeError,
    Progress,
    UnsafePathError,
    target_folder,
)
from app.models.sources import (
    DownloadError,
    RemoteFile,
    Source,
    check_file_path,
    check_repo_id,
)
from tests.fixtures.fake_hub import FakeHub

pytestmark = pytest.mark.usefixtures("hf_online")
REPO = "someone/Tiny-GGUF"
SIZE = 300_000
BOUND_S = 20.0  # the bugs loop forever; a fixed download takes well under a second


def blob(n: int, seed: int = 3) -> bytes:
    return random.Random(seed).randbytes(n)


def content_gets(hub: FakeHub) -> int:
    return sum(
        1
        for r in hub.requests
        if r.method == "GET" and (r.path.startswith("/cdn/") or "FilePath=" in r.path)
    )


def run_bounded(download: Download) -> list[Path]:
    """``download.run()``, failing the test (not hanging it) if it is still going after
    BOUND_S seconds."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["paths"] = download.run()
        except BaseException as e:  # handed to the test thread
            outcome["error"] = e

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(BOUND_S)
    if thread.is_alive():
        download.cancel()
        thread.join(10)
        pytest.fail(f"the download was still running after {BOUND_S:.0f} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["paths"]  # type: ignore[return-value]


def fast(files: list[RemoteFile], folder: Path, **kw: object) -> Download:
    return Download(files, folder, backoff=0.01, max_backoff=0.02, **kw)  # type: ignore[arg-type]


def prepared(hub: FakeHub, name: str = "m.gguf") -> list[RemoteFile]:
    hub.add_file(REPO, name, blob(SIZE))
    return Source("hf", hub.url).resolve(REPO, [name])


# -- a server that sends more than it announced ---------------------------------------------


@pytest.mark.parametrize("how", ["extra_bytes", "endless"])
def test_more_bytes_than_announced_stop_the_download_at_once(
    fake_hub: FakeHub, tmp_path: Path, how: str
) -> None:
    files = prepared(fake_hub)
    if how == "endless":
        fake_hub.endless = True  # no length, and bytes until the client hangs up
    else:
        fake_hub.extra_bytes = 100_000
    part = tmp_path / "m.gguf.part"
    biggest = [0]

    def watch(p: Progress) -> None:
        biggest[0] = max(biggest[0], p.done, part.stat().st_size if part.exists() else 0)

    with pytest.raises(OversizeError, match=r"more than the 300,000 bytes announced for m\.gguf"):
        run_bounded(fast(files, tmp_path, on_progress=watch))
    assert content_gets(fake_hub) == 1  # stopped at the first answer: no restart, no retry
    assert biggest[0] <= SIZE
    assert not (tmp_path / "m.gguf").exists()
    assert not part.exists() or part.stat().st_size <= SIZE


def test_a_server_that_keeps_restarting_the_file_is_given_up_on(
    fake_hub: FakeHub, tmp_path: Path
) -> None:
    files = prepared(fake_hub)
    fake_hub.ignore_range = True  # every answer: 200, the whole file from byte 0 ...
    fake_hub.drop_after = 100_000  # ... cut off after 100 KB, every time
    fake_hub.drop_repeat = True
    with pytest.raises(DownloadError, match=r"keeps sending m\.gguf from the start"):
        run_bounded(fast(files, tmp_path))
    assert content_gets(fake_hub) <= 2 * (MAX_RESTARTS + 1) + 1
    part = tmp_path / "m.gguf.part"
    assert not part.exists() or part.stat().st_size <= SIZE


def test_a_part_longer_than_the_file_is_started_over(fake_hub: FakeHub, tmp_path: Path) -> None:
    [file] = prepared(fake_hub)
    plant_meta(tmp_path, file)
    (tmp_path / "m.gguf.part").write_bytes(b"\0" * (SIZE + 1000))
    [path] = run_bounded(fast([file], tmp_path))
    assert path.read_bytes() == blob(SIZE)
    assert content_gets(fake_hub) == 1


@pytest.mark.parametrize("fault", ["bad_encoding", "redirect_loop"])
def test_an_unusable_answer_is_one_clear_error(
    fake_hub: FakeHub, tmp_path: Path, fault: str
) -> None:
    files = prepared(fake_hub)
    setattr(fake_hub, fault, True)
    with pytest.raises(DownloadError, match=r"answer for m\.gguf cannot be used.*another source"):
        run_bounded(fast(files, tmp_path, retries=100))
    part = tmp_path / "m.gguf.part"
    assert not part.exists() or part.stat().st_size == 0


# -- links planted where the download writes --------------------------------------------------


def plant_meta(folder: Path, file: RemoteFile) -> None:
    """A .part.json that matches ``file``, as a paused download leaves it."""
    meta = {k: getattr(file, k) for k in ("repo", "path", "revision", "size", "sha256")}
    (folder / (file.name + ".part.json")).write_text(json.dumps(meta))


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
@pytest.mark.parametrize(
    "planted",
    ["part", "part-hardlink", "meta", "final", "lock"],
)
def test_a_planted_link_is_refused_and_its_target_kept(
    fake_hub: FakeHub, tmp_path: Path, planted: str
) -> None:
    [file] = prepared(fake_hub)
    folder = tmp_path / "models"
    folder.mkdir()
    victim = tmp_path / "precious.txt"
    # The same size as the file: a download that trusted the final name would take it.
    original = b"precious" + b"!" * (SIZE - 8) if planted == "final" else b"precious data\n"
    victim.write_bytes(original)
    suffix = {"part": ".part", "part-hardlink": ".part", "meta": ".part.json"}.get(planted, "")
    suffix = ".lock" if planted == "lock" else suffix
    at = folder / (file.name + suffix)
    if planted == "part-hardlink":
        os.link(victim, at)
    else:
        at.symlink_to(victim)
    if planted.startswith("part"):
        plant_meta(folder, file)  # so the part would be resumed, as if ours
    what = "hard links" if planted == "part-hardlink" else "symbolic link"
    with pytest.raises(UnsafePathError, match=f"{at.name} (is a|has other) {what}.*never"):
        run_bounded(fast([file], folder))
    assert victim.read_bytes() == original
    assert content_gets(fake_hub) == 0  # refused before a byte was fetched


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_at_the_part_json_is_refused_not_waited_on(
    fake_hub: FakeHub, tmp_path: Path
) -> None:
    [file] = prepared(fake_hub)
    os.mkfifo(tmp_path / "m.gguf.part.json")
    try:
        with pytest.raises(UnsafePathError, match="not a plain file"):
            run_bounded(fast([file], tmp_path))
    finally:  # on a failure, wake a reader stuck opening it (none: ENXIO)
        with contextlib.suppress(OSError):
            os.close(os.open(tmp_path / "m.gguf.part.json", os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_linked_repo_folder_cannot_lead_a_download_outside_the_models_folder(
    fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.add_file(REPO, "m.gguf", blob(SIZE))
    monkeypatch.setenv("HF_TOKEN", "")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    models, outside = tmp_path / "models", tmp_path / "outside"
    models.mkdir()
    outside.mkdir()
    (models / "someone").symlink_to(outside)
    catalog = Catalog.load(None)
    request = acquire.request_for(catalog, None, REPO, "m.gguf")
    with pytest.raises(
        UnsafePathError, match="someone is a symbolic link: downloads never leave the models folder"
    ):
        acquire.prepare(catalog, request, Source("hf", fake_hub.url), models).run()
    assert list(outside.iterdir()) == []


# -- names that could leave the models folder -------------------------------------------------

BAD_REPOS = [
    "../../x", "..", "a/../b", "/etc/x", "a/b/c", "a\\b", "C:/x", "a//b", "owner/",
    ".hidden/x", "a/b.", "a--b/c", "CON/x", "a/nul", "é/x", "a/b\n", "x" * 97,
]  # fmt: skip
BAD_FILES = [
    "../y.gguf", "../../y.gguf", "/etc/y.gguf", "a/../../y.gguf", "a\\..\\y.gguf",
    "C:y.gguf", "c:\\y.gguf", "./y.gguf", "a//y.gguf", "y.gguf/", " y.gguf", "y\x00.gguf",
    "y\n.gguf", "aux.gguf", "\udc80.gguf",
]  # fmt: skip


@pytest.mark.parametrize("repo", BAD_REPOS)
def test_invalid_repo_ids_are_refused_in_words(repo: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="is not a valid repository name") as e:
        acquire.request_for(Catalog.load(None), None, repo, "y.gguf")
    assert "\n" not in str(e.value)
    with pytest.raises(DownloadError, match="is not a valid repository name"):
        target_folder(tmp_path, repo)


@pytest.mark.parametrize("path", BAD_FILES)
def test_invalid_file_paths_are_refused_in_words(path: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="is not a valid file name") as e:
        acquire.request_for(Catalog.load(None), None, REPO, path)
    assert "\n" not in str(e.value)
    # Nor from a source's answer (a hostile mirror or catalog): the Download refuses it too.
    file = RemoteFile(REPO, path, 10, None, "http://127.0.0.1:9/x", "main")
    with pytest.raises(DownloadError, match="is not a valid file name"):
        Download([file], tmp_path)


def test_real_repo_ids_and_file_paths_pass() -> None:
    for repo in ("Qwen/QwQ-32B-GGUF", "bartowski/Qwen_QwQ-32B-GGUF", "gpt2", "a.b_c/d-e.1"):
        assert check_repo_id(repo) == repo
    for path in ("qwq-32b-q4_k_m.gguf", "fp16/qwq-32b-fp16-00001-of-00017.gguf", "Q 4/x+y.gguf"):
        assert check_file_path(path) == path


def test_two_files_of_one_name_are_refused(tmp_path: Path) -> None:
    files = [RemoteFile(REPO, p, 10, None, "http://127.0.0.1:9/x", "main") for p in ("a/m.gguf", "b/m.gguf")]  # fmt: skip
    with pytest.raises(DownloadError, match="same name"):
        Download(files, tmp_path)


NAMES = st.text(alphabet=st.sampled_from(list("aZ09._-/\\: \x00\nCé")), max_size=24)


@settings(max_examples=200, deadline=1000)
@given(repo=st.one_of(NAMES, st.text(max_size=24)), path=st.one_of(NAMES, st.text(max_size=24)))
def test_no_repo_or_file_name_leads_outside_the_models_folder(repo: str, path: str) -> None:
    models = Path("/models")
    try:
        folder = target_folder(models, repo)
        check_file_path(path)
    except DownloadError as e:
        assert "\n" not in str(e)
        return
    target = folder / PurePosixPath(path).name
    assert os.path.normpath(target) == str(target)  # no "..", no ".", no "//"
    assert str(target).startswith("/models/") and len(target.parts) in (4, 5)
    assert "\\" not in str(target) and ":" not in str(target)
