from __future__ import annotations

from typing import Any

import pytest

from app.tools.mcp_config import (
    McpServerConfig,
    parse_servers,
    with_server_disabled,
    with_tool_flags,
)


def test_stdio_and_http_servers_in_the_shape_other_clients_use() -> None:
    servers, problems = parse_servers(
        {
            "notes": {
                "command": "uvx",
                "args": ["notes-mcp", "--dir", "~/notes"],
                "env": {"NOTES_KEY": "k"},
                "readOnlyTools": ["list_notes"],
                "disabledTools": ["delete_note"],
                "alwaysAllow": ["x"],  # another client's key: ignored, not an error
            },
            "search": {
                "type": "streamable-http",
                "url": "https://search.example/mcp",
                "headers": {"Authorization": "Bearer t"},
                "disabled": True,
            },
        }
    )
    assert problems == []
    notes, search = servers
    assert notes == McpServerConfig(
        name="notes",
        command="uvx",
        args=("notes-mcp", "--dir", "~/notes"),
        env={"NOTES_KEY": "k"},
        disabled_tools=frozenset({"delete_note"}),
        read_only_tools=frozenset({"list_notes"}),
    )
    assert notes.transport == "stdio" and search.transport == "http"
    assert search.headers == {"Authorization": "Bearer t"} and search.disabled
    assert not notes.needs_approval("list_notes") and notes.needs_approval("add_note")
    assert notes.tool_enabled("add_note") and not notes.tool_enabled("delete_note")
    assert not search.tool_enabled("anything")


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("uvx notes", "must be an object"),
        ({}, "neither a command nor a url"),
        ({"command": "a", "url": "http://x"}, "both a command and a url"),
        ({"command": ""}, "a program to run"),
        ({"command": 7}, "a program to run"),
        ({"command": "a", "args": "b c"}, "args must be a list of texts"),
        ({"command": "a", "args": ["b", 1]}, "args must be a list of texts"),
        ({"command": "a", "env": {"K": 1}}, "env must be an object of texts"),
        ({"command": "a", "cwd": 3}, "cwd must be a folder"),
        ({"url": "file:///etc/passwd"}, "http:// or https://"),
        ({"url": "http://x", "headers": ["h"]}, "headers must be an object of texts"),
        ({"url": "http://x", "type": "sse"}, "is not one this app speaks"),
        ({"command": "a", "disabled": "yes"}, "disabled must be true or false"),
        ({"command": "a", "readOnlyTools": "all"}, "readOnlyTools must be a list of tool names"),
        ({"command": "a", "disabledTools": [None]}, "disabledTools must be a list of tool names"),
    ],
)
def test_a_bad_entry_is_skipped_with_a_sentence_naming_it(entry: object, words: str) -> None:
    servers, problems = parse_servers({"bad": entry, "good": {"command": "ok"}})
    assert [s.name for s in servers] == ["good"]
    assert len(problems) == 1 and "bad" in problems[0] and words in problems[0], problems


@pytest.mark.parametrize("raw", [[], "servers", 3, [{"command": "a"}]])
def test_a_block_that_is_not_an_object_reads_as_no_servers(raw: object) -> None:
    servers, problems = parse_servers(raw)
    assert servers == [] and len(problems) == 1 and "mcpServers" in problems[0]


def test_no_block_is_no_servers_and_no_problem() -> None:
    assert parse_servers(None) == ([], []) and parse_servers({}) == ([], [])


def test_names_must_be_short_and_not_blank() -> None:
    servers, problems = parse_servers({"": {"command": "a"}, "n" * 65: {"command": "a"}})
    assert servers == [] and len(problems) == 2


def test_a_restart_is_needed_only_when_the_connection_changes() -> None:
    a = McpServerConfig("a", command="x", env={"K": "1"})
    flags_only = McpServerConfig("a", command="x", env={"K": "1"}, read_only_tools=frozenset("t"))
    assert a.connection() == flags_only.connection()
    assert a.connection() != McpServerConfig("a", command="x", env={"K": "2"}).connection()


def test_tool_flags_are_written_back_keeping_the_rest_of_the_block() -> None:
    raw: dict[str, Any] = {"notes": {"command": "uvx", "timeout": 5}, "other": {"url": "http://x"}}
    off = with_tool_flags(raw, "notes", "delete_note", enabled=False)
    assert off["notes"] == {"command": "uvx", "timeout": 5, "disabledTools": ["delete_note"]}
    assert raw["notes"] == {"command": "uvx", "timeout": 5}  # the original is not changed
    marked = with_tool_flags(off, "notes", "list_notes", read_only=True)
    config = parse_servers(marked)[0][0]
    assert not config.tool_enabled("delete_note") and not config.needs_approval("list_notes")
    back = with_tool_flags(marked, "notes", "delete_note", enabled=True)
    back = with_tool_flags(back, "notes", "list_notes", read_only=False)
    assert back == raw
    assert with_server_disabled(raw, "other", True)["other"] == {
        "url": "http://x",
        "disabled": True,
    }
    assert with_server_disabled(with_server_disabled(raw, "other", True), "other", False) == raw
    with pytest.raises(KeyError):
        with_tool_flags(raw, "missing", "t", enabled=False)
