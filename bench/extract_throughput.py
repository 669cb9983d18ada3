"""Extraction throughput on a generated corpus: pages/s and MB/s, then passages/s.

The corpus (issue 17's measure: 1,000 files, 10,000 pages) is generated in a temporary
folder with the tests' hand-made PDF writer (tests/fixtures/documents.py): by default 500
PDFs of 20 pages (40 lines each) and 500 Markdown files of about 2,000 words, plus a few
DOCX and HTML files among the text ones. Then every file is extracted with
``app.documents.extract.extract`` (one process, one thread: what a background indexer does
per file) and cut into passages of ~1,200 characters. Reported per kind: files, pages,
MB read, seconds, pages/s and MB/s; then passages and passages/s.

    python bench/extract_throughput.py            # 1,000 files / 10,000 pages
    python bench/extract_throughput.py --small    # 100 files / 1,000 pages
    python bench/extract_throughput.py --pdfs 50 --pages 200 --texts 0
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import machine

from app.documents.extract import extract
from app.documents.passages import passages
from tests.fixtures.documents import make_docx, make_pdf

WORDS = [
    "the",
    "keeper",
    "lit",
    "lamp",
    "ship",
    "harbour",
    "fog",
    "light",
    "tide",
    "rock",
    "north",
    "signal",
    "night",
    "coast",
    "storm",
    "fresnel",
    "lens",
    "beam",
    "rotation",
    "watch",
    "log",
    "entry",
    "weather",
    "wind",
    "calm",
    "wave",
    "sailor",
    "vessel",
]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."


def _pdf(rng: random.Random, pages: int) -> bytes:
    return make_pdf(
        [[f"{p}.{n} " + _sentence(rng)[:80] for n in range(40)] for p in range(1, pages + 1)]
    )


def _markdown(rng: random.Random, words: int) -> str:
    out = [f"# Log {rng.randint(1, 9999)}\n"]
    count = 0
    while count < words:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
        out.append(paragraph + "\n")
        count += paragraph.count(" ") + 1
    return "\n".join(out)


def build(folder: Path, pdfs: int, pages: int, texts: int, words: int) -> None:
    rng = random.Random(17)
    for i in range(pdfs):
        (folder / f"report-{i:04d}.pdf").write_bytes(_pdf(rng, pages))
    for i in range(texts):
        text = _markdown(rng, words)
        if i % 10 == 8:
            (folder / f"memo-{i:04d}.docx").write_bytes(make_docx(text.split("\n\n")))
        elif i % 10 == 9:
            body = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
            (folder / f"page-{i:04d}.html").write_text(f"<html><body>{body}</body></html>")
        else:
            (folder / f"notes-{i:04d}.md").write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", action="store_true", help="100 files / 1,000 pages")
    ap.add_argument("--pdfs", type=int, default=500)
    ap.add_argument("--pages", type=int, default=20, help="pages per PDF")
    ap.add_argument("--texts", type=int, default=500, help="Markdown, DOCX and HTML files")
    ap.add_argument("--words", type=int, default=2000, help="words per text file")
    args = ap.parse_args()
    if args.small:
        args.pdfs, args.texts = 50, 50

    with tempfile.TemporaryDirectory(prefix="qwq-extract-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        build(folder, args.pdfs, args.pages, args.texts, args.words)
        files = sorted(folder.iterdir())
        corpus_mb = sum(f.stat().st_size for f in files) / 1e6
        print(
            f"corpus: {len(files)} files, {args.pdfs * args.pages:,} PDF pages, "
            f"{corpus_mb:.1f} MB (built in {time.perf_counter() - start:.1f} s)"
        )
        print(f"machine: {machine()}")

        seconds: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        pages: dict[str, int] = defaultdict(int)
        size: dict[str, int] = defaultdict(int)
        docs = []
        for path in files:
            t = time.perf_counter()
            doc = extract(path)
            kind = doc.kind
            seconds[kind] += time.perf_counter() - t
            count[kind] += 1
            pages[kind] += len(doc.pages) if kind == "pdf" else 0
            size[kind] += doc.size
            docs.append(doc)

        print(f"\n{'kind':<9}{'files':>7}{'pages':>8}{'MB':>9}{'s':>8}{'pages/s':>10}{'MB/s':>8}")
        for kind in sorted(count):
            s = seconds[kind]
            pps = f"{pages[kind] / s:,.0f}" if pages[kind] else "-"
            print(
                f"{kind:<9}{count[kind]:>7}{pages[kind]:>8,}{size[kind] / 1e6:>9.1f}{s:>8.2f}"
                f"{pps:>10}{size[kind] / 1e6 / s:>8.1f}"
            )
        total = sum(seconds.values())
        print(
            f"{'all':<9}{sum(count.values()):>7}{sum(pages.values()):>8,}"
            f"{sum(size.values()) / 1e6:>9.1f}{total:>8.2f}{'':>10}{sum(size.values()) / 1e6 / total:>8.1f}"
        )

        t = time.perf_counter()
        cut = sum(len(passages(doc)) for doc in docs)
        s = time.perf_counter() - t
        chars = sum(len(doc.text) for doc in docs)
        print(
            f"\npassages: {cut:,} from {chars / 1e6:.1f} M characters in {s:.2f} s ({cut / s:,.0f}/s)"
        )


if __name__ == "__main__":
    main()
