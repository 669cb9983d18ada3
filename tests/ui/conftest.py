"""The window as the app shows it (its theme), and no UI test may leave a worker thread
running (they make Qt suites flaky)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from app.ui.theme import apply_theme
from app.ui.worker import hand_over_all, running_jobs


@pytest.fixture(autouse=True, scope="session")
def themed(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every UI test runs with the palette and style sheet the app applies at start (in
    a home of the session's: the sheet writes its arrow icon to the cache folder)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("QWQ_DESKTOP_HOME", str(tmp_path_factory.mktemp("themed-home")))
        apply_theme(qapp, "light")
    yield


@pytest.fixture(autouse=True)
def no_leftover_jobs(qapp: object) -> Iterator[None]:
    yield
    still_running = [job for job in running_jobs() if job.running]
    # Nor hand their results over in the next test, to objects that test never made
    # (a write handed over late once crashed the next test's model load).
    hand_over_all()
    assert not still_running, f"{len(still_running)} worker job(s) still running after the test"
