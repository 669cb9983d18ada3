"""``qwq-desktop ask --remote``: a remote endpoint from the terminal."""

from __future__ import annotations

import json

from app.engine.remote_presets import PRESETS
from tests.fixtures.cli import cli, one_clear_line
from tests.fixtures.fake_upstream import ANSWER, REASONING, FakeUpstream


def test_ask_a_remote_endpoint_and_store_who_answered(fake_upstream: FakeUpstream) -> None:
    env = {"QWQ_REMOTE_API_KEY": "sk-good"}
    args = ["--remote", "custom", "--base-url", fake_upstream.url, "--remote-model", "qwq-32b"]
    result = cli("ask", *args, "-c", "new", "What is 2+2?", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ANSWER
    assert REASONING in result.stderr
    assert [m["content"] for m in fake_upstream.requests[-1].body["messages"]] == ["What is 2+2?"]
    exported = json.loads(cli("export", "--all", "--format", "json").stdout)
    [conversation] = exported["conversations"]
    models = [m.get("model") for m in conversation["messages"] if m["role"] == "assistant"]
    assert models == ["qwq-32b · remote"]


def test_remote_errors_are_one_clear_line(fake_upstream: FakeUpstream) -> None:
    one_clear_line(cli("ask", "--remote", "nowhere", "hi"), "Unknown --remote 'nowhere'")
    one_clear_line(
        cli("ask", "--remote", "dashscope", "hi", env={"DASHSCOPE_API_KEY": ""}),
        "needs an API key: set DASHSCOPE_API_KEY",
    )
    one_clear_line(cli("ask", "hi"), "Give a model")
    wrong = cli(
        "ask", "--remote", "custom", "--base-url", fake_upstream.url, "--remote-model", "q",
        "hi", env={"QWQ_REMOTE_API_KEY": "sk-bad"},
    )  # fmt: skip
    assert wrong.returncode == 1 and "401" in wrong.stderr and "Traceback" not in wrong.stderr


def test_the_help_names_every_preset_and_where_its_key_comes_from() -> None:
    result = cli("ask", "--help", env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    for preset in PRESETS:
        assert preset.id in result.stdout
        if preset.api_key_env:
            assert preset.api_key_env in result.stdout
