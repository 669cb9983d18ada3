"""``ask --tool NAME``: the tools a question may use, asking on the terminal before a
tool with side effects runs, and the calls for ``--json``.

NAME is a built-in tool (``calculator``, ``python``, ``datetime``, ``conversations``: the
model sees it as ``search_conversations``) or ``mcp:SERVER``, every enabled tool of an MCP
server configured in settings.json. ``--yes`` approves every call without asking;
otherwise a call that needs approval is asked about on the terminal, and refused (the
model is told) when stdin is not a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from app.core.errors import InvalidRequestError
from app.core.events import ChatEvent, ToolApprovalNeeded, ToolCallRequested, ToolCallResult
from app.core.settings import AppSettings
from app.core.tool_calls import MalformedToolCall
from app.store.conversations import ConversationStore
from app.tool_turn import Decision
from app.tools.builtin import builtin_tools
from app.tools.mcp_config import parse_servers
from app.tools.mcp_servers import McpServers
from app.tools.tool import Tool

CLI_NAMES = {
    "calculator": "calculator",
    "python": "python",
    "datetime": "datetime",
    "conversations": "search_conversations",
}
MCP_PREFIX = "mcp:"
PREVIEW = 200  # characters of a call's arguments and result shown on the terminal


def check_names(names: Sequence[str]) -> None:
    """Refuse an unknown ``--tool`` before anything loads."""
    for name in names:
        if name not in CLI_NAMES and not (name.startswith(MCP_PREFIX) and name[len(MCP_PREFIX) :]):
            known = ", ".join([*CLI_NAMES, "mcp:SERVER"])
            raise InvalidRequestError(f"Unknown --tool {name!r}: use {known}.")


def builtin(names: Sequence[str], store: ConversationStore | None) -> list[Tool]:
    """The built-in tools among ``names`` (``conversations`` needs the store)."""
    wanted = [CLI_NAMES[n] for n in names if n in CLI_NAMES]
    return list(builtin_tools(store, names=dict.fromkeys(wanted)).values())


def mcp_servers(names: Sequence[str], settings: AppSettings) -> McpServers | None:
    """The MCP servers named ``mcp:SERVER``, started now (the caller closes them); a
    server not in settings.json, turned off, or that fails to start is one clear error."""
    wanted = [n[len(MCP_PREFIX) :] for n in names if n.startswith(MCP_PREFIX)]
    if not wanted:
        return None
    configs, _problems = parse_servers(settings.mcp_servers)
    known = {c.name: c for c in configs}
    for name in wanted:
        if name not in known:
            there = ", ".join(known) or "none"
            raise InvalidRequestError(
                f"No MCP server {name!r} in settings.json's mcpServers (there are: {there})."
            )
        if known[name].disabled:
            raise InvalidRequestError(f"The MCP server {name!r} is turned off in settings.json.")
    servers = McpServers([known[n] for n in wanted])
    for name in wanted:
        status = servers.start(name)
        if status.state != "ready":
            servers.close()
            raise InvalidRequestError(
                f"The MCP server {name!r} did not start: {status.error or status.state}"
            )
    return servers


def _line(text: str, limit: int = PREVIEW) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


@dataclass
class ToolCalls:
    """The calls of one answer, in order, as ``--json`` gives them: name, arguments,
    result (None when it failed or never ran) and error."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def take(self, event: ChatEvent) -> None:
        if isinstance(event, ToolCallRequested):
            call = event.call
            if isinstance(call, MalformedToolCall):
                self.calls.append(
                    {"id": call.id, "name": "", "arguments": {}, "result": None,
                     "error": call.reason, "raw": call.raw}
                )  # fmt: skip
            else:
                self.calls.append(
                    {"id": call.id, "name": call.name, "arguments": dict(call.arguments),
                     "result": None, "error": None}
                )  # fmt: skip
        elif isinstance(event, ToolCallResult):
            for entry in self.calls:
                if entry["id"] == event.call_id and entry["error"] is None:
                    if event.ok:
                        entry["result"] = event.text
                    else:
                        entry["error"] = event.text.removeprefix("Error: ")
                    entry["approval"] = event.approval

    def to_json(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in c.items() if k != "id"} for c in self.calls]


def describe(event: ChatEvent) -> str | None:
    """A line for the terminal (stderr) about a call, or None for other events."""
    if isinstance(event, ToolCallRequested):
        call = event.call
        if isinstance(call, MalformedToolCall):
            return f"→ malformed tool call: {call.reason}"
        args = json.dumps(dict(call.arguments), ensure_ascii=False)
        return f"→ {call.name}({_line(args)})"
    if isinstance(event, ToolCallResult):
        mark = "←" if event.ok else "✗"
        return f"{mark} {event.name or 'tool'}: {_line(event.text)} ({event.seconds:.1f} s)"
    return None


def terminal_approver(
    stdin: TextIO, err: TextIO, *, yes: bool
) -> Callable[[ToolApprovalNeeded], Decision]:
    """How a call is approved: asked on the terminal, or refused when stdin is not one."""

    def ask(event: ToolApprovalNeeded) -> Decision:
        call = event.call
        if yes:
            return "once"
        if not stdin.isatty():
            err.write(
                f"qwq-desktop: note: {call.name} needs your approval and stdin is not a "
                "terminal: refused (give --yes to allow it).\n"
            )
            err.flush()
            return "deny"
        args = json.dumps(dict(call.arguments), ensure_ascii=False, indent=2)
        err.write(f"\nQwQ wants to run {call.name} with:\n{args}\n")
        while True:
            err.write("Allow? [y] once · [a] for this conversation · [N] deny: ")
            err.flush()
            answer = stdin.readline()
            if not answer:  # end of input
                return "deny"
            choice = answer.strip().lower()
            if choice in ("y", "yes"):
                return "once"
            if choice in ("a", "always"):
                return "conversation"
            if choice in ("", "n", "no"):
                return "deny"

    return ask


def needs_a_terminal(tools: Sequence[Tool], yes: bool) -> str | None:
    """Why ``ask`` cannot go on: a tool that asks first, no ``--yes``, no terminal."""
    asking = [t.name for t in tools if t.needs_approval]
    if asking and not yes and not sys.stdin.isatty():
        return (
            f"{', '.join(asking)} asks before each run and stdin is not a terminal: "
            "give --yes to allow it, or leave that --tool out."
        )
    return None
