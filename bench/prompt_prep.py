"""How long a long conversation takes to become a prompt: render, tokenize, trim.

    python bench/prompt_prep.py [--messages 1001 4001 10001] [--context 4096]

``LocalEngine.chat`` on a scripted QwQ-shaped model (the real chat template, real
llama.cpp tokenizer), with alternating short user and assistant messages, timed until
the generation is returned (nothing is generated). Also one message of 100,000
``<|im_end|>`` texts, which the engine must refuse as too long.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from _common import machine

from app.core.errors import ContextOverflowError
from app.core.messages import ChatMessage
from app.engine.local_engine import LoadSettings, LocalEngine
from tests.fixtures.models import QWQ_SCRIPT
from tests.fixtures.scripted_model import write_scripted_model


def history(n: int) -> list[ChatMessage]:
    messages = [
        ChatMessage("user" if i % 2 == 0 else "assistant", f"message {i} about things")
        for i in range(n - 1)
    ]
    return [*messages, ChatMessage("user", "last")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[1001, 4001, 10001])
    parser.add_argument("--context", type=int, default=4096)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp()) / "scripted.gguf"
    write_scripted_model(path, QWQ_SCRIPT)
    engine = LocalEngine(path, LoadSettings(context_length=args.context))
    print(f"machine: {machine()}; context {args.context}")
    try:
        for n in args.messages:
            started = time.perf_counter()
            generation = engine.chat(history(n))
            seconds = time.perf_counter() - started
            generation.cancel()
            generation.close()
            print(f"{n:>6} messages: prepared in {seconds:.2f} s")
        started = time.perf_counter()
        with contextlib.suppress(ContextOverflowError):
            engine.chat([ChatMessage("user", "<|im_end|>" * 100_000)]).close()
        print(
            f"100,000 <|im_end|> in one message: refused in {time.perf_counter() - started:.2f} s"
        )
    finally:
        engine.close()


if __name__ == "__main__":
    main()
