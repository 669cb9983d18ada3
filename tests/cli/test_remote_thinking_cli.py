"""``qwq-desktop ask --remote ... --thinking-budget``: the budget on an endpoint that can
continue a reply (a fake llama-server) and on one that cannot (DashScope's preset)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from app.core.thinking import WRAP_UP
from tests.fixtures.cli import ROOT, cli
from tests.fixtures.fake_upstream import ANSWER, CONTINUED_ANSWER, REASONING, FakeUpstream

STEPS = [f"Step {n}: add {n} and {n}. " for n in range(40)]


def test_a_thinking_budget_on_llama_server_forces_the_answer(
    fake_upstream: FakeUpstream,
) -> None:
    fake_upstream.continues = "prefill"
    fake_upstream.reasoning, fake_upstream.continued_reasoning = STEPS, []
    result = cli(
        "ask", "--remote", "llama-server", "--base-url", fake_upstream.url,
        "--thinking-budget", "5", "--json", "What is 2+2?",
        env={"LLAMA_API_KEY": "sk-good"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["reasoning_ended_by"], out["answer"]) == ("budget", "".join(CONTINUED_ANSWER))
    assert out["reasoning"].startswith("".join(STEPS[:5]).rstrip() + "\n\nConsidering")
    sent = fake_upstream.requests[-1].body["messages"][-1]
    assert sent == {"role": "assistant", "content": "".join(STEPS[:5]).rstrip() + WRAP_UP}


def test_a_thinking_budget_on_dashscope_is_not_applied(fake_upstream: FakeUpstream) -> None:
    result = cli(
        "ask", "--remote", "dashscope", "--base-url", fake_upstream.url,
        "--thinking-budget", "1", "--json", "What is 2+2?",
        env={"DASHSCOPE_API_KEY": "sk-good"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["reasoning"], out["answer"]) == (REASONING, ANSWER)
    assert out["reasoning_ended_by"] == "model"
    assert len(fake_upstream.requests) == 1
    assert "the thinking budget is not applied" in result.stderr  # said, not silently ignored


def test_on_an_endpoint_that_cannot_answer_now_one_ctrl_c_stops(
    fake_upstream: FakeUpstream,
) -> None:
    fake_upstream.stall_after = 1  # one piece of the trace, then nothing until stopped
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "ask", "--remote", "dashscope",
         "--base-url", fake_upstream.url, "What is 2+2?"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "DASHSCOPE_API_KEY": "sk-good"},
    )  # fmt: skip
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 60
    while "Ctrl+C" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.read(1)
    seen += proc.stderr.read(len(": stop)"))
    assert "(Ctrl+C: stop)" in seen and "answer now" not in seen
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)  # one is enough: there is no answer to force
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "stopped by you" in err and "Traceback" not in err
