"""The MCP servers running: started on demand, their tools offered to the model as
:class:`app.tools.tool.Tool` objects, their calls bounded in time and in size.

Built on the official ``mcp`` SDK (``ClientSession`` over ``stdio_client`` or
``streamable_http_client``). The SDK is asyncio; the app's callers are threads (the
window's workers, the CLI's main thread, a session's round loop). So one background thread
runs one event loop that owns every connection, and the public API is synchronous and
thread-safe: each call is handed to that loop and waited for, with a deadline.

What the app promises about servers (docs/security.md, "MCP servers"):

- Nothing starts by itself: a server runs only after :meth:`McpServers.start` (the user
  pressed Start, or asked for its tools), never at construction, so the app stays offline
  unless the user started a server that goes online.
- A server that cannot start, crashes, or does not answer is a status and an error
  result, never an exception and never a hang: starting waits ``start_timeout_s`` at most,
  a call ``call_timeout_s``; the server is then stopped (its process tree killed by the
  SDK) and marked failed with its own last words (the last line it wrote on stderr), and
  its next call starts it again (a server the user stopped stays stopped).
- What a server says is bounded before the model sees it: a tool's description is cut at
  :data:`MAX_DESCRIPTION_CHARS`, a tool whose parameter schema is larger than
  :data:`MAX_SCHEMA_CHARS` (as JSON) is not offered, at most :data:`MAX_TOOLS` tools are
  read from a server, and a result is cut at :data:`MAX_RESULT_CHARS`.
- Every MCP tool asks the user before it runs unless the user marked it read-only
  (``readOnlyTools``); what the server claims about its own tools is not trusted for that.

Texts for the model (results, errors) are English; a status's ``error`` is for people.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Collection, Iterable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import IO, Any, Literal, TextIO, cast

import anyio
import httpx2
import mcp_types
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from app import __version__
from app.core.i18n import QT_TRANSLATE_NOOP, translate
from app.core.tool_calls import ToolSpec
from app.tools.mcp_config import McpServerConfig
from app.tools.tool import ToolResult

log = logging.getLogger(__name__)

State = Literal["stopped", "starting", "ready", "failed"]
BUILTIN_TOOL_NAMES = ("calculator", "python", "datetime", "search_conversations")
SEPARATOR = "__"  # SERVER__TOOL, when a tool's own name is taken

MAX_DESCRIPTION_CHARS = 1_024
MAX_SCHEMA_CHARS = 16_384
MAX_TOOLS = 128  # read from one server
MAX_TOOL_NAME_CHARS = 128
MAX_LIST_PAGES = 16  # tools/list pages followed (a server could paginate forever)
MAX_RESULT_CHARS = 32_768
MAX_ERROR_CHARS = 300
_STOP_WAIT_S = 15.0  # the SDK's own shutdown: 2 s for stdin, 2 s after SIGTERM, then SIGKILL
_NAME_OK = re.compile(r"[^A-Za-z0-9_.:-]")
_MAX_NAME_CHARS = 64


@dataclass(frozen=True, slots=True)
class McpToolInfo:
    """A tool as its server lists it, with the user's flags: what a settings page shows.
    ``problem`` says why it is not offered to the model although it is enabled."""

    name: str  # the server's own name for it
    description: str  # bounded
    parameters: Mapping[str, Any]
    enabled: bool
    read_only: bool  # runs without asking
    problem: str = ""


@dataclass(frozen=True, slots=True)
class ServerStatus:
    name: str
    state: State
    error: str = ""  # failed: the server's own words, or ours (one sentence)
    tools: tuple[McpToolInfo, ...] = ()


@dataclass(eq=False)
class _Run:
    """One start of one server, from "starting" until it is stopped or fails. A newer
    start replaces it; whatever an older run reports afterwards is ignored."""

    config: McpServerConfig
    state: State = "starting"
    error: str = ""  # for people, in the window's language
    model_error: str = ""  # the same for the model, in English
    listed: tuple[mcp_types.Tool, ...] = ()
    session: ClientSession | None = None
    settled: threading.Event = field(default_factory=threading.Event)  # ready or failed
    future: concurrent.futures.Future[None] | None = None
    scope: anyio.CancelScope | None = None
    cancelled: bool = False  # set on the loop thread
    stderr: IO[str] | None = None


class McpServers:
    """The configured servers and the ones running. Thread-safe; ``close()`` when done."""

    def __init__(
        self,
        configs: Iterable[McpServerConfig],
        *,
        start_timeout_s: float = 30.0,
        call_timeout_s: float = 60.0,
    ) -> None:
        self.start_timeout_s = start_timeout_s
        self.call_timeout_s = call_timeout_s
        self._configs: dict[str, McpServerConfig] = {c.name: c for c in configs}
        self._runs: dict[str, _Run] = {}  # the current run of each server started
        self._ending: list[_Run] = []  # runs replaced while their process may still be ending
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- configuration and status ------------------------------------------------------

    def names(self) -> list[str]:
        with self._lock:
            return list(self._configs)

    def config(self, name: str) -> McpServerConfig:
        with self._lock:
            return self._configs[name]

    def configure(self, configs: Iterable[McpServerConfig]) -> None:
        """Take new settings: a server removed, turned off or reached differently is
        stopped (it starts again on demand); new tool flags apply at once. Does not wait
        for a process to end (``close`` does), so any thread may call it."""
        new = {c.name: c for c in configs}
        with self._lock:
            old = self._configs
            self._configs = new
            stale = [
                n
                for n, run in self._runs.items()
                if n not in new or new[n].disabled or new[n].connection() != old[n].connection()
            ]
        for name in stale:  # without waiting: the GUI thread may call this
            self._stop(name, forget=name not in new, wait=False)

    def status(self, name: str) -> ServerStatus:
        with self._lock:
            config = self._configs[name]
            run = self._runs.get(name)
        if run is None:
            return ServerStatus(name, "stopped")
        infos = tuple(_info(config, tool) for tool in run.listed)
        return ServerStatus(name, run.state, run.error, infos)

    def statuses(self) -> list[ServerStatus]:
        return [self.status(name) for name in self.names()]

    # -- starting and stopping ---------------------------------------------------------

    def start(self, name: str) -> ServerStatus:
        """Start the server (if it is not running) and wait until it is ready, failed, or
        ``start_timeout_s`` has passed (then it is stopped and failed)."""
        with self._lock:
            config = self._configs[name]
            if config.disabled:
                return ServerStatus(
                    name,
                    "stopped",
                    translate("McpServers", "The MCP server {name} is turned off.").format(
                        name=name
                    ),
                )
            if self._closed:
                return ServerStatus(name, "stopped")
            run = self._runs.get(name)
            if run is None or run.state in ("stopped", "failed"):
                if run is not None:
                    self._ending = [r for r in self._ending if not _done(r)] + [run]
                run = _Run(config)
                self._runs[name] = run
                loop = self._ensure_loop()
                run.future = asyncio.run_coroutine_threadsafe(self._serve(name, run), loop)
        if not run.settled.wait(self.start_timeout_s):
            self._fail(
                name,
                run,
                _both(
                    QT_TRANSLATE_NOOP(
                        "McpServers", "The MCP server {name} did not start within {seconds} s."
                    ),
                    name=name,
                    seconds=_seconds(self.start_timeout_s),
                ),
            )
        return self.status(name)

    def start_on_demand(self) -> list[ServerStatus]:
        """Start, one after the other, every enabled server not started yet in this run of
        the app (a reply is about to offer their tools). One the user stopped, or that
        failed, is left as it is: the user starts it again in Settings."""
        with self._lock:
            if self._closed:
                return []
            waiting = [
                n for n, c in self._configs.items() if not c.disabled and n not in self._runs
            ]
        return [self.start(name) for name in waiting]

    def stop(self, name: str) -> None:
        """Stop the server and wait (bounded) until its process is gone."""
        self._stop(name, forget=False)

    def close(self) -> None:
        """Stop every server, then the loop and its thread. Safe to call more than once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            names = list(self._runs)
        for name in names:
            self._stop(name, forget=False, wait=False)
        with self._lock:
            runs = [*self._runs.values(), *self._ending]
        for run in runs:  # the loop must not stop under a shutdown: its process would live on
            _wait(run.future, _STOP_WAIT_S)
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_STOP_WAIT_S)

    def __enter__(self) -> McpServers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stop(self, name: str, *, forget: bool, wait: bool = True) -> None:
        with self._lock:
            run = self._runs.pop(name, None) if forget else self._runs.get(name)
            if run is None:
                return
            if forget:
                self._ending.append(run)
            if run.state in ("starting", "ready"):
                run.state = "stopped"
            run.settled.set()
            loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._cancel, run)
        if wait:
            _wait(run.future, _STOP_WAIT_S)

    def _fail(self, name: str, run: _Run, error: tuple[str, str]) -> None:
        """Mark ``run`` failed with ``error`` (if it is still the server's current run and
        has not failed already) and stop it without waiting."""
        with self._lock:
            if self._runs.get(name) is not run or run.state in ("failed", "stopped"):
                return
            run.state, run.session = "failed", None
            run.error, run.model_error = _one_line(error[0]), _one_line(error[1])
            run.settled.set()
            loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._cancel, run)

    # -- the tools -----------------------------------------------------------------------

    def tools(
        self,
        names: Collection[str] | None = None,
        *,
        reserved: Collection[str] = BUILTIN_TOOL_NAMES,
    ) -> list[McpTool]:
        """The enabled tools of the given servers (default: every enabled server that is
        running), by the names the model sees: a tool's own name, or SERVER__TOOL when two
        of these servers offer the same name or it is one of ``reserved`` (the built-in
        tools). Servers that are not ready offer nothing: call :meth:`start` first."""
        with self._lock:
            chosen = [n for n in (self._configs if names is None else names) if n in self._configs]
            offered: list[tuple[McpServerConfig, mcp_types.Tool]] = []
            for name in chosen:
                run, config = self._runs.get(name), self._configs[name]
                if run is None or run.state != "ready" or config.disabled:
                    continue
                for tool in run.listed:
                    if config.tool_enabled(tool.name) and not _info(config, tool).problem:
                        offered.append((config, tool))
        plain = [_model_name(tool.name) for _, tool in offered]
        taken = set(reserved)
        result: list[McpTool] = []
        for (config, tool), name in zip(offered, plain, strict=True):
            if plain.count(name) > 1 or name in reserved:
                name = _model_name(f"{config.name}{SEPARATOR}{tool.name}")
            if name in taken:
                log.warning("MCP tool %s of %s left out: its name is taken", tool.name, config.name)
                continue
            taken.add(name)
            result.append(
                McpTool(
                    name=name,
                    server=config.name,
                    tool_name=tool.name,
                    description=_description(tool),
                    parameters=dict(tool.input_schema),
                    needs_approval=config.needs_approval(tool.name),
                    servers=self,
                )
            )
        return result

    def call(self, server: str, tool: str, arguments: object) -> ToolResult:
        """Run one tool of one server; never raises. A server that failed (it hung or
        crashed) is started again first; one the user stopped, or never started, is not."""
        began = time.monotonic()
        text, ok = self._call(server, tool, arguments)
        if len(text) > MAX_RESULT_CHARS:
            text = text[:MAX_RESULT_CHARS] + "\n[truncated]"
        return ToolResult(text, ok, time.monotonic() - began)

    def _call(self, server: str, tool: str, arguments: object) -> tuple[str, bool]:
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                return "The arguments are not valid JSON: send a JSON object.", False
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return "The arguments must be a JSON object.", False
        with self._lock:
            config = self._configs.get(server)
            run = self._runs.get(server)
        if config is None or not config.tool_enabled(tool):
            return f"The tool {tool} of the MCP server {server} is turned off.", False
        if self._closed or run is None or run.state == "stopped":
            # Stopped by the user (or never started): a call does not start it again.
            return f"The MCP server {server} has been stopped.", False
        if run.state != "ready":  # failed (it hung or crashed): start it again; or starting
            status = self.start(server)
            with self._lock:
                run = self._runs.get(server)
            if status.state != "ready" or run is None:
                why = run.model_error if run is not None and run.model_error else status.state
                return f"The MCP server {server} could not be started: {why}", False
        session, loop = run.session, self._loop
        if session is None or loop is None:
            return f"The MCP server {server} is not running.", False
        future = asyncio.run_coroutine_threadsafe(
            session.call_tool(tool, arguments, read_timeout_seconds=self.call_timeout_s), loop
        )
        seconds = _seconds(self.call_timeout_s)
        timed_out = f"The MCP server {server} did not answer within {seconds} s."
        try:
            result = future.result(self.call_timeout_s + 5.0)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self._fail(server, run, _timed_out(server, seconds))
            return timed_out, False
        except concurrent.futures.CancelledError:
            return f"The MCP server {server} was stopped during the call.", False
        except MCPError as e:
            if e.code == mcp_types.REQUEST_TIMEOUT:
                self._fail(server, run, _timed_out(server, seconds))
                return timed_out, False
            if e.code == mcp_types.CONNECTION_CLOSED:
                tail = _stderr_tail(run)
                said = (
                    (tail, tail)
                    if tail
                    else _both(
                        QT_TRANSLATE_NOOP("McpServers", "The MCP server {name} stopped."),
                        name=server,
                    )
                )
                self._fail(server, run, said)
                return f"The MCP server {server} stopped during the call: {said[1]}", False
            return f"The MCP server {server} refused the call: {_one_line(e.message)}", False
        except Exception as e:  # the SDK's own checks (an output schema), a broken transport
            log.warning("MCP call %s/%s failed", server, tool, exc_info=True)
            return f"The call to the MCP server {server} failed: {_describe(e)[1]}", False
        return _result_text(result), not result.is_error

    # -- the loop thread ---------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=_run_loop, args=(loop,), name="mcp-servers", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    def _cancel(self, run: _Run) -> None:  # on the loop thread
        run.cancelled = True
        if run.scope is not None:
            run.scope.cancel()

    async def _serve(self, name: str, run: _Run) -> None:
        """The whole life of one run: connect, list the tools, wait to be cancelled. The
        SDK's contexts are entered and left in this one task, as anyio needs. A stdio
        server's stderr goes to a temporary file, gone with the run: its last line is the
        error shown when the server fails."""
        with (
            tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr,
            anyio.CancelScope() as scope,
        ):
            run.stderr, run.scope = stderr, scope
            if run.cancelled:
                scope.cancel()
            try:
                async with AsyncExitStack() as stack:
                    session = await self._connect(stack, run, stderr)
                    listed = await _list_tools(session)
                    with self._lock:
                        if self._runs.get(name) is run and run.state == "starting":
                            run.state, run.session, run.listed = "ready", session, listed
                            run.settled.set()
                    await anyio.sleep_forever()
            except Exception as e:
                tail = _stderr_tail(run)
                error = (tail, tail) if tail else _describe(e)
                # Not the server's words: a server may print its keys; the status shows them.
                log.info("MCP server %s failed (%s)", name, type(e).__name__)
                with self._lock:
                    if run.state in ("starting", "ready"):
                        run.state, run.session = "failed", None
                        run.error, run.model_error = _one_line(error[0]), _one_line(error[1])
            finally:
                with self._lock:
                    if run.state in ("starting", "ready"):
                        run.state, run.session = "stopped", None
                    run.settled.set()

    async def _connect(self, stack: AsyncExitStack, run: _Run, stderr: IO[str]) -> ClientSession:
        config = run.config
        if config.transport == "http":
            client = httpx2.AsyncClient(
                headers=dict(config.headers), timeout=httpx2.Timeout(30.0, read=300.0)
            )
            await stack.enter_async_context(client)
            read, write = await stack.enter_async_context(
                streamable_http_client(config.url, http_client=client)
            )
        else:
            params = StdioServerParameters(
                command=config.command,
                args=list(config.args),
                env=dict(config.env) or None,
                cwd=config.cwd or None,
            )
            read, write = await stack.enter_async_context(
                stdio_client(params, errlog=cast(TextIO, stderr))
            )
        session = await stack.enter_async_context(
            ClientSession(
                read,
                write,
                client_info=mcp_types.Implementation(name="qwq-desktop", version=__version__),
            )
        )
        await session.initialize()
        return session


@dataclass(frozen=True, slots=True, eq=False)
class McpTool:
    """One MCP server's tool as the session runs it (satisfies :class:`app.tools.tool.Tool`).
    ``name`` is the name the model sees; ``tool_name`` the server's own."""

    name: str
    server: str
    tool_name: str
    description: str
    parameters: Mapping[str, Any]
    needs_approval: bool
    servers: McpServers = field(repr=False)

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.parameters)

    def run(self, arguments: object) -> ToolResult:
        return self.servers.call(self.server, self.tool_name, arguments)


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


async def _list_tools(session: ClientSession) -> tuple[mcp_types.Tool, ...]:
    """Every page of the server's tools, up to the limits."""
    tools: list[mcp_types.Tool] = []
    cursor: str | None = None
    for _ in range(MAX_LIST_PAGES):
        params = None if cursor is None else mcp_types.PaginatedRequestParams(cursor=cursor)
        page = await session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None or len(tools) >= MAX_TOOLS:
            break
    return tuple(tools[:MAX_TOOLS])


def _info(config: McpServerConfig, tool: mcp_types.Tool) -> McpToolInfo:
    schema = tool.input_schema
    size = len(json.dumps(schema, ensure_ascii=False, default=str))
    problem = ""
    if len(tool.name) > MAX_TOOL_NAME_CHARS:
        problem = translate("McpServers", "Not offered: its name is too long.")
    elif size > MAX_SCHEMA_CHARS:
        problem = translate(
            "McpServers",
            "Not offered: its parameters take {size} KB to describe (the limit is {limit} KB).",
        ).format(size=size // 1024, limit=MAX_SCHEMA_CHARS // 1024)
    elif schema.get("type", "object") != "object":
        problem = translate("McpServers", "Not offered: its parameters are not an object.")
    return McpToolInfo(
        name=tool.name,
        description=_description(tool),
        parameters=schema,
        enabled=config.tool_enabled(tool.name),
        read_only=not config.needs_approval(tool.name),
        problem=problem,
    )


def _description(tool: mcp_types.Tool) -> str:
    text = (tool.description or tool.title or "").strip()
    if len(text) > MAX_DESCRIPTION_CHARS:
        text = text[: MAX_DESCRIPTION_CHARS - 1].rstrip() + "…"
    return text


def _model_name(name: str) -> str:
    """A name the tool-call parser accepts: letters, digits and ``_.:-``, 64 at most."""
    return _NAME_OK.sub("_", name)[:_MAX_NAME_CHARS] or "_"


def _result_text(result: mcp_types.CallToolResult) -> str:
    """The result as the model reads it: text as it is; anything else one line saying
    what it was; nothing at all, the structured result as JSON."""
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        elif isinstance(block, mcp_types.ImageContent | mcp_types.AudioContent):
            kind = "image" if isinstance(block, mcp_types.ImageContent) else "audio"
            parts.append(f"[{kind}: {block.mime_type}, {_size(len(block.data) * 3 // 4)}]")
        elif isinstance(block, mcp_types.ResourceLink):
            parts.append(f"[resource link: {block.name} <{block.uri}>]")
        else:  # an embedded resource
            res = block.resource
            if isinstance(res, mcp_types.TextResourceContents):
                parts.append(f"[resource {res.uri}]\n{res.text}")
            else:
                mime = res.mime_type or "binary"
                parts.append(f"[resource {res.uri}: {mime}, {_size(len(res.blob) * 3 // 4)}]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False, default=str))
    text = "\n".join(parts)
    if not text and result.is_error:
        return "The tool reported an error without saying what it was."
    return text


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KB"


def _seconds(s: float) -> str:
    return f"{s:g}"


def _timed_out(server: str, seconds: str) -> tuple[str, str]:
    return _both(
        QT_TRANSLATE_NOOP("McpServers", "The MCP server {name} did not answer within {seconds} s."),
        name=server,
        seconds=seconds,
    )


def _both(text: str, **fields: str) -> tuple[str, str]:
    """One of our sentences for people (translated) and for the model (English)."""
    return translate("McpServers", text).format(**fields), text.format(**fields)


def _stderr_tail(run: _Run) -> str:
    """The last line the server wrote on stderr (its own words on why it stopped)."""
    f = run.stderr
    if f is None or f.closed:
        return ""
    try:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        if hasattr(os, "pread"):
            data = os.pread(fd, 4096, max(0, size - 4096))
        else:  # Windows: read through the handle, putting its position back
            pos = f.tell()
            f.seek(max(0, size - 4096))
            data = f.read().encode("utf-8", "replace")
            f.seek(pos)
    except (OSError, ValueError):
        return ""
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return _one_line(lines[-1]) if lines else ""


def _describe(e: BaseException) -> tuple[str, str]:
    """One line for an exception from the SDK (the innermost error of a group), for
    people and for the model."""
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        e = e.exceptions[0]
    if isinstance(e, FileNotFoundError):
        return _both(
            QT_TRANSLATE_NOOP("McpServers", "The program {name} was not found."),
            name=str(e.filename or "?"),
        )
    if isinstance(e, MCPError):
        text = e.message
    elif isinstance(e, httpx2.HTTPError):
        text = f"{type(e).__name__}: {e}"
    else:
        text = str(e).strip() or type(e).__name__
    return text, text


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def _done(run: _Run) -> bool:
    return run.future is None or run.future.done()


def _wait(future: concurrent.futures.Future[None] | None, timeout: float) -> None:
    if future is None:
        return
    try:
        future.result(timeout)
    except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
        log.warning("an MCP server did not stop within %s s", timeout)
    except Exception:
        log.exception("an MCP server's run ended with an error")
