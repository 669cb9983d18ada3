"""Outside an explicit download the app opens no network connection at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.cli import ROOT
from tests.fixtures.scripted_model import ScriptedModel

SESSION = Path(__file__).with_name("session.py")


def run_session(face: str, model: Path, home: Path) -> dict[str, object]:
    env = {**os.environ, "QWQ_DESKTOP_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("HF_HUB_OFFLINE", None)  # the app must not rely on it
    result = subprocess.run(
        [sys.executable, str(SESSION), face, str(model)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=180,
    )
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "{}"
    report: dict[str, object] = json.loads(last)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    return report


@pytest.mark.parametrize("face", ["window", "cli"])
def test_startup_and_a_chat_open_no_socket(
    face: str, qwq_model: ScriptedModel, tmp_path: Path
) -> None:
    report = run_session(face, qwq_model.path, tmp_path / "home")
    assert report["ok"] is True
    assert report["attempts"] == []


def test_the_probe_sees_a_connection(tmp_path: Path) -> None:
    """The audit hook does catch a connect (so an empty list above means something)."""
    code = (
        "import runpy, socket, sys; sys.argv = ['x', 'none', 'none']; "
        f"ns = runpy.run_path({str(SESSION)!r}, run_name='probe'); "
        "s = socket.socket(); s.settimeout(0.2)\n"
        "try: s.connect(('127.0.0.1', 9))\n"
        "except OSError: pass\n"
        "s.close(); print(ns['attempts'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "connect ('127.0.0.1', 9)" in out.stdout, out.stderr
