"""``qwq-desktop ask``: one question to a GGUF model, reasoning and answer streamed.

The answer goes to stdout and the reasoning to stderr (dimmed on a terminal), so
``qwq-desktop ask ... > answer.md`` keeps only the answer while the terminal still
shows the thinking. ``--json`` prints one object at the end instead.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, assert_never, cast

from app.cli import ask_tools
from app.cli.conversations import open_store
from app.core import keys
from app.core.attachments import Attachment, counted, with_attachments
from app.core.citations import Citation, cited
from app.core.errors import InvalidRequestError
from app.core.events import (
    AnswerDelta,
    ChatEvent,
    GenerationDone,
    ReasoningDelta,
    ToolApprovalNeeded,
    ToolCallRequested,
    ToolCallResult,
)
from app.core.format import finish_words
from app.core.logging_setup import setup_logging
from app.core.messages import ChatMessage
from app.core.paths import AppPaths
from app.core.sampling import SamplingSettings
from app.core.settings import AppSettings
from app.core.thinking import LOOP_ACTIONS, ThinkingControl
from app.documents.attach import attachment_of
from app.engine.base import ChatEngine, Generation
from app.engine.remote_presets import PRESETS
from app.session import PASSAGES, SEARCH_TOOLS, ChatSession, StoredGeneration, sources_in
from app.store.conversations import ConversationStore
from app.tool_turn import DEFAULT_MAX_ROUNDS, Decision, ToolTurn
from app.tools.search_documents import search as search_passages
from app.tools.search_documents import search_documents_tool
from app.tools.tool import Tool

if TYPE_CHECKING:  # loading llama.cpp waits until a local model is asked
    from app.documents.collections import Collections
    from app.documents.extract import Document
    from app.keep_warm import KeepWarm

DIM, RESET = "\x1b[2m", "\x1b[0m"
ANSWER_NOW_HINT = "Ctrl+C: answer now · twice: stop"
STOP_HINT = "Ctrl+C: stop"  # where the engine cannot force the answer


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "ask",
        help="ask a GGUF model one question and stream its reasoning and answer",
        description="Ask a GGUF model one question. The answer goes to stdout, the "
        "reasoning to stderr (dimmed on a terminal).",
    )
    p.add_argument("prompt", metavar="PROMPT", help='the question; "-" reads it from stdin')
    p.add_argument("--model", "-m", metavar="PATH", help="a GGUF model file")
    r = p.add_argument_group("a remote endpoint instead of a local model")
    r.add_argument(
        "--remote",
        metavar="PRESET",
        help=_remote_help(),
    )
    r.add_argument("--base-url", metavar="URL", help="the endpoint's /v1 URL")
    r.add_argument("--remote-model", metavar="NAME", help="the model name the endpoint serves")
    p.add_argument("--system", metavar="TEXT", help="a system prompt")
    p.add_argument(
        "--collection",
        action="append",
        default=[],
        metavar="NAME",
        help="search a document collection (repeatable; see qwq-desktop collections): with "
        "--tool, QwQ gets search_documents; without, the passages for the question are given",
    )
    p.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help="a file for QwQ to read with the question (repeatable): text, Markdown, code, "
        "CSV, JSON, PDF, DOCX, HTML",
    )
    p.add_argument(
        "--conversation",
        "-c",
        metavar="ID|new",
        help="continue a stored conversation (or start one with 'new'); the history sent "
        "back holds the answers only",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object at the end (with the tool calls, in order)",
    )
    p.add_argument("--hide-reasoning", action="store_true", help="do not print the reasoning trace")
    s = p.add_argument_group("sampling (defaults: the QwQ-32B model card)")
    s.add_argument("--max-tokens", type=int, metavar="N")
    s.add_argument("--temperature", type=float, metavar="T")
    s.add_argument("--top-p", type=float, metavar="P")
    s.add_argument("--top-k", type=int, metavar="K")
    s.add_argument("--min-p", type=float, metavar="P")
    s.add_argument("--presence-penalty", type=float, metavar="X")
    s.add_argument("--repeat-penalty", type=float, metavar="X")
    s.add_argument("--seed", type=int, metavar="N")
    t = p.add_argument_group("thinking")
    t.add_argument(
        "--thinking-budget",
        type=int,
        metavar="TOKENS",
        help="answer after at most this many thinking tokens",
    )
    t.add_argument(
        "--thinking-time",
        type=float,
        metavar="SECONDS",
        help="answer after thinking this long (from the first token)",
    )
    t.add_argument(
        "--loop-guard",
        choices=LOOP_ACTIONS,
        default="answer",
        help="when the thinking repeats itself: answer (default), stop, or off",
    )
    tl = p.add_argument_group("tools")
    tl.add_argument(
        "--tool",
        action="append",
        default=[],
        metavar="NAME",
        help="let QwQ use a tool (repeatable): calculator, python, datetime, conversations, "
        "or mcp:SERVER (an MCP server in settings.json)",
    )
    tl.add_argument(
        "--yes",
        action="store_true",
        help="run tools with side effects without asking (otherwise each run is asked on "
        "the terminal, and refused when stdin is not one)",
    )
    tl.add_argument(
        "--max-tool-rounds",
        type=int,
        metavar="N",
        default=DEFAULT_MAX_ROUNDS,
        help=f"rounds of tool calls in one answer (default {DEFAULT_MAX_ROUNDS})",
    )
    m = p.add_argument_group("model loading")
    m.add_argument(
        "--context",
        type=int,
        metavar="N",
        help="context length (default: as in Settings, else 32768)",
    )
    m.add_argument("--gpu-layers", type=int, metavar="N", help="layers on the GPU (-1: all)")
    m.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: as in Settings)")
    p.set_defaults(handler=run_ask)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The sampling flags given on the command line."""
    flags = {
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "top_k": args.top_k,
        "min_p": args.min_p,
        "presence_penalty": args.presence_penalty,
        "repeat_penalty": args.repeat_penalty,
        "seed": args.seed,
    }
    _settings(SamplingSettings(), flags)  # refuse bad values before loading anything
    return flags


def _settings(base: SamplingSettings, overrides: dict[str, Any]) -> SamplingSettings:
    try:
        return base.with_overrides(**overrides)
    except (TypeError, ValueError) as e:
        raise InvalidRequestError(f"bad sampling setting: {e}") from e


def _thinking(args: argparse.Namespace) -> ThinkingControl:
    try:
        return ThinkingControl(
            budget_tokens=args.thinking_budget,
            budget_seconds=args.thinking_time,
            loop_guard=args.loop_guard,
        )
    except ValueError as e:
        raise InvalidRequestError(f"bad thinking setting: {e}") from e


def _prompt(args: argparse.Namespace) -> str:
    text: str = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not text.strip():
        raise InvalidRequestError("The prompt is empty.")
    return text


class _Printer:
    """Streams events to the terminal: reasoning to stderr, answer to stdout."""

    def __init__(
        self, out: TextIO, err: TextIO, *, show_reasoning: bool, answer_now: bool = True
    ) -> None:
        self.out, self.err = out, err
        self.hint = ANSWER_NOW_HINT if answer_now else STOP_HINT
        self.show_reasoning = show_reasoning
        self.dim = err.isatty()
        self.in_reasoning = False
        self.answer_started = False
        self.hinted = False  # "Ctrl+C: answer now" is said once, when thinking starts

    def event(self, event: ChatEvent) -> None:
        match event:
            case ReasoningDelta() if not self.show_reasoning:
                if not self.hinted:  # the trace is hidden, but Ctrl+C still answers now
                    self.hinted = True
                    self._err(f"Thinking…  ({self.hint})\n")
            case ReasoningDelta():
                if not self.in_reasoning:
                    self.in_reasoning = True
                    if not self.hinted:
                        self.hinted = True
                        self._err(f"Thinking…  ({self.hint})\n")
                    else:
                        self._err("Thinking…\n")
                self._err(event.text)
            case AnswerDelta():
                self._end_reasoning()
                self.answer_started = True
                self.out.write(event.text)
                self.out.flush()
            case GenerationDone():
                self._end_reasoning()
                if self.answer_started and not event.answer.endswith("\n"):
                    self.out.write("\n")
                    self.out.flush()
                self._err(summary(event) + "\n")
            case ToolCallRequested() | ToolCallResult():
                self._end_reasoning()
                line = ask_tools.describe(event)
                if line:
                    self._err(line + "\n")
            case ToolApprovalNeeded():
                pass  # asked by the approver, on the main thread
            case _:
                assert_never(event)

    def _end_reasoning(self) -> None:
        if self.in_reasoning:
            self.in_reasoning = False
            self._err("\n\n")

    def _err(self, text: str) -> None:
        self.err.write(f"{DIM}{text}{RESET}" if self.dim else text)
        self.err.flush()


def summary(done: GenerationDone) -> str:
    s = done.stats
    parts = []
    if s.reasoning_tokens:
        verb = "Thought for" if done.reasoning_finished else "Thinking stopped after"
        parts.append(f"{verb} {s.thinking_seconds:.1f} s · {s.reasoning_tokens:,} tokens")
        ended = {
            "budget": "budget reached",
            "time": "time limit reached",
            "loop": "it went in circles: answered",
            "user": "answered now, as you asked",
        }.get(done.reasoning_ended_by or "model")
        if ended:
            parts.append(ended)
    parts.append(f"{s.generated_tokens:,} tokens at {s.tokens_per_second:.1f} tok/s")
    parts.append(f"prompt {s.prompt_tokens:,} tokens ({s.prompt_tokens_cached:,} cached)")
    reason = finish_words(done.finish_reason, done.error)
    if reason:
        parts.append(reason)
    return "[" + " · ".join(parts) + "]"


def done_to_json(done: GenerationDone, model: dict[str, Any]) -> dict[str, Any]:
    return {
        "reasoning": done.reasoning,
        "answer": done.answer,
        "finish_reason": done.finish_reason,
        "reasoning_finished": done.reasoning_finished,
        "reasoning_ended_by": done.reasoning_ended_by,
        "error": done.error,
        "stats": done.stats.to_dict(),
        "model": model,
    }


def _stream(
    generation: Generation,
    printer: _Printer | None,
    *,
    answer_now: bool = True,
    approve: Callable[[ToolApprovalNeeded], tuple[str, Decision]] | None = None,
    calls: ask_tools.ToolCalls | None = None,
) -> tuple[GenerationDone, bool]:
    """Run ``generation`` on a worker thread and print its events.

    ``approve`` answers a call that waits for the user (on this thread, so a question on
    the terminal and Ctrl+C work as anywhere else); ``calls`` collects the tool calls.

    Ctrl+C while the model thinks means "answer now" (where the engine can force the
    answer); a second one (or one during the answer) cancels it. Returns the Done
    event and whether it was cancelled so.
    """
    events: queue.Queue[ChatEvent | BaseException] = queue.Queue()

    def work() -> None:
        try:
            for event in generation:
                events.put(event)
        except BaseException as e:  # handed to the main thread
            events.put(e)

    worker = threading.Thread(target=work, name="qwq-generate", daemon=True)
    worker.start()
    interrupted = False
    thinking = False  # inside the trace now (as far as the events tell)
    answer_asked = False
    while True:
        try:
            item = events.get(timeout=0.1)
            if isinstance(item, BaseException):
                raise item
            done = None
            match item:
                case ReasoningDelta():
                    thinking = True
                case AnswerDelta():
                    thinking = False
                case GenerationDone():
                    done = item
                case ToolCallRequested() | ToolCallResult():
                    thinking = False
                    if calls is not None:
                        calls.take(item)
                case ToolApprovalNeeded():
                    pass
                case _:
                    assert_never(item)
            if printer:
                printer.event(item)
            if isinstance(item, ToolApprovalNeeded):
                if approve is None:
                    generation.cancel()
                else:
                    call_id, decision = approve(item)
                    cast(ToolTurn | StoredGeneration, generation).approve(call_id, decision)
            if done is not None:
                worker.join()
                return done, interrupted
        except queue.Empty:
            continue
        except KeyboardInterrupt:
            if thinking and answer_now and not answer_asked:
                answer_asked = True
                generation.force_answer("user")  # the first Ctrl+C: answer now
                continue
            interrupted = True
            generation.cancel()  # the stream still ends with its Done event


def _remote_help() -> str:
    """--remote's help, from the presets, so a new preset shows up here by itself."""
    names = [p.id if p.base_url else f"{p.id} (with --base-url)" for p in PRESETS]
    variables = ", ".join(p.api_key_env for p in PRESETS if p.api_key_env)
    return (
        f"{', '.join(names[:-1])} or {names[-1]}; the key comes from the preset's variable "
        f"({variables}), {keys.REMOTE_KEY_ENV}, or the keyring"
    )


def _remote_engine(args: argparse.Namespace) -> ChatEngine:
    from app.engine.remote_engine import RemoteEngine, normalize_base_url
    from app.engine.remote_presets import preset

    known = {p.id for p in PRESETS}
    if args.remote not in known:
        raise InvalidRequestError(
            f"Unknown --remote {args.remote!r}: use one of {', '.join(sorted(known))}."
        )
    chosen = preset(args.remote)
    url = normalize_base_url(args.base_url or chosen.base_url)
    model = args.remote_model or chosen.model
    if not model:
        raise InvalidRequestError("Name the model the endpoint serves: --remote-model NAME.")
    key = keys.remote_key(url, chosen.api_key_env)
    if chosen.needs_api_key and not key:
        variable = chosen.api_key_env or keys.REMOTE_KEY_ENV
        raise InvalidRequestError(f"{chosen.label} needs an API key: set {variable}.")
    return RemoteEngine.from_preset(
        chosen, key, base_url=url, model=model, name=f"{model} · {chosen.backend}"
    )


def run_ask(args: argparse.Namespace) -> int:
    from app.cli.main import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
    from app.engine.local_engine import LocalEngine, load_settings_from

    paths = AppPaths.current()
    setup_logging(paths)
    overrides = _overrides(args)
    thinking = _thinking(args)
    ask_tools.check_names(args.tool)
    if args.max_tool_rounds < 0:
        raise InvalidRequestError("--max-tool-rounds must be 0 or more.")
    prompt = _prompt(args)
    documents = [_extract(path) for path in args.attach]  # a bad file fails before loading
    wants_store = args.conversation is not None or "conversations" in args.tool
    store = open_store() if wants_store else None
    tools: list[Tool] = ask_tools.builtin(args.tool, store)
    # A built-in tool that asks first is refused now; an MCP tool that asks first, when it
    # is called (it may never be), with a note.
    why_not = ask_tools.needs_a_terminal(tools, args.yes)
    servers = None
    try:
        if why_not is not None:
            raise InvalidRequestError(why_not)
        servers = ask_tools.mcp_servers(args.tool, AppSettings.load(paths))
    except BaseException:
        if store is not None:
            store.close()
        raise
    if servers is not None:
        tools += servers.tools(reserved=[t.name for t in tools])
    collections = _collections(args.collection) if args.collection else None
    if collections is not None and tools:
        tools.append(search_documents_tool(collections, args.collection))
    approver = ask_tools.terminal_approver(sys.stdin, sys.stderr, yes=args.yes)
    calls = ask_tools.ToolCalls()
    try:
        if sys.stderr.isatty() and not args.json:
            sys.stderr.write(f"{DIM}Loading {args.model}…{RESET}\r")
            sys.stderr.flush()
        engine: ChatEngine
        if args.remote:
            engine = _remote_engine(args)
        elif args.model:
            engine = LocalEngine(
                args.model,
                load_settings_from(
                    AppSettings.load(paths),
                    context_length=args.context,
                    gpu_layers=args.gpu_layers,
                    threads=args.threads,
                ),
            )
        else:
            raise InvalidRequestError("Give a model: --model PATH, or --remote PRESET.")
        if sys.stderr.isatty() and not args.json:
            sys.stderr.write("\x1b[2K")
        if engine.info.context_note:
            print(f"qwq-desktop: note: context {engine.info.context_note}", file=sys.stderr)
        attachments = [attachment_of(doc, engine.count_tokens) for doc in documents]
        if collections is not None and not tools:  # no tools: the passages come with it
            attachments.append(_passages(collections, args.collection, prompt, engine))
        _check_fit(attachments, engine.info.context_length)
        printer = (
            None
            if args.json
            else _Printer(
                sys.stdout,
                sys.stderr,
                show_reasoning=not args.hide_reasoning,
                answer_now=engine.cannot_continue is None,
            )
        )
        if engine.cannot_continue is not None and (
            args.thinking_budget is not None or args.thinking_time is not None
        ):
            print(
                f"qwq-desktop: note: the thinking budget is not applied: {engine.cannot_continue}",
                file=sys.stderr,
            )
        conversation_id: int | None = None
        stored: StoredGeneration | None = None
        keep: KeepWarm | None = None
        snapshot: dict[str, Any] = {}
        try:
            if args.conversation is None:
                messages = [ChatMessage.system(args.system)] if args.system else []
                messages.append(ChatMessage.user(with_attachments(prompt, attachments)))
                sampling = _settings(SamplingSettings(), overrides)
                generation: Generation = (
                    ToolTurn(
                        engine,
                        messages,
                        sampling,
                        thinking,
                        tools,
                        max_rounds=args.max_tool_rounds,
                        auto_approve=args.yes,
                    )
                    if tools
                    else engine.chat(messages, sampling, thinking)
                )
            else:
                assert store is not None
                conversation_id = _conversation(store, args)
                keep = _keep_warm(store, engine)
                if keep is not None:
                    keep.tools = [t.spec() for t in tools]
                if keep is not None:  # the conversation's snapshot, before the prompt
                    snapshot["restored_tokens"] = keep.open(conversation_id)
                base = SamplingSettings.from_dict(store.get(conversation_id).sampling)
                session = ChatSession(
                    store,
                    engine,
                    tools=tools,
                    max_tool_rounds=args.max_tool_rounds,
                    auto_approve=args.yes,
                )
                stored = session.reply(
                    conversation_id,
                    prompt,
                    _settings(base, overrides),
                    thinking,
                    attachments=attachments,
                )
                generation = stored
            done, interrupted = _stream(
                generation,
                printer,
                answer_now=engine.cannot_continue is None,
                approve=lambda event: (event.call.id, approver(event)),
                calls=calls,
            )
            if keep is not None and conversation_id is not None:
                snapshot.update(_save_warm(keep, conversation_id, interrupted))
        finally:
            engine.close()
    finally:
        if servers is not None:
            servers.close()
        if collections is not None:
            collections.close()
        if store is not None:
            store.close()

    if args.json:
        info = engine.info
        model = {
            "name": info.name,
            "path": str(info.path),
            "architecture": info.architecture,
            "parameters": info.parameter_count,
            "quantization": info.quantization,
            "context_length": info.context_length,
            "kv_cache_type": info.kv_cache_type,
            "rope_scaling": info.rope_scaling,
        }
        result = done_to_json(done, model)
        if tools:
            result["tool_calls"] = calls.to_json()
        if attachments:
            result["attachments"] = [{"name": a.name, "tokens": a.tokens} for a in attachments]
        if attachments or tools:
            result["citations"] = [c.to_json() for c in _citations(done, attachments, calls)]
        if conversation_id is not None:
            result["conversation_id"] = conversation_id
        if snapshot:
            result["snapshot"] = snapshot
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif conversation_id is not None:
        print(f"[conversation {conversation_id}]", file=sys.stderr)
    if stored is not None and stored.save_error is not None:
        print(f"qwq-desktop: error: {stored.save_error}", file=sys.stderr)
        return EXIT_FAILED
    if done.finish_reason == "error":
        print(f"qwq-desktop: error: {done.error}", file=sys.stderr)
        return EXIT_FAILED
    if done.finish_reason == "cancelled" or interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK


def _citations(
    done: GenerationDone, attachments: list[Attachment], calls: ask_tools.ToolCalls
) -> list[Citation]:
    """The answer's citations, checked against the files given and the passages searched."""
    found = [
        str(call["result"])
        for call in calls.calls
        if str(call["name"]).split("__")[-1] in SEARCH_TOOLS and call["result"]
    ]
    return cited(done.answer, sources_in(attachments, found))


def _collections(names: list[str]) -> Collections:
    """The collections index, checked to hold every ``--collection`` (one clear error)."""
    from app.documents.collections import Collections

    collections = Collections()
    there = collections.names()
    missing = [n for n in names if n not in there]
    if missing:
        collections.close()
        known = ", ".join(there) or "none yet: qwq-desktop collections add NAME FOLDER"
        raise InvalidRequestError(f"No collection {missing[0]!r} (there are: {known}).")
    return collections


def _passages(
    collections: Collections, names: list[str], question: str, engine: ChatEngine
) -> Attachment:
    text = search_passages(collections, names, question, limit=6)
    label = f"Found in {', '.join(names)}"
    return counted(Attachment(label, PASSAGES, 0, 0, text), engine.count_tokens)


def _extract(path: str) -> Document:
    """An ``--attach`` file's text, or one clear error (before the model loads)."""
    from app.documents.extract import DocumentError, extract

    file = Path(path)
    if not file.exists():  # (a folder or a device: extract says why not)
        raise InvalidRequestError(f"--attach {path}: no such file.")
    try:
        return extract(file)
    except DocumentError as e:
        raise InvalidRequestError(f"--attach {path}: {e}") from None


def _check_fit(attachments: list[Attachment], context: int) -> None:
    """Attached files that cannot fit the context are refused, never cut short."""
    total = sum(a.tokens for a in attachments)
    room = context - min(4096, context // 8)  # what a prompt may take, as the engine fits it
    if total > room:
        names = ", ".join(f"{a.name} ({a.tokens:,} tokens)" for a in attachments)
        raise InvalidRequestError(
            f"The attached files do not fit: {names} need {total:,} tokens and the context "
            f"leaves {room:,} for the prompt. Use a longer --context, fewer files, or a "
            "collection (qwq-desktop collections add NAME FOLDER, then --collection NAME)."
        )


def _keep_warm(store: ConversationStore, engine: ChatEngine) -> KeepWarm | None:
    """Snapshots for a local engine (none for a remote one, or with a budget of 0)."""
    from app.engine.kv_snapshots import default_cache
    from app.keep_warm import KeepWarm

    if engine.kv_cache is None:  # a remote endpoint
        return None
    cache = default_cache()
    return KeepWarm(store, engine, cache if cache.budget_bytes > 0 else None)


def _save_warm(keep: KeepWarm, conversation_id: int, interrupted: bool) -> dict[str, Any]:
    """After the reply: re-warm the cache to the answer and save the snapshot, so the
    next ``ask -c`` starts warm. Any problem is a log line: the reply stands."""
    try:
        if not interrupted:  # a reply stopped with Ctrl+C is not re-warmed, only kept
            keep.after_reply(conversation_id)
        keep.leave(conversation_id)  # saves what the cache holds if not saved yet
    except KeyboardInterrupt:  # Ctrl+C while saving: the reply stands, unsaved
        return {"saved": False, "saved_tokens": 0, "why_not": "interrupted"}
    saved = keep.last_saved
    if saved is None:
        return {}
    return {"saved": saved.saved, "saved_tokens": saved.tokens, "why_not": saved.why_not or None}


def _conversation(store: ConversationStore, args: argparse.Namespace) -> int:
    if args.conversation == "new":
        return store.create(system_prompt=args.system or "").id
    try:
        conversation_id = int(args.conversation)
    except ValueError:
        raise InvalidRequestError(
            f"--conversation takes a conversation id or 'new', not {args.conversation!r}"
        ) from None
    store.get(conversation_id)  # a clear error if there is none
    if args.system is not None:
        store.update_settings(conversation_id, system_prompt=args.system)
    return conversation_id
