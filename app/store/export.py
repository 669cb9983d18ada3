"""Export conversations to Markdown or JSON, and import JSON back losslessly.

JSON holds everything: every branch, each message's reasoning, stats and status,
the conversation's settings. Messages refer to their parent by position in the
list, not by database id, so an export imported into another store and exported
again gives the same JSON. Markdown is for reading: the branch on screen, with each
trace in a ``<details>`` block.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from app.core.format import duration, size
from app.core.thinking import ENDED_BY_NOTE, INSERTED_BY_LABEL
from app.core.tool_rounds import ToolRound, ToolUse
from app.store.conversations import (
    Conversation,
    ConversationStore,
    InvalidConversationError,
    StoredMessage,
)
from app.store.database import StoreError

FORMAT = "qwq-desktop-conversations"
VERSION = 4  # 2: how each trace ended, its inserted parts, the thinking budget; 3: tools;
# 4: attachments
MAX_IMPORT_BYTES = 512 * 2**20  # characters; a whole store's export is far smaller


def conversation_to_dict(store: ConversationStore, conversation: Conversation) -> dict[str, Any]:
    """A conversation as the export holds it; a damaged one with what could be read.

    Damage is noted in ``"damaged"`` keys, which an import ignores: the values beside
    them are the safe defaults the store read, so the export can be imported again.
    """
    messages = store.messages(conversation.id)
    index = {m.id: i for i, m in enumerate(messages)}

    def parent(i: int, m: StoredMessage) -> int | None:
        at = index.get(m.parent_id) if m.parent_id is not None else None
        return at if at is not None and at < i else None  # a damaged file can point ahead

    data: dict[str, Any] = {
        "title": conversation.title,
        "title_is_custom": conversation.title_is_custom,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "pinned": conversation.pinned,
        "model": conversation.model,
        "system_prompt": conversation.system_prompt,
        "sampling": conversation.sampling,
        "thinking": conversation.thinking,
        "allowed_tools": list(conversation.allowed_tools),
        "collections": list(conversation.collections),
        "current_leaf": index.get(conversation.current_leaf) if conversation.current_leaf else None,
        "messages": [
            {
                "parent": parent(i, m),
                "role": m.role,
                "content": m.content,
                "reasoning": m.reasoning,
                "created_at": m.created_at,
                "status": m.status,
                "finish_reason": m.finish_reason,
                "reasoning_finished": m.reasoning_finished,
                "thinking_seconds": m.thinking_seconds,
                "stats": m.stats,
                "error": m.error,
                "model": m.model,
                "reasoning_ended_by": m.reasoning_ended_by,
                "inserted": [[s.start, s.end, s.by] for s in m.inserted],
                "tool_rounds": [r.to_json() for r in m.tool_rounds],
                "attachments": [a.to_json() for a in m.attachments],
                **({"damaged": m.damaged} if m.damaged else {}),
            }
            for i, m in enumerate(messages)
        ],
    }
    if conversation.damaged:
        data["damaged"] = conversation.damaged
    return data


def export_json(store: ConversationStore, conversations: list[Conversation]) -> str:
    data = {
        "format": FORMAT,
        "version": VERSION,
        "conversations": [conversation_to_dict(store, c) for c in conversations],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def import_json(store: ConversationStore, text: str) -> list[int]:
    """Add the conversations in an export to ``store``; returns their new ids.

    Every field is checked before anything is written (see app.store.validate): a bad
    file raises :class:`StoreError` with one line naming the first bad field, and the
    store is left as it was.
    """
    if len(text) > MAX_IMPORT_BYTES:
        raise StoreError(f"The export is too big to import (over {MAX_IMPORT_BYTES // 2**20} MiB).")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise StoreError(f"Not a QwQ Desktop export: not JSON ({e.msg}, line {e.lineno}).") from e
    except RecursionError:
        raise StoreError("The export is damaged and was not imported: nested too deeply.") from None
    except ValueError as e:  # a number with thousands of digits
        raise StoreError(f"The export is damaged and was not imported: {e}.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreError("Not a QwQ Desktop export: the 'format' field is missing or different.")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StoreError("Not a QwQ Desktop export: the 'version' field is missing or wrong.")
    if version > VERSION:
        raise StoreError("This export comes from a newer QwQ Desktop; update the app to import it.")
    conversations = data.get("conversations")
    if not isinstance(conversations, list):
        raise StoreError("Not a QwQ Desktop export: 'conversations' is not a list.")
    try:
        return store.restore(conversations)
    except InvalidConversationError as e:
        raise StoreError(f"The export is damaged and was not imported: {e}.") from None


def damaged_note(what: str, damaged: str) -> str:
    return (
        f"*(Damaged: part of this {what}'s stored data is unreadable ({damaged}); "
        "it is shown with defaults.)*"
    )


def _when(timestamp: float) -> str:
    try:
        return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):  # a platform that cannot show this time
        return "unknown date"


def _thought_label(m: StoredMessage) -> str:
    tokens = int(m.stats.get("reasoning_tokens", 0))
    verb = "Thought for" if m.reasoning_finished else "Thinking stopped after"
    label = f"{verb} {duration(m.thinking_seconds)}" + (f" · {tokens:,} tokens" if tokens else "")
    note = ENDED_BY_NOTE.get(m.reasoning_ended_by, "") if m.reasoning_ended_by else ""
    return label + (f" · {note}" if note else "")


def _marked_trace(m: StoredMessage) -> str:
    """The trace, each part the app or the user inserted set apart and labelled."""
    parts: list[str] = []
    at = 0
    for span in sorted(m.inserted, key=lambda s: s.start):
        if span.start < at:
            continue  # overlapping parts (a damaged row): keep the text as it is
        parts.append(m.reasoning[at : span.start])
        inserted = " ".join(m.reasoning[span.start : span.end].split())
        parts.append(f"\n\n> *[{INSERTED_BY_LABEL[span.by]}]* {inserted}\n\n")
        at = span.end
    parts.append(m.reasoning[at:])
    return "".join(parts)


def _bytes(n: int) -> str:
    return size(n) if n >= 1000 else f"{n} bytes"


APPROVAL_NOTE = {
    "auto": "approved in advance",
    "once": "allowed once",
    "conversation": "allowed in this conversation",
    "denied": "denied",
}


def _details(summary: str, body: str) -> list[str]:
    body = body.replace("</details>", "&lt;/details>")
    return ["<details>", f"<summary>{summary}</summary>", "", body, "", "</details>", ""]


def _fenced(text: str, lang: str = "") -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{lang}\n{text}\n{fence}"


def _call_markdown(c: ToolUse) -> list[str]:
    """A call as a reader sees it: what was called, how it was allowed, what came back."""
    if c.error:
        return [f"**Tool call (malformed):** {c.error}", "", _fenced(c.raw), ""]
    args = json.dumps(dict(c.arguments), ensure_ascii=False, indent=2)
    note = [APPROVAL_NOTE[c.approval]] if c.approval in APPROVAL_NOTE else []
    if c.result is None:
        note.append("not run")
    else:
        note.append(("ok" if c.ok else "failed") + f", {duration(c.seconds)}")
    lines = [f"**Tool call:** `{c.name}` ({' · '.join(note)})", "", _fenced(args, "json"), ""]
    if c.result is not None:
        lines += _details("Result", _fenced(c.result))
    return lines


def _round_markdown(r: ToolRound) -> list[str]:
    lines = _details("Thinking", r.reasoning) if r.reasoning else []
    if r.answer.strip():
        lines += [r.answer.strip(), ""]
    for c in r.calls:
        lines += _call_markdown(c)
    return lines


def export_markdown(store: ConversationStore, conversation: Conversation) -> str:
    lines = [f"# {conversation.title or 'Untitled conversation'}", ""]
    meta = [_when(conversation.created_at)]
    if conversation.model:
        meta.append(f"model: {conversation.model}")
    lines += ["*" + " · ".join(meta) + "*", ""]
    if conversation.damaged:
        lines += [damaged_note("conversation", conversation.damaged), ""]
    if conversation.system_prompt.strip():
        lines += ["**System prompt:**", "", conversation.system_prompt, ""]
    for m in store.branch(conversation.id):
        note = [damaged_note("message", m.damaged), ""] if m.damaged else []
        if m.role == "user":
            files = [
                f"*Attached: {a.name} ({_bytes(a.size)}, {a.tokens:,} tokens)*"
                for a in m.attachments
            ]
            lines += ["## You", "", *note, *[f + "  " for f in files[:-1]], *files[-1:]]
            lines += [""] if files else []
            lines += [m.content, ""]
            continue
        if m.role != "assistant":
            continue
        lines += ["## QwQ", "", *note]
        for r in m.tool_rounds:
            lines += _round_markdown(r)
        if m.reasoning:
            trace = _marked_trace(m).replace("</details>", "&lt;/details>")
            lines += [
                "<details>",
                f"<summary>{_thought_label(m)}</summary>",
                "",
                trace,
                "",
                "</details>",
                "",
            ]
        if m.content:
            lines += [m.content, ""]
        if m.status == "interrupted":
            lines += ["*(interrupted: the app stopped while this reply was being written)*", ""]
        elif m.finish_reason in ("length", "cancelled", "error", "repetition", "tool_calls"):
            why = {
                "length": "out of tokens",
                "cancelled": "stopped",
                "error": m.error or "failed",
                "repetition": "stopped: it repeated itself",
                "tool_calls": "stopped: tool round limit reached",
            }
            lines += [f"*({why[m.finish_reason]})*", ""]
    return "\n".join(lines).rstrip() + "\n"


def export_markdown_all(store: ConversationStore, conversations: list[Conversation]) -> str:
    return "\n---\n\n".join(export_markdown(store, c) for c in conversations)
