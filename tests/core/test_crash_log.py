"""A hard crash leaves its Python traceback in the log file, from the CLI and from the window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fixtures.cli import ROOT

CLI_THEN_CRASH = """
import faulthandler
from app.__main__ import main
try:
    main(["--version"])
except SystemExit:
    pass
faulthandler._sigsegv()  # what a crash in llama.cpp or Qt looks like
"""

WINDOW_THEN_CRASH = """
import faulthandler
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.__main__ import main

app = QApplication([])

def a_bug_in_a_slot():
    raise ZeroDivisionError("a bug in a slot")

def crash_in_the_event_loop():
    faulthandler._sigsegv()

QTimer.singleShot(1500, a_bug_in_a_slot)  # logged, shown in a dialog, the app goes on
QTimer.singleShot(3000, crash_in_the_event_loop)
main([])
"""


def run(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QWQ_DESKTOP_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONFAULTHANDLER", None)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_a_crash_in_the_cli_leaves_a_traceback_in_the_log(tmp_path: Path) -> None:
    result = run(CLI_THEN_CRASH, tmp_path)
    assert result.returncode == -signal.SIGSEGV
    log = (tmp_path / "logs" / "qwq-desktop.log").read_text()
    assert "Fatal Python error: Segmentation fault" in log
    assert 'File "<string>", line 8 in <module>' in log


def test_a_crash_in_the_window_leaves_a_traceback_in_the_log(tmp_path: Path) -> None:
    result = run(WINDOW_THEN_CRASH, tmp_path)
    assert result.returncode == -signal.SIGSEGV, result.stderr[-2000:]
    log = (tmp_path / "logs" / "qwq-desktop.log").read_text()
    # The exception in the slot first: logged with its traceback, and the app went on...
    assert "ERROR app.crash: Uncaught exception in the window" in log
    assert "ZeroDivisionError: a bug in a slot" in log
    # ...until the hard crash, whose traceback goes to the same file.
    crash = log[log.index("Fatal Python error: Segmentation fault") :]
    assert "crash_in_the_event_loop" in crash and "run_window" in crash


LOG_ROTATES_THEN_CRASH = """
import faulthandler, logging
from app.__main__ import main
from app.core.logging_setup import setup_logging
from app.core.paths import AppPaths
try:
    main(["--version"])
except SystemExit:
    pass
setup_logging(AppPaths.current())
for i in range(1_500):
    logging.getLogger("app").info("line %d %s", i, "x" * 1_000)  # 1.5 MB: the log rotates
faulthandler._sigsegv()
"""


def test_the_crash_report_follows_the_log_when_it_rotates(tmp_path: Path) -> None:
    result = run(LOG_ROTATES_THEN_CRASH, tmp_path)
    assert result.returncode == -signal.SIGSEGV
    logs = tmp_path / "logs"
    assert (logs / "qwq-desktop.log.1").exists()
    assert "Fatal Python error: Segmentation fault" in (logs / "qwq-desktop.log").read_text()
    assert "Fatal Python error" not in (logs / "qwq-desktop.log.1").read_text()
