"""``qwq-desktop download``: a real process against the fake Hub, killed, starved of
disk, fed wrong bytes, and resumed."""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.paths import AppPaths
from app.core.settings import AppSettings
from tests.fixtures.cli import ROOT, cli, ends_with_clear_error, one_clear_line
from tests.fixtures.fake_hub import FakeHub

OFFICIAL = "Qwen/QwQ-32B-GGUF"
Q4 = "qwq-32b-q4_k_m.gguf"
MB = 1024 * 1024


def online(hub: FakeHub, **extra: str) -> dict[str, str]:
    return {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": hub.url, "HF_TOKEN": "", **extra}


def data(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def models_folder() -> Path:
    return AppPaths.current().models / "Qwen" / "QwQ-32B-GGUF"


def test_download_a_catalog_quant_and_rerun_is_a_no_op(fake_hub: FakeHub) -> None:
    payload = data(2 * MB)
    fake_hub.add_file(OFFICIAL, Q4, payload)
    result = cli("download", "q4_k_m", env=online(fake_hub))
    assert result.returncode == 0, result.stderr
    target = models_folder() / Q4
    assert result.stdout.strip() == str(target)
    assert target.read_bytes() == payload
    assert "verified" in result.stderr
    assert AppSettings.load().last_model == str(target)  # the first model is the default
    again = cli("download", "q4_k_m", env=online(fake_hub))
    assert again.returncode == 0 and again.stdout.strip() == str(target)
    listed = cli("models")
    assert "[downloaded]" in listed.stdout and str(target) in listed.stdout


def test_any_repo_and_file_from_a_mirror_url(fake_hub: FakeHub) -> None:
    payload = data(300_000)
    fake_hub.add_file("me/Other-GGUF", "other.Q4_K_M.gguf", payload)
    env = online(fake_hub, HF_ENDPOINT="https://unreachable.invalid")
    result = cli(
        "download", "--repo", "me/Other-GGUF", "--file", "other.Q4_K_M.gguf",
        "--source", fake_hub.url, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).read_bytes() == payload
    assert Path(result.stdout.strip()).parent == AppPaths.current().models / "me" / "Other-GGUF"
    one_clear_line(cli("download", "--repo", "me/Other-GGUF", env=env), "both --repo and --file")
    one_clear_line(cli("download", "q9_z", env=env), "No 'q9_z' in the catalog")


def test_modelscope_source(fake_hub: FakeHub) -> None:
    payload = data(400_000)
    fake_hub.add_file(OFFICIAL, Q4, payload)
    env = online(fake_hub, HF_ENDPOINT="https://unreachable.invalid")
    env["MODELSCOPE_DOMAIN"] = fake_hub.modelscope_url
    fake_hub.drop_after = 100_000
    result = cli("download", "q4_k_m", "--source", "modelscope", env=env)
    assert result.returncode == 0, result.stderr
    assert (models_folder() / Q4).read_bytes() == payload
    assert "ModelScope" in result.stderr


def test_a_checksum_failure_says_so_and_leaves_nothing_usable(fake_hub: FakeHub) -> None:
    fake_hub.add_file(OFFICIAL, Q4, data(300_000))
    fake_hub.corrupt = True
    result = cli("download", "q4_k_m", env=online(fake_hub))
    ends_with_clear_error(result, "failed its checksum twice")
    assert not any(models_folder().iterdir()) if models_folder().exists() else True


def test_unreachable_source_is_one_clear_line() -> None:
    env = {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": ""}
    ends_with_clear_error(cli("download", "q4_k_m", env=env), "Cannot reach")


SOURCES = ["hf", "modelscope"]


def _start(
    hub: FakeHub, limit_file_size: int | None = None, source: str = "hf"
) -> subprocess.Popen[str]:
    def limit() -> None:  # runs in the child: a disk that fills at this size
        if limit_file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.Popen(
        [sys.executable, "-m", "app", "download", "q4_k_m", "--source", source],
        cwd=ROOT,
        env={**os.environ, **online(hub, MODELSCOPE_DOMAIN=hub.modelscope_url)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,
    )


@pytest.mark.parametrize("source", SOURCES)
def test_kill_9_mid_download_then_rerun_resumes(fake_hub: FakeHub, source: str) -> None:
    payload = data(3 * MB)
    fake_hub.add_file(OFFICIAL, Q4, payload)
    fake_hub.bytes_per_second = 2 * MB
    proc = _start(fake_hub, source=source)
    part = models_folder() / (Q4 + ".part")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not part.exists() or part.stat().st_size < MB // 2):
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no cleanup at all
    proc.communicate(timeout=30)
    kept = part.stat().st_size
    assert MB // 2 <= kept < 3 * MB
    assert not (models_folder() / Q4).exists()

    fake_hub.bytes_per_second = None
    env = online(fake_hub, MODELSCOPE_DOMAIN=fake_hub.modelscope_url)
    result = cli("download", "q4_k_m", "--source", source, env=env)
    assert result.returncode == 0, result.stderr
    assert "Checking what is already downloaded" in result.stderr
    assert hashlib.sha256((models_folder() / Q4).read_bytes()).digest() == hashlib.sha256(payload).digest()  # fmt: skip
    content = [r for r in fake_hub.requests if r.path.startswith("/cdn/") or "FilePath=" in r.path]
    resumed_from = content[-1].headers.get("Range", "").removeprefix("bytes=").split("-")[0]
    assert int(resumed_from) >= kept - 64 * 1024


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("source", SOURCES)
def test_a_full_disk_keeps_what_arrived_and_resumes_when_there_is_room(
    fake_hub: FakeHub, source: str
) -> None:
    payload = data(2 * MB)
    fake_hub.add_file(OFFICIAL, Q4, payload)
    proc = _start(fake_hub, limit_file_size=MB, source=source)  # past 1 MB: EFBIG
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "disk filled up" in err and "free some space and resume" in err
    assert "Traceback" not in err
    assert (models_folder() / (Q4 + ".part")).stat().st_size == MB
    result = cli("download", "q4_k_m", env=online(fake_hub))
    assert result.returncode == 0, result.stderr
    assert (models_folder() / Q4).read_bytes() == payload


def test_models_refresh_takes_exact_sizes_and_sha256_from_the_hub(fake_hub: FakeHub) -> None:
    payload = data(123_456)
    sha = fake_hub.add_file(OFFICIAL, Q4, payload)
    before = json.loads(cli("models", "--json").stdout)
    assert next(c for c in before["catalog"] if c["key"] == "q4_k_m")["size"] > 19e9
    result = cli("models", "--refresh", "--json", env=online(fake_hub))
    assert result.returncode == 0, result.stderr
    assert "Q8_0: No file qwq-32b-q8_0.gguf" in result.stderr  # this Hub lacks the rest
    q4 = next(c for c in json.loads(result.stdout)["catalog"] if c["key"] == "q4_k_m")
    assert q4["size"] == 123_456
    cached = json.loads((AppPaths.current().cache / "catalog.json").read_text())
    entry = next(e for e in cached["entries"] if e["quant"] == "Q4_K_M")
    assert entry["files"][0]["sha256"] == sha and entry["files"][0]["size_exact"] is True
    # Offline again: the refreshed figures stay.
    after = json.loads(cli("models", "--json").stdout)
    assert next(c for c in after["catalog"] if c["key"] == "q4_k_m")["size"] == 123_456


def test_a_repo_or_file_that_would_leave_the_models_folder_is_one_clear_line() -> None:
    env = {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": ""}
    result = cli("download", "--repo", "../../x", "--file", "y.gguf", env=env)
    one_clear_line(result, "'../../x' is not a valid repository name")
    result = cli("download", "--repo", "me/x", "--file", "../../../y.gguf", "--source", "modelscope", env=env)  # fmt: skip
    one_clear_line(result, "'../../../y.gguf' is not a valid file name")
    assert not (AppPaths.current().models.parent / "y.gguf").exists()
