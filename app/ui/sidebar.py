"""How the sidebar shows conversations: grouped by date, a damaged one marked.

The group headings are items of the list (a screen reader reads them in order, before
their conversations) that cannot be chosen; :class:`RowDelegate` draws them as quiet
small headings, apart from the rows the style sheet draws (hover and selected states).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import (
    QDate,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFontMetrics, QLinearGradient, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.core.i18n import translate
from app.store.conversations import Conversation
from app.ui.icons import Icon, icon
from app.ui.theme import Space, Type, colors, font

ROLE_HEADING = Qt.ItemDataRole.UserRole + 10  # True on a group's heading
ROLE_MENU = Qt.ItemDataRole.UserRole + 11  # True on a row with a "…" menu (a conversation)
MORE_SIDE = 22  # the "…" button's square, at a row's right end


def group_label(updated_at: float, now: float) -> str:
    """Today, Yesterday, Previous 7 days, Previous 30 days, then the month ("October
    2026"), in local time: the groups ChatGPT's and LM Studio's lists use, so an old
    conversation is found by when it was, not scrolled to through one long "Older"."""
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
    if age <= 30:
        return translate("Sidebar", "Previous 30 days")
    return month_label(day.year, day.month)


def month_label(year: int, month: int) -> str:
    """ "October 2026" (in Chinese "2026年10月"): the month in the locale's words, in a
    date pattern each translation gives (Qt's date format: MMMM the month's name, M its
    number, yyyy the year)."""
    pattern = translate("Sidebar", "MMMM yyyy")  # a Qt date format, not words
    return QLocale().toString(QDate(year, month, 1), pattern)


def item_text(c: Conversation) -> tuple[str, str]:
    """The sidebar line of a conversation and its tooltip (which says if it is damaged).

    The line is the title alone, so renaming edits just the title; the list shows a
    warning icon beside a damaged one.
    """
    title = c.title or translate("Sidebar", "New chat")
    return title, damaged_notice(c.damaged) if c.damaged else ""


def damaged_notice(damaged: str) -> str:
    return translate(
        "Sidebar",
        "Part of this conversation's stored data is unreadable ({damaged}). It is shown "
        "as far as it can be read; you can export or delete it.",
    ).format(damaged=damaged)


class RowDelegate(QStyledItemDelegate):
    """Headings drawn small and muted with room above them; conversations as the style
    sheet draws them (rounded rows, hover, selected), taller than Qt's default, with a
    "…" at the right end of the row under the mouse and of the selected one (the list
    opens the row's menu on a click there, as on a right click; from the keyboard: F2,
    Delete)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if not index.data(ROLE_HEADING):
            super().paint(painter, option, index)
            state = option.state
            if index.data(ROLE_MENU) and state & (
                QStyle.StateFlag.State_MouseOver | QStyle.StateFlag.State_Selected
            ):
                self._paint_more(painter, option, bool(state & QStyle.StateFlag.State_Selected))
            return
        painter.save()
        painter.setFont(font(Type.SMALL, option.font))
        brush = index.data(Qt.ItemDataRole.ForegroundRole)  # the list's muted color
        painter.setPen(
            brush.color()
            if brush is not None
            else option.palette.color(QPalette.ColorRole.PlaceholderText)
        )
        rect = QRect(option.rect).adjusted(Space.S, 0, -Space.S, -Space.XS)
        heading = index.data(Qt.ItemDataRole.DecorationRole)
        if heading is not None:  # the pin beside "Pinned"
            side = painter.fontMetrics().height()
            target = QRect(rect.left(), rect.bottom() - side + 1, side, side)
            heading.paint(painter, target)
            rect.setLeft(target.right() + Space.XS + 2)
        text = painter.fontMetrics().elidedText(
            str(index.data()), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, text)
        painter.restore()

    @staticmethod
    def more_rect(row: QRect) -> QRect:
        """Where a row's "…" is."""
        return QRect(
            row.right() - MORE_SIDE - Space.XS + 1,
            row.center().y() - MORE_SIDE // 2 + 1,
            MORE_SIDE,
            MORE_SIDE,
        )

    def _paint_more(self, painter: QPainter, option: QStyleOptionViewItem, selected: bool) -> None:
        c = colors()
        target = self.more_rect(option.rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        # Over the end of the title, in the row's own color, the title fading into it.
        row = QColor(c.selected if selected else c.raised)
        clear = QColor(row)
        clear.setAlpha(0)
        fade = QRect(target.left() - Space.L, target.top(), Space.L, target.height())
        gradient = QLinearGradient(fade.left(), 0, fade.right() + 1, 0)
        gradient.setColorAt(0, clear)
        gradient.setColorAt(1, row)
        painter.fillRect(fade, gradient)
        painter.fillRect(target, row)
        icon(Icon.MORE).paint(painter, target.adjusted(3, 3, -3, -3))
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        if index.data(ROLE_HEADING):
            small = font(Type.SMALL, option.font)
            top = Space.L if index.row() > 0 else Space.XS
            return QSize(hint.width(), QFontMetrics(small).height() + top + Space.XS)
        # A row: a line with room around it; a search hit's two lines get the same room.
        return QSize(
            hint.width(), max(hint.height(), option.fontMetrics.height()) + 2 * Space.S + 2
        )
