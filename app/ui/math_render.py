"""Math in answers, rendered as math: ``$…$``, ``\\(…\\)``, ``$$…$$``, ``\\[…\\]``, ``\\boxed{}``.

QwQ writes LaTeX and ends math answers with ``\\boxed{}``. Each formula is typeset by
ziamath (LaTeX to SVG in pure Python, with its own STIX math font: a few MB, no TeX,
no browser) and drawn by Qt's SVG renderer into an image the answer's document holds
as its own resource. Nothing is fetched. A formula ziamath cannot typeset stays as
code, so nothing the model wrote disappears.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from ziamath.config import config as ziamath_config
from ziamath.zmath import Latex

# Glyphs as plain paths: Qt's SVG renderer (SVG Tiny 1.2) draws no <symbol>/<use href>.
ziamath_config.svg2 = False

SCHEME = "qwq-math"
SCALE = 2  # render at twice the size and show at half: sharp on high-DPI screens

# Display math first, then inline; `$` pairs must hug their content ("$5 and $10" is money).
_MATH = re.compile(
    r"\$\$(?P<d1>.+?)\$\$"
    r"|\\\[(?P<d2>.+?)\\\]"
    r"|\\\((?P<i1>.+?)\\\)"
    r"|(?<![\\$\w])\$(?P<i2>[^\s$](?:[^$\n]*?[^\s$\\])?)\$(?!\d)",
    re.DOTALL,
)
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Formula:
    tex: str
    display: bool


def find_formulas(markdown: str) -> list[tuple[int, int, Formula]]:
    """(start, end, formula) for each formula outside inline code."""
    code = [m.span() for m in _CODE_SPAN.finditer(markdown)]
    found = []
    for m in _MATH.finditer(markdown):
        if any(a <= m.start() < b for a, b in code):
            continue
        display = m.group("d1") is not None or m.group("d2") is not None
        tex = next(g for g in (m.group("d1"), m.group("d2"), m.group("i1"), m.group("i2")) if g)
        found.append((m.start(), m.end(), Formula(tex.strip(), display)))
    return found


@lru_cache(maxsize=512)
def render(formula: Formula, color: str, size: float) -> QImage | None:
    """The formula as an image (at SCALE x), or None if it cannot be typeset."""
    try:
        svg = Latex(formula.tex, size=size * SCALE, color=color, inline=not formula.display).svg()
    except Exception:  # ziamath raises many kinds on LaTeX it does not know
        return None
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        return None
    box = renderer.defaultSize()
    if box.isEmpty():
        return None
    image = QImage(box, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter, QRectF(0, 0, box.width(), box.height()))
    painter.end()
    image.setDevicePixelRatio(SCALE)
    return image


def with_math_images(markdown: str, color: str, size: float) -> tuple[str, dict[str, QImage]]:
    """Markdown with each formula replaced by a reference to its image, and the images.

    A formula that cannot be typeset is kept as inline code.
    """
    images: dict[str, QImage] = {}
    out: list[str] = []
    last = 0
    for start, end, formula in find_formulas(markdown):
        out.append(markdown[last:start])
        image = render(formula, color, size)
        source = markdown[start:end]
        if image is None:
            fence = "``" if "`" in source else "`"
            out.append(f"{fence}{source}{fence}")
        else:
            url = f"{SCHEME}:{len(images)}"
            images[url] = image
            reference = f"![math]({url})"
            out.append(f"\n\n{reference}\n\n" if formula.display else reference)
        last = end
    out.append(markdown[last:])
    return "".join(out), images
