"""The loop guard in the real engine: looping scripted models, from the loop to the action.

Each scripted GGUF (tests/fixtures/scripted_model.py) thinks in a loop of a given period,
one piece per token, and answers once the app closes its trace. The engine runs with
the loop guard on ("answer"); the figures are the tokens and characters the model wrote
after its first period (when the repetition starts) until the guard forced the answer,
and the time from the forced close to the first answer token. A model that thinks long
without looping and closes its trace itself shows that the guard stays quiet.

    python bench/loop_guard_engine.py
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from _common import machine

from app.core.events import AnswerDelta, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import ThinkingControl
from app.engine.local_engine import LoadSettings, LocalEngine
from tests.fixtures.reasoning_traces import VARIED
from tests.fixtures.scripted_model import write_scripted_model

ANSWER = ["So the answer ", "is 42."]
SENTENCES = [
    " Let me think about the constraint again.",
    " If x is 3 then y must be 7, which breaks the second rule.",
    " Wait, maybe I mixed up the order of the terms.",
    " Rearranging gives 2x + y = 13, the same equation as before.",
    " Hmm, so the substitution leads back to where I started.",
    " Let me try the other case instead.",
    " Suppose y is even; then x is odd, and the sum is odd.",
    " But the sum must be even, so that case fails too.",
    " Therefore I should check the first case once more.",
    " Going back to the beginning.",
]


def loops() -> dict[str, list[str]]:
    words = ["Let", "me", "re-check", "the", "arithmetic", "one", "step", "at", "a", "time"]
    return {
        "one sentence (~45 chars)": [" Wait, let me check the equation again."],
        "a paragraph (~480 chars)": SENTENCES,
        "3 paragraphs (~1,700 chars)": [s + " (case A)" for s in SENTENCES]
        + [s + " (case B)" for s in SENTENCES]
        + [s + " (case C)" for s in SENTENCES],
        "word by word (~70 chars)": [" " + w for w in words] + ["."],
    }


def run(path: Path, control: ThinkingControl) -> dict[str, float | int | str | None]:
    engine = LocalEngine(path, LoadSettings(context_length=16384, threads=2))
    try:
        g = engine.chat([ChatMessage.user("Solve it.")], SamplingSettings(seed=1), control)
        model_tokens = model_chars = 0
        closed_at = 0.0
        first_answer = 0.0
        done: GenerationDone | None = None
        for event in g:
            if isinstance(event, ReasoningDelta):
                if event.inserted is None:
                    model_tokens += 1
                    model_chars += len(event.text)
                elif not closed_at:
                    closed_at = time.perf_counter()
            elif isinstance(event, AnswerDelta) and not first_answer:
                first_answer = time.perf_counter()
            elif isinstance(event, GenerationDone):
                done = event
        assert done is not None
        return {
            "ended_by": done.reasoning_ended_by,
            "tokens": model_tokens,
            "chars": model_chars,
            "close_to_answer_ms": (first_answer - closed_at) * 1e3 if closed_at else 0.0,
            "processed": done.stats.prompt_tokens_processed,
            "answer": done.answer,
        }
    finally:
        engine.close()


def main() -> None:
    print(f"machine: {machine()}")
    folder = Path(tempfile.mkdtemp(prefix="loop-guard-engine-"))
    print(
        f"{'looping model':<28} {'period':>13} {'after 1st period':>20} {'close→answer':>13}"
        f"  ended_by"
    )
    for name, pieces in loops().items():
        model = write_scripted_model(
            folder / f"{len(pieces)}-{len(pieces[0])}.gguf",
            pieces,
            loop=True,
            after_blank_line=ANSWER,
        )
        period_chars = sum(map(len, pieces))
        r = run(model.path, ThinkingControl(loop_guard="answer"))
        after_tokens = int(r["tokens"]) - len(pieces)
        after_chars = int(r["chars"]) - period_chars
        print(
            f"{name:<28} {len(pieces):>4} tok {period_chars:>5} ch"
            f" {after_tokens:>7,} tok {after_chars:>6,} ch {r['close_to_answer_ms']:>10.1f} ms"
            f"  {r['ended_by']} (answer: {r['answer']!r}, prompt processed {r['processed']})"
        )
    # The varied traces of the test corpus, sentence by sentence (a scripted model's pieces
    # are unique, so a repeated sentence is kept once), each closed by the model itself:
    # the guard must not act on any.
    quiet = tokens = chars = 0
    for name, text in VARIED.items():
        sentences = list(dict.fromkeys(re.findall(r"[^.!?\n]*[.!?\n]", text)))
        sentences = [p for p in sentences if p.strip() and "\n\n" not in p]
        model = write_scripted_model(
            folder / f"varied-{name}.gguf", [*sentences, "</think>", "\n\n", *ANSWER]
        )
        r = run(model.path, ThinkingControl(loop_guard="answer"))
        quiet += r["ended_by"] == "model"
        tokens += int(r["tokens"])
        chars += int(r["chars"])
    print(
        f"varied traces closed by the model: guard quiet on {quiet} of {len(VARIED)}"
        f" ({tokens:,} tokens, {chars:,} chars)"
    )


if __name__ == "__main__":
    main()
