"""How the sidebar groups conversations by date."""

from __future__ import annotations

import datetime as dt


def group_label(updated_at: float, now: float) -> str:
    """Today, Yesterday, Previous 7 days or Older, in local time."""
    day = dt.datetime.fromtimestamp(updated_at).date()
    today = dt.datetime.fromtimestamp(now).date()
    age = (today - day).days
    if age <= 0:
        return "Today"
    if age == 1:
        return "Yesterday"
    if age <= 7:
        return "Previous 7 days"
    return "Older"
