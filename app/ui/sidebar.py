"""How the sidebar shows conversations: grouped by date, a damaged one marked."""

from __future__ import annotations

import datetime as dt

from app.core.i18n import translate
from app.store.conversations import Conversation


def group_label(updated_at: float, now: float) -> str:
    """Today, Yesterday, Previous 7 days or Older, in local time."""
    try:
        day = dt.datetime.fromtimestamp(updated_at).date()
        today = dt.datetime.fromtimestamp(now).date()
    except (OverflowError, OSError, ValueError):  # not a time any calendar can show
        return translate("Sidebar", "Older")
    age = (today - day).days
    if age <= 0:
        return translate("Sidebar", "Today")
    if age == 1:
        return translate("Sidebar", "Yesterday")
    if age <= 7:
        return translate("Sidebar", "Previous 7 days")
    return translate("Sidebar", "Older")


def item_text(c: Conversation) -> tuple[str, str]:
    """The sidebar line of a conversation and its tooltip (which says if it is damaged).

    The line is the title alone, so renaming edits just the title; the list shows a
    warning icon beside a damaged one.
    """
    return c.title or translate("Sidebar", "New chat"), damaged_notice(
        c.damaged
    ) if c.damaged else ""


def damaged_notice(damaged: str) -> str:
    return translate(
        "Sidebar",
        "Part of this conversation's stored data is unreadable ({damaged}). It is shown "
        "as far as it can be read; you can export or delete it.",
    ).format(damaged=damaged)
