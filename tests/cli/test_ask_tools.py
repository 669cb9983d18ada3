"""``qwq-desktop ask --tool``: a real process, real llama.cpp with scripted models that
call tools, the real tools; approval asked on a real terminal (a pseudo-terminal)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from app.core.paths import AppPaths
from app.core.settings import AppSettings
from tests.fixtures.cli import ROOT, cli, one_clear_line
from tests.fixtures.models import ScriptFactory
from tests.fixtures.scripted_model import Piece, ScriptedModel
from tests.fixtures.tool_scripts import ANSWER_1024, CALC_ROUND, PYTHON_ROUND

CALC = CALC_ROUND
ANSWER = ANSWER_1024
PY = PYTHON_ROUND


def _model(scripted: ScriptFactory, first: list[Piece]) -> ScriptedModel:
    return scripted(first, after_tool_results=ANSWER)


def test_a_tool_call_is_shown_and_given_in_json(scripted: ScriptFactory) -> None:
    model = _model(scripted, CALC)
    args = ("ask", "-m", str(model.path), "--context", "4096", "--tool", "calculator")
    result = cli(*args, "What is 2**10?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "**1024**\n"
    assert '→ calculator({"expression": "2**10"})' in result.stderr
    assert "← calculator: 1024" in result.stderr

    data = json.loads(cli(*args, "--json", "What is 2**10?").stdout)
    assert data["answer"] == "**1024**" and data["finish_reason"] == "stop"
    assert data["tool_calls"] == [
        {
            "name": "calculator",
            "arguments": {"expression": "2**10"},
            "result": "1024",
            "error": None,
            "approval": "not needed",
        }
    ]


def test_without_the_tool_the_call_is_only_text(scripted: ScriptFactory) -> None:
    model = _model(scripted, CALC)
    result = cli("ask", "-m", str(model.path), "--context", "4096", "--json", "2**10?")
    data = json.loads(result.stdout)
    assert "tool_calls" not in data and "<tool_call>" in data["answer"]


def test_a_tool_that_asks_first_is_refused_without_a_terminal(scripted: ScriptFactory) -> None:
    model = _model(scripted, PY)
    result = cli("ask", "-m", str(model.path), "--tool", "python", "6*7?", stdin="")
    one_clear_line(result, "give --yes")


def test_yes_runs_it_without_asking(scripted: ScriptFactory) -> None:
    model = _model(scripted, PY)
    result = cli(
        "ask", "-m", str(model.path), "--context", "4096", "--tool", "python", "--yes",
        "--json", "6*7?", stdin="",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (call,) = json.loads(result.stdout)["tool_calls"]
    assert call["name"] == "python" and call["approval"] == "auto"
    # It ran: 42, or the runner's own refusal where this machine cannot cut the network.
    assert call["result"] == "42\n" or "network" in call["error"]


def test_unknown_tools_and_bad_rounds_are_one_clear_line(qwq_model: ScriptedModel) -> None:
    one_clear_line(cli("ask", "-m", str(qwq_model.path), "--tool", "weather", "q"), "weather")
    one_clear_line(
        cli("ask", "-m", str(qwq_model.path), "--max-tool-rounds", "-1", "q"), "max-tool-rounds"
    )


def _on_terminal(args: list[str], answer: str) -> tuple[int, str, str]:
    """Run with stdin on a pseudo-terminal; type ``answer`` when asked."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    os.close(secondary)
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 60
    while "Allow?" not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
        if "QwQ wants to run" in line:
            time.sleep(0.2)
            os.write(main, answer.encode())
            break
    err = proc.stderr.read()  # the same buffered reader (communicate() would skip its buffer)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.wait(timeout=60)
    proc.stdout.close()
    proc.stderr.close()
    os.close(main)
    return proc.returncode, out, seen + err


def test_the_terminal_is_asked_and_a_no_is_told_to_the_model(scripted: ScriptFactory) -> None:
    model = _model(scripted, PY)
    args = ["ask", "-m", str(model.path), "--context", "4096", "--tool", "python", "--json", "q"]
    code, out, err = _on_terminal(args, "n\n")
    assert code == 0, err
    assert "QwQ wants to run python with:" in err and '"code": "print(6*7)"' in err
    (call,) = json.loads(out)["tool_calls"]
    assert call["approval"] == "denied" and call["result"] is None
    assert "did not allow" in call["error"]


FIXTURE = str(ROOT / "tests" / "fixtures" / "mcp_server.py")
NOTE: list[Piece] = [
    "Note it.",
    "</think>",
    "\n\n",
    "<tool_call>\n",
    '{"name": "write_note", "arguments": {"text": "buy milk"}}',
    "\n</tool_call>",
]


def _mcp_settings(tmp_path: Path, mode: str = "normal") -> Path:
    notes = tmp_path / "notes.txt"
    settings = AppSettings()
    settings.mcp_servers = {
        "notes": {
            "command": sys.executable,
            "args": [FIXTURE, "--mode", mode],
            "env": {"MCP_NOTES": str(notes)},
        }
    }
    settings.save(AppPaths.current())
    return notes


def test_an_mcp_servers_tool_runs_through_ask(scripted: ScriptFactory, tmp_path: Path) -> None:
    notes = _mcp_settings(tmp_path)
    model = _model(scripted, NOTE)
    args = ["ask", "-m", str(model.path), "--context", "4096", "--tool", "mcp:notes"]
    refused = cli(*args, "--json", "Note: buy milk", stdin="")  # no terminal, no --yes
    (call,) = json.loads(refused.stdout)["tool_calls"]
    assert call["approval"] == "denied" and not notes.exists()
    assert "write_note needs your approval" in refused.stderr

    result = cli(*args, "--yes", "--json", "Note: buy milk", stdin="")
    assert result.returncode == 0, result.stderr
    (call,) = json.loads(result.stdout)["tool_calls"]
    assert (call["name"], call["result"], call["approval"]) == ("write_note", "noted", "auto")
    assert notes.read_text(encoding="utf-8") == "buy milk\n"


def test_an_unknown_or_failing_mcp_server_is_one_clear_line(
    qwq_model: ScriptedModel, tmp_path: Path
) -> None:
    _mcp_settings(tmp_path, mode="crash_at_start")
    base = ["ask", "-m", str(qwq_model.path), "q"]
    one_clear_line(cli(*base, "--tool", "mcp:nowhere"), "no mcp server 'nowhere'")
    one_clear_line(cli(*base, "--tool", "mcp:notes"), "did not start")
