"""What the KV-cache prefix reuse saves on a follow-up in a long conversation.

A conversation of N earlier exchanges on gemma3 270M: the follow-up is sent once
right after the previous reply (warm: the cache holds the conversation) and once
after an unrelated prompt (cold: everything is processed again).

    python bench/prefix_reuse.py [--turns 12] [--threads 2]
"""

from __future__ import annotations

import argparse

from _common import gemma_path, machine

from app.core.events import GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.local_engine import LoadSettings, LocalEngine

FILLER = (
    "Tell me about the history of lighthouses, their lenses, the keepers who ran them, "
    "and how automation changed the job in the twentieth century. "
)


def ask(engine: LocalEngine, messages: list[ChatMessage]) -> GenerationDone:
    done = None
    for event in engine.chat(messages, SamplingSettings(max_tokens=24, seed=1)):
        done = event
    assert isinstance(done, GenerationDone)
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    engine = LocalEngine(gemma_path(), LoadSettings(context_length=8192, threads=args.threads))

    history: list[ChatMessage] = []
    for i in range(args.turns):
        history.append(ChatMessage.user(f"Question {i}: {FILLER}"))
        done = ask(engine, history)
        history.append(ChatMessage.assistant(done.answer, done.reasoning))
    history.append(ChatMessage.user("Thanks! One last question: who invented the Fresnel lens?"))

    # Warm: the cache holds the conversation up to the last reply, as in real use.
    warm = ask(engine, history)
    # Cold: the same follow-up with an empty cache.
    engine._llm.reset()
    cold = ask(engine, history)

    print(f"machine: {machine()}")
    print(
        f"conversation: {args.turns} exchanges, follow-up prompt {warm.stats.prompt_tokens:,} tokens"
    )
    for name, d in (("warm (prefix reused)", warm), ("cold (no reuse)", cold)):
        s = d.stats
        print(
            f"{name:22s} processed {s.prompt_tokens_processed:5,} of {s.prompt_tokens:,} tokens "
            f"({s.prompt_tokens_cached:,} cached), time to first token {s.time_to_first_token_s * 1000:7.1f} ms"
        )
    saved = 1 - warm.stats.time_to_first_token_s / cold.stats.time_to_first_token_s
    print(f"time to first token saved by reuse: {saved:.0%}")
    engine.close()


if __name__ == "__main__":
    main()
