"""Small text formats shared by the faces (window, exports)."""

from __future__ import annotations


def duration(seconds: float) -> str:
    """12 s, 1 min 12 s, 1 h 3 min."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


def size(n: float) -> str:
    """19.9 GB, 512.0 MB, 12 KB: decimal units, as the Hub and file managers show them."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n / 1e3:.0f} KB"
