"""How long QwQ may think: a token budget and a time limit, chosen from two lists.

Used beside the composer (for the conversation on screen: it applies to the next
message) and in Settings (the default of new conversations). "Custom…" asks for a
number; a value that is not in the list (a custom one, from the store) is shown
as an extra entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QLabel, QWidget

from app.core.i18n import QT_TRANSLATE_NOOP
from app.core.settings import MAX_BUDGET_SECONDS, MAX_BUDGET_TOKENS

TOKEN_CHOICES: tuple[int | None, ...] = (None, 1024, 2048, 4096, 8192, 16384)
TIME_CHOICES: tuple[float | None, ...] = (None, 60.0, 120.0, 300.0, 600.0)
CUSTOM = "custom"  # the item data of "Custom…"
TOKENS_TIP = QT_TRANSLATE_NOOP(
    "BudgetPicker",
    "How many tokens QwQ may think before it is asked to answer from its thinking (1K = 1,024)",
)
SECONDS_TIP = QT_TRANSLATE_NOOP(
    "BudgetPicker", "How long QwQ may think before it is asked to answer (for slow machines)"
)


def tokens_text(tokens: int | None) -> str:
    """no limit, 1K tokens, 16K tokens, 1,500 tokens."""
    if tokens is None:
        return QCoreApplication.translate("BudgetPicker", "no limit")
    if tokens % 1024 == 0:
        return QCoreApplication.translate("BudgetPicker", "{k}K tokens").format(k=tokens // 1024)
    return QCoreApplication.translate("BudgetPicker", "{n:,} tokens").format(n=tokens)


def seconds_text(seconds: float | None) -> str:
    """no limit, 2 min, 1.5 min, 45 s."""
    if seconds is None:
        return QCoreApplication.translate("BudgetPicker", "no limit")
    if seconds < 60:
        return QCoreApplication.translate("BudgetPicker", "{s:g} s").format(s=seconds)
    return QCoreApplication.translate("BudgetPicker", "{m:g} min").format(m=seconds / 60)


class BudgetPicker(QWidget):
    """Two lists: thinking tokens and thinking time. ``changed`` when the user picks one."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, label: str = "") -> None:
        super().__init__(parent)
        self.tokens = QComboBox(self)
        self.tokens.setObjectName("thinkingBudget")
        self.tokens.setAccessibleName(self.tr("Thinking budget in tokens"))
        self.tokens.setToolTip(self.tr(TOKENS_TIP))
        self.seconds = QComboBox(self)
        self.seconds.setObjectName("thinkingTime")
        self.seconds.setAccessibleName(self.tr("Thinking time limit"))
        self.seconds.setToolTip(self.tr(SECONDS_TIP))
        for combo in (self.tokens, self.seconds):  # its popup list, read as the same choice
            combo.view().setAccessibleName(combo.accessibleName())
        self._value: tuple[int | None, float | None] = (None, None)
        self._quiet = False  # the lists are being filled, not chosen from
        self.custom_dialog: QInputDialog | None = None  # open while a number is asked for
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        if label:
            row.addWidget(QLabel(label, self))
        row.addWidget(self.tokens)
        row.addWidget(self.seconds)
        self._fill()
        self.tokens.currentIndexChanged.connect(lambda _: self._picked(self.tokens))
        self.seconds.currentIndexChanged.connect(lambda _: self._picked(self.seconds))

    # -- value -------------------------------------------------------------------------

    def value(self) -> tuple[int | None, float | None]:
        """(thinking tokens, seconds); None: no limit."""
        return self._value

    def set_value(self, tokens: int | None, seconds: float | None) -> None:
        """Show a value (without ``changed``: nobody picked it)."""
        self._value = (tokens, seconds)
        self._fill()

    def set_unavailable(self, why: str | None) -> None:
        """Disabled, saying why, where the model cannot be made to answer early (None:
        available). The choice is kept for when it can."""
        self.setEnabled(why is None)
        self.tokens.setToolTip(why or self.tr(TOKENS_TIP))
        self.seconds.setToolTip(why or self.tr(SECONDS_TIP))

    def _fill(self) -> None:
        tokens, seconds = self._value
        self._quiet = True
        try:
            _fill(self.tokens, TOKEN_CHOICES, tokens, tokens_text, self.tr("Thinking: {budget}"))
            _fill(self.seconds, TIME_CHOICES, seconds, seconds_text, self.tr("Time: {budget}"))
        finally:
            self._quiet = False

    # -- choosing ----------------------------------------------------------------------

    def _picked(self, combo: QComboBox) -> None:
        if self._quiet:
            return
        data = combo.currentData()
        if data == CUSTOM:
            self._ask_custom(combo)
            return
        tokens, seconds = self._value
        if combo is self.tokens:
            tokens = None if data is None else int(data)
        else:
            seconds = None if data is None else float(data)
        self._set_picked(tokens, seconds)

    def _set_picked(self, tokens: int | None, seconds: float | None) -> None:
        self.set_value(tokens, seconds)
        self.changed.emit()

    def _ask_custom(self, combo: QComboBox) -> None:
        """Ask for a number (without blocking: the reply on screen goes on streaming)."""
        dialog = QInputDialog(self)
        dialog.setObjectName("customBudget")
        tokens, seconds = self._value
        if combo is self.tokens:
            dialog.setWindowTitle(self.tr("Thinking budget"))
            dialog.setLabelText(self.tr("Thinking tokens at most (1K = 1,024):"))
            dialog.setInputMode(QInputDialog.InputMode.IntInput)
            dialog.setIntRange(1, MAX_BUDGET_TOKENS)
            dialog.setIntStep(256)
            dialog.setIntValue(tokens or 3000)
        else:
            dialog.setWindowTitle(self.tr("Thinking time"))
            dialog.setLabelText(self.tr("Minutes of thinking at most:"))
            dialog.setInputMode(QInputDialog.InputMode.DoubleInput)
            dialog.setDoubleDecimals(1)
            dialog.setDoubleRange(0.1, MAX_BUDGET_SECONDS / 60)
            dialog.setDoubleValue((seconds or 180.0) / 60)

        def accepted() -> None:
            if combo is self.tokens:
                self._set_picked(dialog.intValue(), seconds)
            else:
                self._set_picked(tokens, round(dialog.doubleValue() * 60, 1))

        dialog.accepted.connect(accepted)
        dialog.rejected.connect(self._fill)  # back to what it was
        dialog.finished.connect(lambda _: self._forget(dialog))
        self.custom_dialog = dialog
        dialog.open()

    def _forget(self, dialog: QInputDialog) -> None:
        if self.custom_dialog is dialog:
            self.custom_dialog = None
        dialog.deleteLater()


def _fill(
    combo: QComboBox,
    choices: tuple[int | None, ...] | tuple[float | None, ...],
    current: int | float | None,
    text: Callable[[Any], str],
    entry: str,
) -> None:
    """The list's entries, with ``current`` among them (an extra entry if it is custom)."""
    values: list[int | float | None] = list(choices)
    if current not in values:
        values.append(current)
        values.sort(key=lambda v: -1 if v is None else v)
    combo.clear()
    for v in values:
        combo.addItem(entry.format(budget=text(v)), v)
    combo.addItem(QCoreApplication.translate("BudgetPicker", "Custom…"), CUSTOM)
    combo.setCurrentIndex(values.index(current))
