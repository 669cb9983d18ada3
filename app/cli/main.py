"""The command line: ``qwq-desktop SUBCOMMAND ...``.

Every error a user can meet ends as one line on stderr and exit code 2, never a
traceback. Exit codes: 0 done, 1 the generation failed, 2 a bad request or model
file, 130 stopped with Ctrl+C.
"""

from __future__ import annotations

import argparse
import sys

from app import __version__
from app.core.errors import QwQError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"qwq-desktop: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    from app.cli import ask, collections, conversations, models, serve

    parser = _Parser(
        prog="qwq-desktop",
        description="QwQ Desktop: chat with the QwQ-32B reasoning model on your own machine.",
    )
    parser.add_argument("--version", action="version", version=f"qwq-desktop {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    ask.add_parser(commands)
    conversations.add_parsers(commands)
    collections.add_parsers(commands)
    models.add_parsers(commands)
    serve.add_parser(commands)
    return parser


def fail(message: str) -> int:
    print(f"qwq-desktop: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        result: int = args.handler(args)
        return result
    except QwQError as e:
        return fail(str(e))
    except KeyboardInterrupt:
        print("qwq-desktop: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
