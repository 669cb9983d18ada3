"""The app's log file, in the logs folder (see :mod:`app.core.paths`)."""

from __future__ import annotations

import logging
import logging.handlers

from app.core.paths import AppPaths

LOG_NAME = "qwq-desktop.log"


def setup_logging(paths: AppPaths, *, level: int = logging.INFO) -> None:
    """Log to a rotating file (1 MB x 3); llama.cpp's own log goes there at DEBUG."""
    paths.logs.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("app")
    if any(getattr(h, "_qwq", False) for h in root.handlers):
        return
    handler = logging.handlers.RotatingFileHandler(
        paths.logs / LOG_NAME, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    handler._qwq = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # llama.cpp's own lines (model loading, memory) are what troubleshooting needs.
    logging.getLogger("app.llama_cpp").setLevel(logging.DEBUG)
