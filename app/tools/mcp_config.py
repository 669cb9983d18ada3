"""The MCP servers as the user configured them: settings.json's ``"mcpServers"``.

The shape is the one other MCP clients use, so a block can be pasted from their docs::

    "mcpServers": {
      "notes": {"command": "uvx", "args": ["notes-mcp"], "env": {"NOTES_DIR": "~/notes"}},
      "search": {"url": "http://127.0.0.1:8931/mcp", "headers": {"Authorization": "Bearer …"}}
    }

``command``/``args``/``env`` (and ``cwd``) start a server on stdio; ``url`` (and ``headers``)
reach one over streamable HTTP. Our own keys, per server: ``"disabled": true`` (never
started, its tools never offered), ``"disabledTools": [names]`` (not offered to the model)
and ``"readOnlyTools": [names]``: tools the user marked read-only run without asking; every
other MCP tool asks first. A server's own ``readOnlyHint`` is not trusted for that: a server
could say anything about itself.

Read leniently like the rest of the settings: :func:`parse_servers` skips a bad entry with
a sentence naming it and never raises, so one typo does not take every server away. Keys
this app does not know (``timeout``, another client's ``alwaysAllow``…) are ignored here and
kept in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.i18n import translate

Transport = Literal["stdio", "http"]
MAX_SERVERS = 64
MAX_NAME_CHARS = 64
# A "type" key some clients write: which of them mean a transport we speak.
_STDIO_TYPES = {"stdio"}
_HTTP_TYPES = {"http", "streamable-http", "streamable_http", "streamablehttp"}


@dataclass(frozen=True, slots=True)
class McpServerConfig:
    """One configured server. ``env`` and ``headers`` are plain dicts: treat them as read-only."""

    name: str
    command: str = ""  # stdio: the program to run
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str = ""
    url: str = ""  # streamable HTTP: the endpoint
    headers: Mapping[str, str] = field(default_factory=dict)
    disabled: bool = False
    disabled_tools: frozenset[str] = frozenset()
    read_only_tools: frozenset[str] = frozenset()

    @property
    def transport(self) -> Transport:
        return "http" if self.url else "stdio"

    def connection(self) -> tuple[object, ...]:
        """What starting the server depends on: a change here means a restart."""
        return (
            self.command,
            self.args,
            tuple(sorted(self.env.items())),
            self.cwd,
            self.url,
            tuple(sorted(self.headers.items())),
        )

    def tool_enabled(self, tool: str) -> bool:
        return not self.disabled and tool not in self.disabled_tools

    def needs_approval(self, tool: str) -> bool:
        return tool not in self.read_only_tools


def parse_servers(raw: object) -> tuple[list[McpServerConfig], list[str]]:
    """The servers in ``raw`` (settings' ``mcpServers``), in the file's order, and one
    sentence for each entry that was skipped (or for ``raw`` itself not being an object)."""
    if raw is None or raw == {}:
        return [], []
    if not isinstance(raw, Mapping):
        return [], [
            translate(
                "McpConfig",
                "mcpServers must be an object of servers by name; no MCP server was read.",
            )
        ]
    servers: list[McpServerConfig] = []
    problems: list[str] = []
    for name, entry in raw.items():
        if len(servers) >= MAX_SERVERS:
            problems.append(
                translate(
                    "McpConfig",
                    "Only the first {count} MCP servers are read; the rest are skipped.",
                ).format(count=MAX_SERVERS)
            )
            break
        config = _parse_one(name, entry)
        if isinstance(config, str):
            problems.append(config)
        else:
            servers.append(config)
    return servers, problems


def _parse_one(name: object, entry: object) -> McpServerConfig | str:
    """The server, or the sentence that says why it was skipped."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        return translate(
            "McpConfig", "The MCP server name {name} is not a name of 1 to {limit} characters."
        ).format(name=repr(name)[:80], limit=MAX_NAME_CHARS)

    def skipped(reason: str) -> str:
        return translate("McpConfig", "The MCP server {name} is skipped: {reason}").format(
            name=name, reason=reason
        )

    if not isinstance(entry, Mapping):
        return skipped(translate("McpConfig", "its settings must be an object."))
    kind = entry.get("type", entry.get("transport"))
    if kind is not None and (
        not isinstance(kind, str) or kind.lower() not in _STDIO_TYPES | _HTTP_TYPES
    ):
        return skipped(
            translate(
                "McpConfig", "its type {type} is not one this app speaks (stdio or http)."
            ).format(type=repr(kind)[:40])
        )
    command, url = entry.get("command"), entry.get("url")
    if command is not None and url is not None:
        return skipped(translate("McpConfig", "it has both a command and a url; give one."))
    if command is None and url is None:
        return skipped(translate("McpConfig", "it has neither a command nor a url."))
    flags = _flags(entry)
    if isinstance(flags, str):
        return skipped(flags)
    disabled, disabled_tools, read_only_tools = flags
    if url is not None:
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            return skipped(translate("McpConfig", "its url must start with http:// or https://."))
        headers = _strings(entry.get("headers", {}))
        if headers is None:
            return skipped(translate("McpConfig", "its headers must be an object of texts."))
        return McpServerConfig(
            name=name,
            url=url,
            headers=headers,
            disabled=disabled,
            disabled_tools=disabled_tools,
            read_only_tools=read_only_tools,
        )
    if not isinstance(command, str) or not command.strip():
        return skipped(translate("McpConfig", "its command must be a program to run."))
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return skipped(translate("McpConfig", "its args must be a list of texts."))
    env = _strings(entry.get("env", {}))
    if env is None:
        return skipped(translate("McpConfig", "its env must be an object of texts."))
    cwd = entry.get("cwd", "")
    if not isinstance(cwd, str):
        return skipped(translate("McpConfig", "its cwd must be a folder."))
    return McpServerConfig(
        name=name,
        command=command,
        args=tuple(args),
        env=env,
        cwd=cwd,
        disabled=disabled,
        disabled_tools=disabled_tools,
        read_only_tools=read_only_tools,
    )


def _flags(entry: Mapping[str, Any]) -> tuple[bool, frozenset[str], frozenset[str]] | str:
    disabled = entry.get("disabled", False)
    if not isinstance(disabled, bool):
        return translate("McpConfig", "disabled must be true or false.")
    lists: list[frozenset[str]] = []
    for key in ("disabledTools", "readOnlyTools"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return translate("McpConfig", "{key} must be a list of tool names.").format(key=key)
        lists.append(frozenset(value))
    return disabled, lists[0], lists[1]


def _strings(value: object) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return dict(value)


def with_tool_flags(
    raw: Mapping[str, Any],
    server: str,
    tool: str,
    *,
    enabled: bool | None = None,
    read_only: bool | None = None,
) -> dict[str, Any]:
    """A copy of settings' ``mcpServers`` with one tool turned on or off, or marked
    read-only or not (None: left as it is); the rest of the block is kept as it was,
    keys this app does not know included."""
    servers = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in raw.items()}
    entry = servers.get(server)
    if not isinstance(entry, dict):
        raise KeyError(server)
    for key, value, member in (
        ("disabledTools", enabled, False),
        ("readOnlyTools", read_only, True),
    ):
        if value is None:
            continue
        old = entry.get(key, [])
        names = [n for n in old if isinstance(n, str)] if isinstance(old, list) else []
        names = [n for n in names if n != tool]
        if value is member:
            names.append(tool)
        if names:
            entry[key] = sorted(names)
        else:
            entry.pop(key, None)
    return servers


def with_server_disabled(raw: Mapping[str, Any], server: str, disabled: bool) -> dict[str, Any]:
    """A copy of settings' ``mcpServers`` with one server turned off (or on again)."""
    servers = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in raw.items()}
    entry = servers.get(server)
    if not isinstance(entry, dict):
        raise KeyError(server)
    if disabled:
        entry["disabled"] = True
    else:
        entry.pop("disabled", None)
    return servers
