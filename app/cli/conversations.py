"""``qwq-desktop conversations | export | import``: the stored conversations from a terminal."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from app.core.errors import InvalidRequestError
from app.core.format import size
from app.core.paths import AppPaths
from app.engine.kv_snapshots import SnapshotCache
from app.store import backup
from app.store.conversations import ConversationStore
from app.store.database import StoreError
from app.store.export import MAX_IMPORT_BYTES, export_json, export_markdown_all, import_json


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

    p = commands.add_parser(
        "delete",
        help="delete stored conversations (a damaged one too); asks nothing",
        description="Delete conversations and all their messages. There is no undo, but "
        "the rolling backups (qwq-desktop backups) still hold them.",
    )
    p.add_argument("ids", nargs="+", type=int, metavar="ID", help="a conversation id")
    p.set_defaults(handler=run_delete)

    p = commands.add_parser(
        "snapshots",
        help="the space the conversation snapshots take, or clear them",
        description="A conversation's snapshot keeps what the model has read of it, so a "
        "follow-up starts at once. They can be rebuilt: clearing them loses nothing but time.",
    )
    p.add_argument("--clear", action="store_true", help="remove every snapshot")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(handler=run_snapshots)

    p = commands.add_parser(
        "backups",
        help="list the rolling backups of the conversations, make one, or restore one",
        description="The window backs the conversation database up once a day and keeps "
        f"the newest {backup.KEEP} of each kind. Restoring first keeps the current database "
        "as a backup of its own, so nothing is lost.",
    )
    action = p.add_mutually_exclusive_group()
    action.add_argument("--now", action="store_true", help="make a backup now")
    action.add_argument("--restore", metavar="NAME", help="restore this backup (see the list)")
    p.add_argument("--json", action="store_true", help="one JSON array")
    p.set_defaults(handler=run_backups)


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
                "damaged": c.damaged or None,
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
        when = _local_time(r["updated_at"])
        pin = "*" if r["pinned"] else " "
        damaged = f"  [damaged: {r['damaged']}]" if r["damaged"] else ""
        print(f"{r['id']:>6} {pin} {when}  {r['messages']:>4} msgs  {r['title']}{damaged}")
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
        if path.stat().st_size > MAX_IMPORT_BYTES:  # before reading it all into memory
            raise InvalidRequestError(
                f"{path} is too big to be an export (over {MAX_IMPORT_BYTES // 2**20} MiB)."
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidRequestError(f"Cannot read {path}: {e}") from e
    with open_store() as store:
        ids = import_json(store, text)
    print(f"Imported {len(ids)} conversation(s): {', '.join(map(str, ids))}", file=sys.stderr)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with open_store() as store:
        conversations = [store.get(cid) for cid in args.ids]  # all exist, or nothing is deleted
        snapshots = _snapshots()
        for c in conversations:
            store.delete(c.id)
            snapshots.delete(c.id)  # its KV snapshot, if any, goes with it
            print(
                f"Deleted conversation {c.id}: {c.title or 'Untitled conversation'}",
                file=sys.stderr,
            )
    return 0


def _snapshots() -> SnapshotCache:
    return SnapshotCache(AppPaths.current().cache / "kv")


def run_snapshots(args: argparse.Namespace) -> int:
    cache = _snapshots()
    used = cache.usage()
    if args.clear:
        cache.clear()
        print(f"Cleared the conversation snapshots ({size(used)}).", file=sys.stderr)
        return 0
    if args.json:
        json.dump({"folder": str(cache.folder), "bytes": used}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"{size(used)} of conversation snapshots in {cache.folder}")
    return 0


def run_backups(args: argparse.Namespace) -> int:
    folder = backup.folder_of(AppPaths.current().data)
    if args.now:
        with open_store() as store:
            made = backup.make(store.path, folder, kind="manual")
        print(f"Backed up to {made.path}", file=sys.stderr)
        return 0
    if args.restore:
        chosen = backup.find(folder, args.restore)
        with open_store() as store:
            kept = store.restore_backup(chosen.path, folder)
        print(
            f"Restored {chosen.name}; the database it replaced is kept as {kept.name}.",
            file=sys.stderr,
        )
        return 0
    backups = backup.list_backups(folder)
    if args.json:
        rows = [
            {"name": b.name, "kind": b.kind, "created_at": b.created_at, "bytes": b.size}
            for b in backups
        ]
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not backups:
        print(f"No backups yet in {folder}.", file=sys.stderr)
    for b in backups:
        print(f"{b.name}  {_local_time(b.created_at)}  {size(b.size):>9}  {b.kind}")
    return 0


def _local_time(timestamp: float) -> str:
    try:
        return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return "????-??-?? ??:??"
