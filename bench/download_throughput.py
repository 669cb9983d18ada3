"""MB/s through our Download vs a bare huggingface_hub.hf_hub_download, on loopback.

One FakeHub (tests/fixtures/fake_hub.py) serves one file of random bytes; in the same
run, rounds alternate the order of three variants, each into a fresh temp folder:

- ours:        Source.resolve + Download.run (SHA-256 verified while it downloads);
- raw:         hf_hub_download (no hash check), then a separate SHA-256 pass, timed
               apart, so that "raw + hash" does the same work as ours;
- ours, drop:  Download with the connection dropped at half the file, then resumed
               (retry backoff 0 s here: the app waits 1 s, which is not throughput).

    python bench/download_throughput.py [--size-mb 512] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Read by huggingface_hub at import: online, quiet, plain HTTP (no hf_transfer).
os.environ["HF_HUB_OFFLINE"] = "0"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ.pop("HF_HUB_ENABLE_HF_TRANSFER", None)

from huggingface_hub import hf_hub_download  # noqa: E402

from app.models.download import Download  # noqa: E402
from app.models.sources import Source  # noqa: E402
from tests.fixtures.fake_hub import FakeHub  # noqa: E402

REPO, FILE = "bench/random", "model.bin"
MiB = 1024**2


def sha256_of(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def ours(hub: FakeHub, folder: Path, drop_after: int | None = None) -> Path:
    files = Source("hf", hub.url).resolve(REPO, [FILE])
    hub.drop_after = drop_after  # set after resolve: only the content GET drops
    backoff = 1.0 if drop_after is None else 0.0
    download = Download(files, folder, on_progress=lambda p: None, backoff=backoff)
    path = download.run()[0]
    assert hub.drop_after is None, "the connection was not dropped"  # it resets once it fires
    return path


def raw(hub: FakeHub, folder: Path) -> Path:
    return Path(hf_hub_download(REPO, FILE, local_dir=folder, endpoint=hub.url))


def timed(fn: Callable[[Path], Path]) -> tuple[float, Path, tempfile.TemporaryDirectory[str]]:
    scratch = tempfile.TemporaryDirectory(prefix="qwq-bench-")
    start = time.perf_counter()
    path = fn(Path(scratch.name))
    return time.perf_counter() - start, path, scratch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    size = args.size_mb * MiB
    data = os.urandom(MiB) * args.size_mb  # one random MiB, repeated: fast to make
    names = ["ours", "raw", "raw + hash", "ours, drop"]
    rates: dict[str, list[float]] = {name: [] for name in names}
    with FakeHub() as hub:
        expected = hub.add_file(REPO, FILE, data)
        del data
        variants: list[tuple[str, Callable[[Path], Path]]] = [
            ("ours", lambda d: ours(hub, d)),
            ("raw", lambda d: raw(hub, d)),
            ("ours, drop", lambda d: ours(hub, d, drop_after=size // 2)),
        ]
        for r in range(args.rounds):
            order = variants[r % 3 :] + variants[: r % 3]
            cells = []
            for name, fn in order:
                seconds, path, scratch = timed(fn)
                with scratch:  # the hash pass checks every variant; only raw's is timed
                    hash_start = time.perf_counter()
                    digest = sha256_of(path)
                    hashing = time.perf_counter() - hash_start
                assert digest == expected, f"{name}: wrong bytes"
                rates[name].append(size / MiB / seconds)
                cells.append(f"{name} {size / MiB / seconds:7.1f}")
                if name == "raw":
                    rates["raw + hash"].append(size / MiB / (seconds + hashing))
                    cells.append(f"raw + hash {rates['raw + hash'][-1]:7.1f}")
            print(f"round {r + 1}: " + "  ".join(cells) + "  MB/s")
        assert not hub.errors, hub.errors[0]

    med = {name: statistics.median(values) for name, values in rates.items()}
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    print(f"\nmachine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"file: {args.size_mb} MiB over loopback, {args.rounds} rounds (MB/s = MiB/s)\n")
    print(f"{'variant':<28}{'median MB/s':>12}{'min':>9}{'max':>9}")
    for name in names:
        values = rates[name]
        print(f"{name:<28}{med[name]:>12.1f}{min(values):>9.1f}{max(values):>9.1f}")
    print(f"\nratio ours / raw:            {med['ours'] / med['raw']:.3f}")
    print(f"ratio ours / (raw + hash):   {med['ours'] / med['raw + hash']:.3f}")
    print(f"ratio ours, drop / ours:     {med['ours, drop'] / med['ours']:.3f}")


if __name__ == "__main__":
    main()
