"""Freeze the installed app with PyInstaller: ``python packaging/freeze.py --variant cpu``.

Run from the repository root in a Python environment where the app is installed
(``pip install -e .``) with the llama-cpp-python build for the variant (CPU, CUDA or
Metal: see packaging/README.md). Writes ``dist/qwq-desktop/`` (and on macOS
``dist/QwQ Desktop.app``) plus ``dist/BACKEND``, and prints the size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("cpu", "cuda", "metal")


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def built_backend() -> str:
    """cpu, cuda or metal, from the libraries llama-cpp-python installed. Not by importing
    it: a CUDA build does not even load on a build machine without an NVIDIA driver."""
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        raise SystemExit("llama-cpp-python is not installed here.")
    names = [p.name.lower() for p in (Path(spec.origin).parent / "lib").iterdir()]
    if any("ggml-cuda" in n for n in names):
        return "cuda"
    if any("ggml-metal" in n for n in names):
        return "metal"
    if sys.platform == "darwin":  # Metal may be linked into libggml itself
        return "metal"
    return "cpu"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", choices=VARIANTS, default="cpu")
    args = parser.parse_args()

    found = built_backend()
    if found != args.variant:
        print(
            f"llama-cpp-python here is a {found} build, which does not match --variant "
            f"{args.variant}: install the matching build first.",
            file=sys.stderr,
        )
        return 2
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "pyinstaller>=6.10"], check=True)
    dist, work = ROOT / "dist", ROOT / "build" / "pyinstaller"
    shutil.rmtree(dist / "qwq-desktop", ignore_errors=True)
    env = {**os.environ, "QWQ_VARIANT": args.variant}
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
         "--distpath", str(dist), "--workpath", str(work),
         str(ROOT / "packaging" / "qwq-desktop.spec")],
        check=True, cwd=ROOT, env=env,
    )  # fmt: skip
    (dist / "BACKEND").write_text(args.variant + "\n")
    (dist / "qwq-desktop" / "BACKEND").write_text(args.variant + "\n")
    size = folder_size(dist / "qwq-desktop")
    print(f"dist/qwq-desktop: {size / 1e6:.0f} MB ({args.variant})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
