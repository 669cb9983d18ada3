"""A 50-page PDF attached to a question: extraction, token count, the time to the first
token, and the follow-up's (which re-uses the cache: the document is not read again).

gemma3 270M from PyPI on the CPU (QwQ-32B reads ~100× slower; the tokens processed are what
carry over), a generated PDF of ``--pages`` pages of ``--lines`` lines.

    python bench/attach_ttft.py [--pages 50] [--lines 40] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import gemma_path, machine

from app.core.sampling import SamplingSettings
from app.documents.attach import attach
from app.engine.local_engine import LoadSettings, LocalEngine
from app.keep_warm import KeepWarm
from app.session import ChatSession
from app.store.conversations import ConversationStore
from tests.fixtures.documents import text_pdf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "report.pdf"
        pdf.write_bytes(text_pdf(args.pages, args.lines))
        engine = LocalEngine(gemma_path(), LoadSettings(context_length=32768, threads=args.threads))
        t = time.perf_counter()
        a = attach(pdf, engine.count_tokens)
        read_s = time.perf_counter() - t
        print(
            f"{pdf.name}: {args.pages} pages, {pdf.stat().st_size / 1e6:.2f} MB, "
            f"{a.tokens:,} tokens; extracted and counted in {read_s * 1000:.0f} ms"
        )
        sampling = SamplingSettings(max_tokens=16, seed=1)
        with ConversationStore(Path(tmp) / "data") as store:
            keep = KeepWarm(store, engine, None)
            session = ChatSession(store, engine)
            c = store.create()
            first = list(session.reply(c.id, "What does page 12 say?", sampling, attachments=[a]))
            done = first[-1]
            s = done.stats  # type: ignore[union-attr]
            print(
                f"question: prompt {s.prompt_tokens:,} tokens, processed "
                f"{s.prompt_tokens_processed:,}; time to first token {s.time_to_first_token_s:.2f} s"
            )
            keep.after_reply(c.id)  # the idle re-warm after the reply
            second = list(session.reply(c.id, "And page 40?", sampling))
            f = second[-1].stats  # type: ignore[union-attr]
            print(
                f"follow-up: prompt {f.prompt_tokens:,} tokens, processed "
                f"{f.prompt_tokens_processed:,}; time to first token {f.time_to_first_token_s:.2f} s"
            )
        engine.close()


if __name__ == "__main__":
    main()
