"""Entry point: ``qwq-desktop`` with a subcommand runs the CLI.

The window (no arguments) arrives with the UI; until then no arguments prints help.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from app.cli.main import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
