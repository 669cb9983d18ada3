"""Qt stays out of the layers below the UI: checked on the source and at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
QT_MODULES = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "qtpy", "superqt")


def _is_ui(path: Path) -> bool:
    rel = path.relative_to(APP).parts
    return rel[0] == "ui" or rel == ("__main__.py",)


def _core_modules() -> list[Path]:
    return [p for p in APP.rglob("*.py") if not _is_ui(p)]


def test_no_qt_import_in_core_source() -> None:
    offenders = []
    for path in _core_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in QT_MODULES:
                    offenders.append(f"{path.relative_to(APP.parent)}:{node.lineno} imports {name}")
    assert not offenders, "Qt outside app/ui:\n" + "\n".join(offenders)


def test_importing_every_core_module_loads_no_qt() -> None:
    modules = sorted(
        ".".join(p.relative_to(APP.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in _core_modules()
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"leaked = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(','.join(leaked))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=APP.parent, check=True
    )
    assert out.stdout.strip() == "", f"Qt loaded by core modules: {out.stdout}"
    assert len(modules) > 10
