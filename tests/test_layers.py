"""The layers of app/: Qt stays below the UI (checked on the source and at import time),
and each package imports only the packages under it (checked on the source, lazy imports
inside functions included, since that is how a wrong-way import hides)."""

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


# Who may import whom, bottom up. A face (cli, ui, __main__) sits on top; api is the local
# server, which both faces start. models (the model files: catalog, downloads, library)
# builds on engine (GGUF reading, the offload plan, the machine's hardware), never the other
# way: the engine loads whatever file it is given.
FACES_MAY_USE = {
    "core",
    "engine",
    "store",
    "models",
    "api",
    "session",
    "keep_warm",
    "tools",
    "tool_turn",
    "documents",
}  # the CLI and the window stand on the same layers
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "engine": {"core"},
    "store": {"core"},
    "models": {"core", "engine"},
    "api": {"core", "engine"},
    "documents": {"core"},
    "tools": {"core", "store", "documents"},
    "tool_turn": {"core", "engine", "tools"},
    "session": {"core", "engine", "store", "tools", "tool_turn", "documents"},
    "keep_warm": {"core", "engine", "session", "store"},
    "cli": FACES_MAY_USE,
    "ui": FACES_MAY_USE,
    "__main__": {"core", "cli", "ui"},
}
_PARTS = {
    p.stem if p.is_file() else p.name
    for p in APP.iterdir()
    if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())
} - {"__init__"}


def _part_of(path: Path) -> str:
    return path.relative_to(APP).parts[0].removesuffix(".py")


def _app_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, part of app/) for every import of app code anywhere in the module."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif node.module and node.level == 0:
            if node.module == "app":  # from app import engine / __version__
                modules = [f"app.{a.name}" for a in node.names]
            else:
                modules = [node.module]
        for module in modules:
            parts = module.split(".")
            if parts[0] == "app" and len(parts) > 1 and parts[1] in _PARTS:
                found.append((node.lineno, parts[1]))
    return found


def _wrong_way(source: str, part: str) -> list[str]:
    return [
        f"line {line}: {part} imports {target}"
        for line, target in _app_imports(ast.parse(source))
        if target != part and target not in ALLOWED[part]
    ]


def test_every_part_of_app_has_a_place_in_the_layers() -> None:
    assert set(ALLOWED) == _PARTS


def test_the_layers_have_no_cycle() -> None:
    order: list[str] = []
    while len(order) < len(ALLOWED):
        ready = [p for p in ALLOWED if p not in order and ALLOWED[p] <= set(order)]
        assert ready, f"a cycle among {set(ALLOWED) - set(order)}"
        order += sorted(ready)


def test_each_part_imports_only_the_parts_under_it() -> None:
    offenders = []
    for path in APP.rglob("*.py"):
        if path == APP / "__init__.py":
            continue
        for problem in _wrong_way(path.read_text(encoding="utf-8"), _part_of(path)):
            offenders.append(f"{path.relative_to(APP.parent)} {problem}")
    assert not offenders, "imports against the layers:\n" + "\n".join(offenders)


def test_a_lazy_wrong_way_import_is_caught() -> None:
    """The engine once reached up into models from inside a function, out of sight of a
    module-level import check."""
    lazy = "def load():\n    if True:\n        from app.models.hardware import detect\n"
    assert _wrong_way(lazy, "engine") == ["line 3: engine imports models"]
    assert _wrong_way("import app.ui.app\n", "core") == ["line 1: core imports ui"]
    assert _wrong_way("from app import session\n", "store") == ["line 1: store imports session"]
    assert _wrong_way("from app.engine.gguf_file import read_gguf\n", "models") == []
