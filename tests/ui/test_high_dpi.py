"""No clipped text at 125, 150 and 200 % scaling: the window after one exchange, the
first-run page and the Settings dialog, each scale in a process of its own (Qt reads
QT_SCALE_FACTOR once, when it starts). See tests/ui/fit_check.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.fit_check import misfits

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize("scale", ["1.25", "1.5", "2"])
def test_every_text_fits_at(scale: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_SCALE_FACTOR": scale,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.fit_check", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all fit" in done.stdout


def test_the_check_sees_a_clipped_text(qtbot: QtBot) -> None:
    """The check itself: a label and a button too narrow for their words are reported."""
    root = QWidget()
    qtbot.addWidget(root)
    column = QVBoxLayout(root)
    label = QLabel("A label much wider than its room")
    label.setFixedWidth(40)
    button = QPushButton("A button much wider than its room")
    button.setFixedWidth(40)
    short = QLabel("Fits")
    for w in (label, button, short):
        column.addWidget(w)
    root.show()
    qtbot.waitExposed(root)
    found = misfits(root)
    assert len(found) == 2 and "QLabel" in found[0] and "QPushButton" in found[1]
