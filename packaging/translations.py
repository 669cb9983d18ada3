"""The window's translation catalog: extract every translatable text, then build the .qm.

    python packaging/translations.py          # lupdate app/ → the .ts, lrelease → the .qm
    python packaging/translations.py --check  # exit 1 if the .ts or the .qm is out of date

``pyside6-lupdate`` finds ``self.tr(...)``, ``QCoreApplication.translate(...)`` and the
core's ``translate(...)`` / ``QT_TRANSLATE_NOOP(...)`` (``app/core/i18n.py``) in every file
under ``app/``, and merges them into ``resources/translations/qwq-desktop_<lang>.ts``,
keeping the translations already there (a changed text comes back unfinished). A translator
edits the ``.ts`` (Qt Linguist: ``pyside6-linguist``, or any text editor); this script then
builds the ``.qm`` that the app loads, and both are committed (installers copy
``resources/`` whole). ``tests/ui/test_translations.py`` fails when they fall out of step.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "resources" / "translations"
LANGUAGES = ("zh_CN",)


def tool(name: str) -> str:
    """A PySide6 tool: beside this Python (a venv's bin/ or Scripts/), else on PATH."""
    folder = Path(sys.executable).parent
    for candidate in (folder / name, folder / f"{name}.exe"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: install PySide6 (it ships with it)")
    return found


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app").rglob("*.py"))


def ts_file(language: str) -> Path:
    return FOLDER / f"qwq-desktop_{language}.ts"


def update(ts: Path) -> None:
    """Merge the texts found in app/ into ``ts`` (no line numbers: a diff shows texts)."""
    subprocess.run(
        [tool("pyside6-lupdate"), *sources(), "-locations", "none", "-no-obsolete", "-ts", str(ts)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def release(ts: Path, qm: Path) -> None:
    subprocess.run(
        [tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def stale() -> list[str]:
    """What is out of date: a .ts that lupdate would change, a .qm lrelease would change."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for language in LANGUAGES:
            ts = ts_file(language)
            fresh = Path(tmp) / ts.name
            shutil.copy(ts, fresh)
            update(fresh)
            if fresh.read_bytes() != ts.read_bytes():
                problems.append(f"{ts.name} misses texts from app/ (or keeps old ones)")
            qm = Path(tmp) / ts.with_suffix(".qm").name
            release(ts, qm)
            if qm.read_bytes() != ts.with_suffix(".qm").read_bytes():
                problems.append(f"{qm.name} is not built from {ts.name}")
    return problems


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = stale()
        print("\n".join(problems) or "up to date")
        return 1 if problems else 0
    FOLDER.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        ts = ts_file(language)
        update(ts)
        release(ts, ts.with_suffix(".qm"))
        print(f"{ts.relative_to(ROOT)} and its .qm updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
