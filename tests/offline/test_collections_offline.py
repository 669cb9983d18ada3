"""Adding, indexing and searching a collection opens no network connection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.cli import ROOT
from tests.offline.test_no_network import SESSION


def test_a_collection_is_indexed_and_searched_without_a_socket(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("see https://example.com and the lighthouse keeper\n")
    code = (
        "import json, runpy, sys\n"
        f"ns = runpy.run_path({str(SESSION)!r}, run_name='probe')\n"
        "from app.cli.main import run\n"
        f"codes = [run(['collections', 'add', 'n', {str(folder)!r}]),"
        " run(['collections', 'search', 'n', 'lighthouse']),"
        " run(['collections', 'reindex', 'n'])]\n"
        "print(json.dumps({'codes': codes, 'attempts': ns['attempts']}))\n"
    )
    env = {**os.environ, "QWQ_DESKTOP_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"codes": [0, 0, 0], "attempts": []}, result.stderr
    assert "[a.md" in result.stdout
