"""MCP servers for real: the fixture server (tests/fixtures/mcp_server.py, on the official
SDK) runs as a subprocess over stdio, or over streamable HTTP on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.core import i18n
from app.tools.mcp_config import McpServerConfig
from app.tools.mcp_servers import (
    MAX_DESCRIPTION_CHARS,
    MAX_RESULT_CHARS,
    McpServers,
    McpTool,
)
from app.tools.tool import Tool

FIXTURE = str(Path(__file__).resolve().parent.parent / "fixtures" / "mcp_server.py")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {"MCP_NOTES": tmp_path / "notes.txt", "MCP_PIDS": tmp_path / "pids.txt"}


def server(
    files: dict[str, Path],
    name: str,
    mode: str = "normal",
    *,
    env: dict[str, str] | None = None,
    **flags: Any,
) -> McpServerConfig:
    """The fixture server in ``mode``, as the user would configure it."""
    env = {k: str(v) for k, v in files.items()} | (env or {})
    return McpServerConfig(
        name, command=sys.executable, args=(FIXTURE, "--mode", mode), env=env, **flags
    )


def pids(files: dict[str, Path]) -> list[int]:
    path = files["MCP_PIDS"]
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def make(files: dict[str, Path]) -> Iterator[Callable[..., McpServers]]:
    """McpServers over the given configs; closed at the end, leaving no server running."""
    made: list[McpServers] = []

    def build(*configs: McpServerConfig, **timeouts: float) -> McpServers:
        made.append(McpServers(configs, **timeouts))
        return made[-1]

    yield build
    for servers in made:
        servers.close()
    assert not [pid for pid in pids(files) if alive(pid)]


def by_name(tools: list[McpTool]) -> dict[str, McpTool]:
    return {t.name: t for t in tools}


def test_nothing_starts_until_asked_then_its_tools_are_listed_and_called(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    servers = make(server(files, "notes"))
    assert [s.state for s in servers.statuses()] == ["stopped"]
    assert servers.tools() == [] and pids(files) == []
    assert not [t for t in threading.enumerate() if t.name == "mcp-servers"]

    status = servers.start("notes")
    assert status.state == "ready" and status.error == ""
    assert {"add", "echo", "write_note", "calculator"} <= {t.name for t in status.tools}
    assert len(pids(files)) == 1
    tools = by_name(servers.tools())
    assert "add" in tools and "echo" in tools
    tool: Tool = tools["add"]  # what the session runs
    assert tool.spec().parameters["properties"].keys() == {"a", "b"}
    assert tool.spec().description == "Add two integers."
    result = tool.run({"a": 2, "b": 40})
    assert (result.text, result.ok) == ("42", True)
    assert tools["echo"].run('{"text": "hi"}').text == "hi"  # a JSON text of an object
    assert tools["write_note"].run({"text": "remember"}).ok
    assert files["MCP_NOTES"].read_text() == "remember\n"
    assert servers.start("notes").state == "ready" and len(pids(files)) == 1  # not twice
    servers.stop("notes")
    stopped = tools["add"].run({"a": 1, "b": 1})  # a tool offered earlier, called late
    assert not stopped.ok and stopped.text == "The MCP server notes has been stopped."
    assert servers.status("notes").state == "stopped" and len(pids(files)) == 1


def test_a_name_two_servers_offer_or_a_built_in_has_is_prefixed_with_the_server(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    servers = make(server(files, "a"), server(files, "b"))
    servers.start("a")
    alone = by_name(servers.tools())
    assert {"add", "echo", "a__calculator"} <= alone.keys() and "calculator" not in alone
    assert alone["a__calculator"].run({"expression": "1+1"}).text == "server calculator: 1+1"
    servers.start("b")
    both = by_name(servers.tools())
    assert {"a__add", "b__add", "a__echo", "b__echo", "b__calculator"} <= both.keys()
    assert "add" not in both
    assert both["b__add"].server == "b" and both["b__add"].tool_name == "add"
    assert both["b__add"].spec().name == "b__add"
    assert by_name(servers.tools(["b"])).keys() >= {"add", "b__calculator"}
    assert "calculator" in by_name(servers.tools(["b"], reserved=()))


def test_a_hanging_call_times_out_and_the_server_starts_again_on_next_use(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    servers = make(server(files, "slow", "hang"), call_timeout_s=1.5)
    servers.start("slow")
    tools = by_name(servers.tools())
    result = tools["echo"].run({"text": "hi"})
    assert not result.ok
    assert result.text == "The MCP server slow did not answer within 1.5 s."
    status = servers.status("slow")
    assert status.state == "failed" and "did not answer within 1.5 s" in status.error
    again = tools["add"].run({"a": 1, "b": 2})  # started again
    assert (again.text, again.ok) == ("3", True)
    assert servers.status("slow").state == "ready" and len(pids(files)) == 2


def test_a_server_that_fails_to_start_is_failed_with_its_own_words(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    missing = McpServerConfig("ghost", command="/nonexistent/mcp-server-ghost")
    servers = make(server(files, "broken", "crash_at_start"), missing)
    status = servers.start("broken")
    assert status.state == "failed"
    assert status.error == "fixture: no API key given (set FIXTURE_KEY)"
    assert servers.tools() == []
    ghost = servers.start("ghost")
    assert ghost.state == "failed" and "/nonexistent/mcp-server-ghost" in ghost.error
    result = servers.call("broken", "add", {"a": 1, "b": 2})  # tries once more, says why not
    assert not result.ok and "no API key given" in result.text


def test_a_server_that_crashes_during_a_call_is_an_error_result_and_a_failed_status(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    servers = make(server(files, "fragile", "crash"))
    servers.start("fragile")
    result = by_name(servers.tools())["add"].run({"a": 1, "b": 2})
    assert not result.ok
    assert "stopped during the call" in result.text
    assert "the database file is locked, giving up" in result.text
    status = servers.status("fragile")
    assert status.state == "failed"
    assert status.error == "fixture: the database file is locked, giving up"


def test_a_server_slower_to_start_than_the_limit_is_stopped_and_failed(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    slow = server(files, "sleepy", "slow_start", env={"MCP_SLOW_START": "60"})
    servers = make(slow, start_timeout_s=1.0)
    status = servers.start("sleepy")
    assert status.state == "failed"
    assert status.error == "The MCP server sleepy did not start within 1 s."
    servers.stop("sleepy")
    assert not [pid for pid in pids(files) if alive(pid)]


def test_a_disabled_server_or_tool_is_not_offered_nor_run(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    off = server(files, "off", disabled=True)
    partly = server(files, "partly", disabled_tools=frozenset({"write_note"}))
    servers = make(off, partly)
    status = servers.start("off")
    assert status.state == "stopped" and "turned off" in status.error and pids(files) == []
    servers.start("partly")
    tools = by_name(servers.tools())
    assert "write_note" not in tools and "add" in tools
    info = {t.name: t for t in servers.status("partly").tools}
    assert not info["write_note"].enabled and info["add"].enabled  # listed for Settings
    result = servers.call("partly", "write_note", {"text": "x"})
    assert not result.ok and "turned off" in result.text
    assert not files["MCP_NOTES"].exists()


def test_only_tools_marked_read_only_run_without_asking(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    servers = make(server(files, "s", read_only_tools=frozenset({"add", "echo"})))
    servers.start("s")
    tools = by_name(servers.tools())
    assert not tools["add"].needs_approval and not tools["echo"].needs_approval
    assert tools["write_note"].needs_approval and tools["s__calculator"].needs_approval
    info = {t.name: t for t in servers.status("s").tools}
    assert info["add"].read_only and not info["write_note"].read_only


def test_flags_changed_in_settings_apply_at_once_and_a_new_command_restarts(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    servers = make(server(files, "s"))
    servers.start("s")
    servers.configure([server(files, "s", disabled_tools=frozenset({"add"}))])
    assert "add" not in by_name(servers.tools()) and servers.status("s").state == "ready"
    servers.configure([server(files, "s", "hang")])
    assert servers.status("s").state == "stopped"
    servers.configure([])
    assert servers.names() == [] and servers.tools() == []


def test_what_a_tool_answers_is_text_for_the_model_and_bounded(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    servers = make(server(files, "s"))
    servers.start("s")
    tools = by_name(servers.tools())
    failed = tools["fail"].run({"text": "boom"})
    assert not failed.ok and "fail was asked to fail: boom" in failed.text
    picture = tools["picture"].run({})
    assert picture.ok and picture.text == "a red dot\n[image: image/png, 69 bytes]"
    big = tools["big"].run({})
    assert big.text.endswith("\n[truncated]") and len(big.text) == MAX_RESULT_CHARS + 12
    for bad in ([1, 2], "not json", 7):
        result = tools["add"].run(bad)
        assert not result.ok and "JSON" in result.text
    missing = tools["add"].run({"a": 1})
    assert not missing.ok and "b" in missing.text


def test_a_hostile_server_cannot_flood_the_prompt(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    servers = make(server(files, "s", "huge"))
    status = servers.start("s")
    info = {t.name: t for t in status.tools}
    assert len(info["wordy"].description) == MAX_DESCRIPTION_CHARS
    assert "Not offered" in info["bloated"].problem
    assert "Not offered" in info["n" * 500].problem
    tools = by_name(servers.tools())
    assert "bloated" not in tools and all(len(name) <= 64 for name in tools)
    assert len(tools["wordy"].spec().description) == MAX_DESCRIPTION_CHARS


def test_calls_from_several_threads_at_once(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    servers = make(server(files, "s"))
    servers.start("s")
    add = by_name(servers.tools())["add"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: add.run({"a": n, "b": n}).text, range(20)))
    assert results == [str(2 * n) for n in range(20)]


def test_close_stops_every_server_and_thread_and_may_be_called_twice(
    files: dict[str, Path],
) -> None:
    before = set(threading.enumerate())
    servers = McpServers(
        [server(files, "a"), server(files, "h", "hang"), server(files, "b")], call_timeout_s=30
    )
    servers.start("a")
    servers.start("h")
    echo = by_name(servers.tools(["h"]))["echo"]
    with ThreadPoolExecutor(1) as pool:
        hanging = pool.submit(echo.run, {"text": "never"})
        time.sleep(0.2)  # let the call reach the server (the result is checked either way)
        servers.close()
        result = hanging.result(30)
    assert not result.ok
    servers.close()
    assert len(pids(files)) == 2 and not [pid for pid in pids(files) if alive(pid)]
    deadline = time.monotonic() + 10  # asyncio's waitpid threads end as they reap
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(threading.enumerate()) - before == set()
    assert servers.start("b").state == "stopped" and pids(files) == pids(files)[:2]
    assert not servers.call("a", "add", {"a": 1, "b": 1}).ok


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_a_server_over_streamable_http(make: Callable[..., McpServers]) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, FIXTURE, "--mode", "http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        servers = make(McpServerConfig("web", url=url), start_timeout_s=10)
        deadline = time.monotonic() + 30
        while (status := servers.start("web")).state != "ready" and time.monotonic() < deadline:
            assert "ConnectError" in status.error  # not listening yet
            time.sleep(0.1)
        assert status.state == "ready"
        assert by_name(servers.tools())["add"].run({"a": 20, "b": 22}).text == "42"
        nobody = make(McpServerConfig("nobody", url=f"http://127.0.0.1:{_free_port()}/mcp"))
        refused = nobody.start("nobody")
        assert refused.state == "failed" and refused.error
    finally:
        process.terminate()
        process.wait(30)


def test_people_read_the_windows_language_and_the_model_english(
    make: Callable[..., McpServers], files: dict[str, Path]
) -> None:
    slow = server(files, "sleepy", "slow_start", env={"MCP_SLOW_START": "60"})
    servers = make(slow, start_timeout_s=0.5)
    i18n.install(lambda context, text: f"[{context}] {text}")
    try:
        assert servers.start("sleepy").error.startswith("[McpServers] The MCP server sleepy")
        result = servers.call("sleepy", "add", {"a": 1, "b": 2})
    finally:
        i18n.install(None)
    assert result.text == (
        "The MCP server sleepy could not be started:"
        " The MCP server sleepy did not start within 0.5 s."
    )
