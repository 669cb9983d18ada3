"""Where the window was: its geometry and its splitter's sizes, kept across restarts.

Qt describes both as opaque bytes (``saveGeometry``, ``QSplitter.saveState``); they are
kept here as base64 strings in ``window.json`` in the config folder, apart from the
settings (the Settings dialog rewrites those; a move of the window is no setting).
Qt-free, like the rest of ``app.core``. A missing or damaged file means "the defaults":
the window never fails to open because of where it was.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from app.core.paths import AppPaths

log = logging.getLogger(__name__)
FILE_NAME = "window.json"


@dataclass
class WindowState:
    geometry: bytes = b""  # QMainWindow.saveGeometry()
    splitter: bytes = b""  # the main splitter's saveState()

    @staticmethod
    def path(paths: AppPaths | None = None) -> Path:
        return (paths or AppPaths.current()).config / FILE_NAME

    @staticmethod
    def load(paths: AppPaths | None = None) -> WindowState:
        """The saved state; anything missing or unreadable is left empty."""
        path = WindowState.path(paths)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return WindowState()
        except (OSError, ValueError) as e:
            log.warning("window state unreadable, using defaults: %s: %s", path, e)
            return WindowState()
        state = WindowState()
        if isinstance(data, dict):
            for name in ("geometry", "splitter"):
                value = data.get(name)
                if isinstance(value, str):
                    try:
                        setattr(state, name, base64.b64decode(value, validate=True))
                    except (binascii.Error, ValueError):
                        log.warning("window state: %s unreadable, ignored", name)
        return state

    def save(self, paths: AppPaths | None = None) -> None:
        """Written to a temporary file, then renamed over the old one."""
        path = WindowState.path(paths)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        text = {k: base64.b64encode(v).decode("ascii") for k, v in asdict(self).items()}
        tmp.write_text(json.dumps(text, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
