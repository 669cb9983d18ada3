"""Entry point: ``qwq-desktop [--model] [PATH.gguf]`` opens the window; a subcommand runs the CLI."""

from __future__ import annotations

import sys

from app.core.logging_setup import enable_fault_log
from app.core.paths import AppPaths


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    enable_fault_log(AppPaths.current())  # a hard crash leaves its traceback in the log
    # A .gguf alone is what a file manager passes ("Open with QwQ Desktop").
    opened = len(args) == 1 and args[0].lower().endswith(".gguf")
    if not args or opened or (args[0] in ("--model", "-m") and len(args) == 2):
        from app.ui.app import run_window

        return run_window(args[-1] if args else None)
    from app.cli.main import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
