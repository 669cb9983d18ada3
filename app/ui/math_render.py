"""Math in answers, rendered as math: ``$…$``, ``\\(…\\)``, ``$$…$$``, ``\\[…\\]``, ``\\boxed{}``.

QwQ writes LaTeX and ends math answers with ``\\boxed{}``. Each formula is typeset by
ziamath (LaTeX to SVG in pure Python, with its own STIX math font: a few MB, no TeX,
no browser) and drawn by Qt's SVG renderer into an image the answer's document holds
as its own resource. Nothing is fetched. A formula ziamath cannot typeset stays as
code, so nothing the model wrote disappears.

Model output is untrusted, and ziamath's time doubles with each level of nesting, so:

- formulas are found in linear time and sized up before typesetting (see math_tex);
  one too deep or too large stays as its TeX source;
- a small formula is typeset at once on the GUI thread, within a budget of 20 ms per
  turn of the event loop; every other one on a worker thread, while the answer shows its TeX
  source, and the answer swaps the image in when it is ready (``MathTypesetter.ready``);
- results (images and refusals) are cached, so an answer opened again costs nothing.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import time
from collections import OrderedDict
from typing import Literal

from PySide6.QtCore import QByteArray, QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from ziamath.config import config as ziamath_config
from ziamath.zmath import Latex

from app.ui.math_tex import Formula, cost_of, find_formulas

__all__ = ["Formula", "MathTypesetter", "find_formulas", "render", "typesetter", "with_math_images"]

log = logging.getLogger("app.math")

# Glyphs as plain paths: Qt's SVG renderer (SVG Tiny 1.2) draws no <symbol>/<use href>.
ziamath_config.svg2 = False

SCHEME = "qwq-math"
SCALE = 2  # render at twice the size and show at half: sharp on high-DPI screens
MAX_PIXELS = 4_000_000  # a bigger image (16 MB) is not worth it: the TeX source is shown
SYNC_BUDGET_S = 0.020  # typesetting on the GUI thread: at most this much a turn of the loop
CACHE_BYTES = 64 * 1024 * 1024
MAX_FORMULAS = 100  # typeset per block of an answer; the ones after stay as TeX
MAX_QUEUED = 256  # formulas waiting for the worker; the oldest requests are dropped first

Key = tuple[Formula, str, float]  # formula, colour, size
Status = Literal["ready", "pending", "failed"]


def render(formula: Formula, color: str, size: float) -> QImage | None:
    """The formula as an image (at SCALE x), or None if it cannot or should not be typeset.

    Safe on any thread; bounded in time by the limits of math_tex.
    """
    if not cost_of(formula.tex).typesettable:
        return None
    try:
        svg = Latex(formula.tex, size=size * SCALE, color=color, inline=not formula.display).svg()
    except Exception:  # ziamath raises many kinds on LaTeX it does not know
        return None
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        return None
    box = renderer.defaultSize()
    if box.isEmpty() or box.width() * box.height() > MAX_PIXELS:
        return None
    image = QImage(box, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter, QRectF(0, 0, box.width(), box.height()))
    painter.end()
    image.setDevicePixelRatio(SCALE)
    return image


class MathTypesetter(QObject):
    """Typesets formulas off the GUI thread and keeps the results.

    ``get`` answers at once: the image, "failed" (show the TeX source), or "pending"
    (show the TeX source for now; ``ready`` is emitted when more images are in).
    """

    ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()  # the cache and the queue
        self._wake = threading.Condition(self._lock)
        self._ziamath = threading.Lock()  # ziamath's own caches are not thread-safe
        self._cache: OrderedDict[Key, QImage | None] = OrderedDict()
        self._cache_bytes = 0
        self._queue: list[Key] = []  # newest last: the worker takes the newest first
        self._busy: Key | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._sync_turn = False  # some of this turn's budget is spent
        self._sync_spent = 0.0

    def get(self, formula: Formula, color: str, size: float) -> tuple[Status, QImage | None]:
        key: Key = (formula, color, size)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                image = self._cache[key]
                return ("ready", image) if image is not None else ("failed", None)
        cost = cost_of(formula.tex)
        if not cost.typesettable:
            self._store(key, None)
            return "failed", None
        if cost.quick and self._sync_allowed() and self._ziamath.acquire(blocking=False):
            started = time.perf_counter()
            try:
                image = self._typeset(formula, color, size)
            finally:
                self._ziamath.release()
                self._sync_spent += time.perf_counter() - started
            self._store(key, image)
            return ("ready", image) if image is not None else ("failed", None)
        self._request(key)
        return "pending", None

    def _sync_allowed(self) -> bool:
        if not self._sync_turn:  # the budget is per turn of the event loop
            self._sync_turn = True
            QTimer.singleShot(0, self._next_turn)
        return self._sync_spent < SYNC_BUDGET_S

    def _next_turn(self) -> None:
        self._sync_turn, self._sync_spent = False, 0.0

    @staticmethod
    def _typeset(formula: Formula, color: str, size: float) -> QImage | None:
        return render(formula, color, size)

    def _store(self, key: Key, image: QImage | None) -> None:
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = image
            self._cache_bytes += image.sizeInBytes() if image is not None else 64
            while self._cache_bytes > CACHE_BYTES and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cache_bytes -= old.sizeInBytes() if old is not None else 64

    def _request(self, key: Key) -> None:
        with self._wake:
            if key == self._busy:
                return
            if key in self._queue:
                self._queue.remove(key)  # asked again: move it to the front
            self._queue.append(key)
            del self._queue[:-MAX_QUEUED]
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="math-typesetter", daemon=True
                )
                self._thread.start()
                atexit.register(self.stop)
            self._wake.notify()

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                key = self._busy = self._queue.pop()
            try:
                with self._ziamath:
                    image = self._typeset(*key)
            except Exception:  # a bug here must not stop every later formula
                log.exception("Could not typeset a formula")
                image = None
            self._store(key, image)
            with self._lock:
                self._busy = None
            self.ready.emit()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + (self._busy is not None)

    def wait_until_idle(self, timeout: float = 30.0) -> bool:
        """Block until every requested formula is typeset (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def clear(self) -> None:
        """Forget every result (tests)."""
        with self._lock:
            self._cache.clear()
            self._cache_bytes = 0

    def stop(self) -> None:
        """End the worker (at exit): it finishes the formula it is on, at most ~1 s."""
        with self._wake:
            self._stopping = True
            self._queue.clear()
            self._wake.notify()
        thread = self._thread
        if thread is not None:
            thread.join(2.0)


_typesetter: MathTypesetter | None = None


def typesetter() -> MathTypesetter:
    """The one typesetter (created on the GUI thread on first use)."""
    global _typesetter
    if _typesetter is None:
        _typesetter = MathTypesetter()
    return _typesetter


_BACKTICK_RUN = re.compile(r"`+")


def _as_code(source: str) -> str:
    """``source`` as an inline code span, whatever backticks it holds."""
    longest = max((len(m.group()) for m in _BACKTICK_RUN.finditer(source)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if source.startswith("`") or source.endswith("`") else ""
    return f"{fence}{pad}{source}{pad}{fence}"


def with_math_images(markdown: str, color: str, size: float) -> tuple[str, dict[str, QImage], int]:
    """Markdown with each formula replaced by a reference to its image, the images, and
    how many formulas are still being typeset.

    A formula that cannot be typeset, or is not typeset yet, is kept as inline code (so
    are those after the first MAX_FORMULAS).
    """
    math = typesetter()
    images: dict[str, QImage] = {}
    out: list[str] = []
    pending = 0
    last = 0
    for n, (start, end, formula) in enumerate(find_formulas(markdown)):
        out.append(markdown[last:start])
        if n < MAX_FORMULAS:
            status, image = math.get(formula, color, size)
        else:
            status, image = "failed", None
        if image is None:
            pending += status == "pending"
            out.append(_as_code(markdown[start:end]))
        else:
            url = f"{SCHEME}:{len(images)}"
            images[url] = image
            reference = f"![math]({url})"
            out.append(f"\n\n{reference}\n\n" if formula.display else reference)
        last = end
    out.append(markdown[last:])
    return "".join(out), images, pending
