"""``qwq-desktop collections add NAME FOLDER | list | reindex NAME | remove NAME |
search NAME QUERY``: the document collections from a terminal.

Progress and summaries go to stderr, results (the list, the passages) to stdout; a
collection that does not exist or a folder that is not one is one error line, exit 2.
A file that cannot be read is a note, not a failure of the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from app.documents.collections import Collections, ReindexResult


def add_parsers(commands: Any) -> None:
    p = commands.add_parser(
        "collections",
        help="folders of your documents, indexed for search (offline)",
        description="A collection is a folder of your documents (text, Markdown, code, "
        "PDF, ...) indexed on this machine, so QwQ can search it and cite the passages. "
        "Hidden files, links and common junk folders are skipped.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("add", help="add a folder as a collection and index it")
    a.add_argument("name", metavar="NAME")
    a.add_argument("folder", metavar="FOLDER")
    a.set_defaults(handler=run_add)
    a = actions.add_parser("list", help="the collections, their files and passages")
    a.add_argument("--json", action="store_true", help="one JSON array")
    a.set_defaults(handler=run_list)
    a = actions.add_parser("reindex", help="index what changed in a collection's folder")
    a.add_argument("name", metavar="NAME")
    a.set_defaults(handler=run_reindex)
    a = actions.add_parser("remove", help="forget a collection (its folder is not touched)")
    a.add_argument("name", metavar="NAME")
    a.set_defaults(handler=run_remove)
    a = actions.add_parser("search", help="the passages of a collection that match a query")
    a.add_argument("name", metavar="NAME")
    a.add_argument("query", metavar="QUERY", nargs="+")
    a.add_argument("-n", "--limit", type=int, default=8, help="at most this many (default 8)")
    a.add_argument("--json", action="store_true", help="a JSON list of {source, text, score}")
    a.set_defaults(handler=run_search)


def run_add(args: argparse.Namespace) -> int:
    with Collections() as collections:
        info = collections.add(args.name, Path(args.folder))
        print(f"Added {info.name}: {info.folder}", file=sys.stderr)
        _reindex(collections, info.name)
    return 0


def run_reindex(args: argparse.Namespace) -> int:
    with Collections() as collections:
        _reindex(collections, args.name)
    return 0


def _reindex(collections: Collections, name: str) -> ReindexResult:
    tty = sys.stderr.isatty()

    def progress(done: int, total: int, path: str) -> None:
        if tty:
            sys.stderr.write(f"\r\x1b[K  {done}/{total} {path[-60:]}")
            sys.stderr.flush()

    result = collections.reindex(name, progress=progress)
    if tty:
        sys.stderr.write("\r\x1b[K")
    for failure in result.failed:
        print(
            f"qwq-desktop: note: {failure.path} was not indexed: {failure.reason}", file=sys.stderr
        )
    info = collections.info(name)
    print(
        f"Indexed {name}: {info.files} files, {info.passages} passages"
        f" ({len(result.added)} added, {len(result.changed)} changed, {len(result.removed)}"
        f" removed, {result.unchanged} unchanged, {len(result.failed)} failed,"
        f" {result.skipped} skipped) in {result.seconds:.1f} s",
        file=sys.stderr,
    )
    return result


def run_list(args: argparse.Namespace) -> int:
    with Collections() as collections:
        found = collections.list()
    if args.json:
        rows = [
            {
                "name": c.name,
                "folder": str(c.folder),
                "files": c.files,
                "passages": c.passages,
                "failed": c.failed,
                "indexed_at": c.indexed_at,
                "state": c.state,
            }
            for c in found
        ]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not found:
        print("No collections yet: qwq-desktop collections add NAME FOLDER", file=sys.stderr)
    for c in found:
        when = (
            dt.datetime.fromtimestamp(c.indexed_at).strftime("%Y-%m-%d %H:%M")
            if c.indexed_at
            else "never indexed"
        )
        state = "" if c.state == "ready" else f"  [{c.state}]"
        print(f"{c.name}  {c.files} files  {c.passages} passages  {when}  {c.folder}{state}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with Collections() as collections:
        collections.remove(args.name)
    print(f"Removed {args.name} (its folder was not touched)", file=sys.stderr)
    return 0


def run_search(args: argparse.Namespace) -> int:
    with Collections() as collections:
        hits = collections.search(" ".join(args.query), names=[args.name], limit=args.limit)
    if args.json:
        rows = [{"source": h.source, "text": h.text, "score": round(h.score, 6)} for h in hits]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not hits:
        print("No passage matches.", file=sys.stderr)
    for n, hit in enumerate(hits):
        if n:
            print()
        print(f"[{hit.source}]")
        print(hit.text)
    return 0
