"""Fail any UI test that leaves a worker thread running (they make Qt suites flaky)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.ui.worker import running_jobs, wait_for_all


@pytest.fixture(autouse=True)
def no_leftover_jobs(qapp: object) -> Iterator[None]:
    yield
    still_running = [job for job in running_jobs() if job.running]
    wait_for_all(30_000)  # do not let them spill into the next test either
    assert not still_running, f"{len(still_running)} worker job(s) still running after the test"
