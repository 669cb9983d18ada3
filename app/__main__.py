"""Entry point: ``qwq-desktop [--model PATH]`` opens the window; a subcommand runs the CLI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or (args[0] in ("--model", "-m") and len(args) == 2):
        from app.ui.app import run_window

        return run_window(args[1] if args else None)
    from app.cli.main import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
