"""``qwq-desktop conversations | export | import``: the stored conversations from a terminal."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from app.core.errors import InvalidRequestError
from app.core.paths import AppPaths
from app.store.conversations import ConversationStore
from app.store.database import StoreError
from app.store.export import export_json, export_markdown_all, import_json


def add_parsers(commands: Any) -> None:
    p = commands.add_parser("conversations", help="list the stored conversations")
    p.add_argument("--json", action="store_true", help="one JSON array")
    p.set_defaults(handler=run_conversations)

    p = commands.add_parser("export", help="export conversations to Markdown or JSON")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="the conversation to export")
    which.add_argument("--all", action="store_true", help="every conversation")
    p.add_argument("--format", choices=["md", "json"], default="md")
    p.add_argument("-o", "--output", metavar="PATH", help="write to a file (default: stdout)")
    p.set_defaults(handler=run_export)

    p = commands.add_parser("import", help="import conversations from a JSON export")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(handler=run_import)


def open_store() -> ConversationStore:
    store = ConversationStore(AppPaths.current().data)
    if store.recovered is not None:
        print(
            f"qwq-desktop: note: the conversation database was {store.recovered.reason}; it was "
            f"kept as {store.recovered.backup} and a new one was started.",
            file=sys.stderr,
        )
    return store


def run_conversations(args: argparse.Namespace) -> int:
    with open_store() as store:
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "title": c.title or "Untitled conversation",
                "updated_at": c.updated_at,
                "pinned": c.pinned,
                "messages": store.message_count(c.id),
                "model": c.model,
            }
            for c in store.conversations()
        ]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not rows:
        print("No conversations yet.", file=sys.stderr)
    for r in rows:
        when = dt.datetime.fromtimestamp(r["updated_at"]).strftime("%Y-%m-%d %H:%M")
        pin = "*" if r["pinned"] else " "
        print(f"{r['id']:>6} {pin} {when}  {r['messages']:>4} msgs  {r['title']}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    with open_store() as store:
        conversations = store.conversations() if args.all else [store.get(args.id)]
        if args.format == "json":
            text = export_json(store, conversations)
        else:
            text = export_markdown_all(store, conversations)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise StoreError(f"Cannot write {args.output}: {e.strerror or e}") from e
        print(f"Exported {len(conversations)} conversation(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidRequestError(f"Cannot read {path}: {e}") from e
    with open_store() as store:
        ids = import_json(store, text)
    print(f"Imported {len(ids)} conversation(s): {', '.join(map(str, ids))}", file=sys.stderr)
    return 0
