"""The ``datetime`` tool: the local date, time, weekday and time zone, which a model cannot
know from its weights (QwQ's training data ends in 2024) and often needs ("how many days
until…", "what day is it").

English and locale-independent: the text is for the model, whatever the window's language.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.tools.tool import BuiltinTool, string_parameters

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def local_now() -> datetime:
    """Now, in the system's time zone: by its IANA name (``Europe/Berlin``) where the
    system says it, else the fixed offset the C library gives."""
    name = _local_zone_name()
    if name:
        try:
            return datetime.now(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return datetime.now().astimezone()


def _local_zone_name() -> str | None:
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz and not tz.startswith("/"):
        return tz
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return None
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else None


def describe(now: datetime) -> str:
    """``Saturday, 28 November 2026, 18:50:49; time zone Europe/Berlin (CET, UTC+01:00);
    ISO 8601: 2026-11-28T18:50:49+01:00``."""
    if now.tzinfo is None:
        now = now.astimezone()
    offset = now.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    utc = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    abbreviation = now.tzname() or ""
    key = getattr(now.tzinfo, "key", None)
    if key:
        zone = f"{key} ({abbreviation}, {utc})" if abbreviation else f"{key} ({utc})"
    elif abbreviation and abbreviation != utc:
        zone = f"{abbreviation} ({utc})"
    else:
        zone = utc
    return (
        f"{_WEEKDAYS[now.weekday()]}, {now.day} {_MONTHS[now.month - 1]} {now.year},"
        f" {now:%H:%M:%S}; time zone {zone}; ISO 8601: {now.isoformat(timespec='seconds')}"
    )


def datetime_tool(now: Callable[[], datetime] = local_now) -> BuiltinTool:
    """The ``datetime`` tool; ``now`` gives the moment (the clock, or a fixed one)."""
    return BuiltinTool(
        name="datetime",
        description=(
            "Get the current local date, time, weekday and time zone of the user's computer."
            " Takes no arguments."
        ),
        parameters=string_parameters(),
        needs_approval=False,
        action=lambda: describe(now()),
    )
