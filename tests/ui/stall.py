"""How long the GUI thread stops answering: a 10 ms QTimer heartbeat records the longest gap."""

from __future__ import annotations

import time
from types import TracebackType

from PySide6.QtCore import QTimer


class StallMeter:
    """``with StallMeter() as meter: ...``; then ``meter.longest`` (seconds).

    Only what runs inside the event loop is seen: start the work with
    ``QTimer.singleShot`` and wait with ``qtbot.wait``/``waitUntil``.
    """

    def __init__(self, interval_ms: int = 10) -> None:
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)
        self._last = 0.0
        self.longest = 0.0
        self.beats = 0

    def _beat(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now
        self.beats += 1

    def __enter__(self) -> StallMeter:
        self._last = time.perf_counter()
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.stop()
        self._beat()  # a stall still going on at the end counts too
