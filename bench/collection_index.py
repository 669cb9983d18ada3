"""A document collection at the issue's size: 1,000 files of 10 page-like sections each
(10,000 "pages" of about 2,500 characters, 10% of them Chinese), indexed from scratch,
re-indexed with nothing changed, then searched with 50 queries (common and rare words,
two words, Chinese, two-character queries). Goal: search under 100 ms.

The corpus is generated once in bench/.cache/collection-corpus (--rebuild to redo); the
index is built fresh every run in a temporary folder.

    python bench/collection_index.py [--files 1000] [--pages 10] [--rebuild]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import CACHE

from app.documents.collections import Collections

SYLLABLES = ["ka", "lo", "mi", "ren", "sta", "vo", "qui", "dex", "bel", "tor", "an", "ez"]
RARE = ["fresnel", "lighthouse", "entanglement", "sourdough", "walrus", "tectonic"]
HANZI = "量子力学物理化学生物历史地理数学语言文化经济社会科学技术工程艺术音乐电影"


def vocabulary(rng: random.Random) -> list[str]:
    words = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(6000)}
    return sorted(words)


def page_text(rng: random.Random, words: list[str], chinese: bool, chars: int = 2500) -> str:
    lines: list[str] = []
    size = 0
    while size < chars:
        if chinese:
            line = "".join(rng.choice(HANZI) for _ in range(rng.randint(20, 40))) + "。"
        else:
            line = " ".join(
                rng.choice(RARE) if rng.random() < 0.002 else rng.choice(words)
                for _ in range(rng.randint(8, 14))
            )
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def build(folder: Path, files: int, pages: int) -> None:
    rng = random.Random(17)
    words = vocabulary(rng)
    for i in range(files):
        sub = folder / f"part{i // 100:02}"
        sub.mkdir(parents=True, exist_ok=True)
        chinese = i % 10 == 0
        body = "\n\n".join(
            f"--- page {p + 1} ---\n{page_text(rng, words, chinese)}" for p in range(pages)
        )
        (sub / f"doc{i:04}.{'md' if i % 3 == 0 else 'txt'}").write_text(body, encoding="utf-8")


def queries(rng: random.Random, words: list[str]) -> list[str]:
    found = [rng.choice(words) for _ in range(15)]  # common words
    found += [rng.choice(RARE) for _ in range(10)]  # rare words
    found += [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(10)]  # two words
    found += ["".join(rng.sample(HANZI, 4)) for _ in range(5)]  # Chinese, 4 characters
    found += ["量子", "物理", "ka", "vo", "ez"]  # under 3 characters: the LIKE scan
    found += ["fresnel lighthouse", "zzzyx", '"NEAR(', "qui dex", "walrus tectonic"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    corpus = CACHE / f"collection-corpus-{args.files}x{args.pages}"
    if args.rebuild and corpus.exists():
        shutil.rmtree(corpus)
    if not corpus.exists():
        t = time.perf_counter()
        build(corpus, args.files, args.pages)
        print(f"corpus generated in {time.perf_counter() - t:.1f} s")
    megabytes = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()) / 1e6
    pages = args.files * args.pages
    print(f"corpus: {args.files:,} files, {pages:,} pages, {megabytes:.1f} MB")

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "collections.db"
        with Collections(db) as collections:
            collections.add("bench", corpus)
            t = time.perf_counter()
            result = collections.reindex("bench")
            first = time.perf_counter() - t
            info = collections.info("bench")
            print(
                f"index from scratch: {first:.1f} s: {args.files / first:,.0f} files/s,"
                f" {pages / first:,.0f} pages/s, {megabytes / first:.2f} MB/s;"
                f" {info.passages:,} passages, index {db.stat().st_size / 1e6:.0f} MB"
                f" (+ WAL); failed {len(result.failed)}"
            )
            t = time.perf_counter()
            again = collections.reindex("bench")
            print(
                f"re-index, nothing changed: {(time.perf_counter() - t) * 1000:.0f} ms"
                f" ({again.unchanged:,} files compared)"
            )
            rng = random.Random(5)
            words = vocabulary(random.Random(17))
            times: list[float] = []
            worst = ("", 0.0)
            hits = 0
            for query in queries(rng, words):
                t = time.perf_counter()
                found = collections.search(query)
                ms = (time.perf_counter() - t) * 1000
                times.append(ms)
                hits += bool(found)
                if ms > worst[1]:
                    worst = (query, ms)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(
                f"search, {len(times)} queries ({hits} with hits): median"
                f" {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {worst[1]:.1f} ms"
                f" ({worst[0]!r})"
            )


if __name__ == "__main__":
    main()
