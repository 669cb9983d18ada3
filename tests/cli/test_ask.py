"""``qwq-desktop ask`` as a user runs it: a real process, real llama.cpp."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from app.core.settings import AppSettings
from tests.fixtures.cli import ROOT, cli, one_clear_line
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory
from tests.fixtures.reasoning_traces import long_thoughts
from tests.fixtures.scripted_model import ScriptedModel


def test_streams_answer_to_stdout_and_reasoning_to_stderr(qwq_model: ScriptedModel) -> None:
    result = cli("ask", "--model", str(qwq_model.path), "--context", "2048", "What is 2+2?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == QWQ_ANSWER + "\n"
    assert QWQ_REASONING in result.stderr
    assert "Thinking" in result.stderr
    assert "Thought for 0.0 s · 4 tokens" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_output(qwq_model: ScriptedModel) -> None:
    result = cli(
        "ask", "-m", str(qwq_model.path), "--context", "2048", "--json", "--seed", "7", "q"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"reasoning", "answer", "finish_reason", "stats"} <= data.keys()
    assert data["reasoning"] == QWQ_REASONING
    assert data["answer"] == QWQ_ANSWER
    assert data["finish_reason"] == "stop"
    stats = data["stats"]
    assert stats["generated_tokens"] == 8
    assert stats["reasoning_tokens"] == 4
    for key in ("prompt_tokens", "time_to_first_token_s", "thinking_seconds", "tokens_per_second"):
        assert key in stats
    assert data["model"]["architecture"] == "qwen2"


def test_max_tokens_ends_with_length(scripted: ScriptFactory) -> None:
    model = scripted([f" s{i}" for i in range(10)], loop=True)
    result = cli(
        "ask", "-m", str(model.path), "--context", "2048", "--json", "--max-tokens", "7", "q"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["finish_reason"] == "length"
    assert data["reasoning_finished"] is False
    assert data["stats"]["generated_tokens"] == 7


def test_a_context_too_large_is_capped_with_a_note(qwq_model: ScriptedModel) -> None:
    result = cli("ask", "-m", str(qwq_model.path), "--context", "200000", "--json", "q")
    assert result.returncode == 0, result.stderr
    assert "capped at 131,072 tokens" in result.stderr
    data = json.loads(result.stdout)
    assert data["model"]["context_length"] == 131072
    assert data["model"]["rope_scaling"] == "yarn"


def test_prompt_from_stdin(qwq_model: ScriptedModel) -> None:
    result = cli("ask", "-m", str(qwq_model.path), "--context", "2048", "-", stdin="From a pipe\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == QWQ_ANSWER


def test_hide_reasoning(qwq_model: ScriptedModel) -> None:
    result = cli("ask", "-m", str(qwq_model.path), "--context", "2048", "--hide-reasoning", "q")
    assert result.returncode == 0
    assert QWQ_REASONING not in result.stderr
    assert "Ctrl+C: answer now · twice: stop" in result.stderr  # Ctrl+C still answers now


def test_bad_model_path() -> None:
    one_clear_line(cli("ask", "-m", "/no/such/model.gguf", "hi"), "not found")


def test_not_a_gguf(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("just some notes\n" * 20)
    one_clear_line(cli("ask", "-m", str(bogus), "hi"), "Not a GGUF model file")


def test_truncated_gguf(qwq_model: ScriptedModel, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(qwq_model.path.read_bytes()[:100_000])
    one_clear_line(cli("ask", "-m", str(cut), "hi"), "truncated")


def test_unsupported_architecture(scripted: ScriptFactory) -> None:
    model = scripted(["x"], architecture="notarealarch")
    one_clear_line(cli("ask", "-m", str(model.path), "hi"), "not supported")


@pytest.mark.parametrize("prompt", ["", "   \n\t "])
def test_empty_prompt(qwq_model: ScriptedModel, prompt: str) -> None:
    one_clear_line(cli("ask", "-m", str(qwq_model.path), prompt), "empty")


def test_prompt_larger_than_the_context(qwq_model: ScriptedModel) -> None:
    result = cli("ask", "-m", str(qwq_model.path), "--context", "512", "word " * 2000)
    one_clear_line(result, "context holds 512")


def test_bad_sampling_value(qwq_model: ScriptedModel) -> None:
    one_clear_line(cli("ask", "-m", str(qwq_model.path), "--top-p", "7", "hi"), "top_p")


def test_everything_stored_lives_under_qwq_desktop_home(
    qwq_model: ScriptedModel, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    portable = tmp_path / "portable"
    env = {
        "HOME": str(home),
        "XDG_DATA_HOME": "",
        "XDG_CONFIG_HOME": "",
        "XDG_CACHE_HOME": "",
        "XDG_STATE_HOME": "",
        "QWQ_DESKTOP_HOME": str(portable),
    }
    result = cli("ask", "-m", str(qwq_model.path), "--context", "2048", "q", env=env)
    assert result.returncode == 0, result.stderr
    assert list(home.iterdir()) == []
    log = portable / "logs" / "qwq-desktop.log"
    assert log.exists()
    assert "llama" in log.read_text()


def _asking(model: ScriptedModel, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "ask", "-m", str(model.path), "--context", "32768", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _read_until(stream: IO[str], text: str) -> str:
    seen = ""
    deadline = time.monotonic() + 60
    while text not in seen and time.monotonic() < deadline:
        seen += stream.read(1)
    return seen


def test_ctrl_c_twice_stops_the_generation_and_keeps_what_was_written(
    scripted: ScriptFactory,
) -> None:
    model = scripted([f" t{i}" for i in range(40)], loop=True)
    proc = _asking(model, "--loop-guard", "off", "q")
    assert proc.stderr is not None
    # Wait until the reasoning streams, then interrupt as a terminal would.
    seen = _read_until(proc.stderr, "t3")
    assert "Ctrl+C: answer now · twice: stop" in seen
    proc.send_signal(signal.SIGINT)  # answer now: the answer then runs forever
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)  # stop
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "stopped by you" in err
    assert "Traceback" not in err


def test_ctrl_c_while_thinking_answers_now(scripted: ScriptFactory) -> None:
    model = scripted(
        [f" idea {i}." for i in range(400)], loop=True, after_blank_line=["So it is", " 4."]
    )
    proc = _asking(model, "--loop-guard", "off", "--json", "q")
    assert proc.stderr is not None and proc.stdout is not None
    # --json prints nothing while it runs: wait until the model is loaded and thinking.
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    data = json.loads(out)
    assert data["answer"] == "So it is 4."
    assert data["reasoning_ended_by"] == "user"
    assert data["finish_reason"] == "stop"
    assert data["reasoning"].endswith("based on the thinking directly now.")


def test_thinking_budget_flag(scripted: ScriptFactory) -> None:
    model = scripted(
        [f" idea {i}." for i in range(400)], loop=True, after_blank_line=["So it is", " 4."]
    )
    flags = ("--context", "4096", "--loop-guard", "off", "q")
    result = cli("ask", "-m", str(model.path), "--json", "--thinking-budget", "40", *flags)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["answer"], data["reasoning_ended_by"]) == ("So it is 4.", "budget")
    assert "idea 39." in data["reasoning"] and "idea 40." not in data["reasoning"]
    timed = cli("ask", "-m", str(model.path), "--thinking-time", "0.2", *flags)
    assert timed.returncode == 0, timed.stderr
    assert timed.stdout == "So it is 4.\n"
    assert "time limit reached" in timed.stderr


def test_a_new_user_with_a_1k_budget_gets_the_answer_after_1k_thinking_tokens(
    scripted: ScriptFactory,
) -> None:
    """The issue's promise, in the terminal, with every other setting as it comes."""
    thoughts = long_thoughts(1_100)  # it would think 1,100 tokens, then stop unanswered
    model = scripted(thoughts, after_blank_line=["So it is", " 4."])
    result = cli("ask", "-m", str(model.path), "--thinking-budget", "1024", "What is 2+2?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "So it is 4.\n"
    assert thoughts[1023].strip() in result.stderr and thoughts[1024].strip() not in result.stderr
    assert "Considering the limited time" in result.stderr and "budget reached" in result.stderr


def test_json_says_the_model_closed_its_trace(qwq_model: ScriptedModel) -> None:
    result = cli("ask", "-m", str(qwq_model.path), "--context", "2048", "--json", "q")
    assert json.loads(result.stdout)["reasoning_ended_by"] == "model"


@pytest.mark.parametrize(
    "flags",
    [
        ("--thinking-budget", "0", "thinking budget"),
        ("--thinking-time", "-1", "thinking time"),
    ],
)
def test_bad_thinking_flags_are_one_clear_line(
    qwq_model: ScriptedModel, flags: tuple[str, str, str]
) -> None:
    flag, value, says = flags
    result = cli("ask", "-m", str(qwq_model.path), flag, value, "q")
    one_clear_line(result, says)


def test_help_lists_the_commands() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("ask", "conversations", "export", "import"):
        assert command in result.stdout


def test_no_arguments_opens_the_window(app_home: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The window holds the data folder: a second instance is refused while it runs.
        deadline = time.monotonic() + 60
        refused = False
        while time.monotonic() < deadline and not refused:
            time.sleep(0.3)
            assert proc.poll() is None, "the window exited"
            refused = "already running" in cli("conversations").stderr
        assert refused
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.parametrize("how", ["file-manager", "--model"])
def test_a_gguf_argument_opens_the_window_with_it_loaded(
    how: str, qwq_model: ScriptedModel, app_home: Path
) -> None:
    """A file manager's "Open with QwQ Desktop" passes the path alone."""
    args = [str(qwq_model.path)] if how == "file-manager" else ["--model", str(qwq_model.path)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        loaded = ""
        while time.monotonic() < deadline and not loaded:
            time.sleep(0.3)
            assert proc.poll() is None, "the window exited"
            loaded = AppSettings.load().last_model  # saved once the model has loaded
        assert loaded == str(qwq_model.path)
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_settings_file_fills_what_no_flag_gives(qwq_model: ScriptedModel) -> None:
    """The window's Settings (context, KV cache type, threads) load the model in `ask`
    too; a flag given on the command line wins over them."""
    AppSettings(context_length=2048, kv_cache_type="q8_0", threads=2).save()
    result = cli("ask", "-m", str(qwq_model.path), "--json", "q")
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)["model"]
    assert model["context_length"] == 2048
    assert model["kv_cache_type"] == "q8_0"

    result = cli("ask", "-m", str(qwq_model.path), "--context", "4096", "--json", "q")
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)["model"]
    assert model["context_length"] == 4096
    assert model["kv_cache_type"] == "q8_0"
