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
