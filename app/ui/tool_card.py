"""A tool call in a reply, where it happened: a compact card, and a round of them.

:class:`ToolCallCard` shows one call: the tool's name, its arguments, its status
(waiting for you, running, done or failed with the time taken, denied, not run,
malformed) and its result, folded until asked for. While the call waits for the user it
holds the approval itself: "Allow once", "Allow in this conversation" and "Deny", in the
tab order, said to a screen reader. The model's text (arguments, results) is shown as
plain text, never as markup.

:class:`ToolRoundView` is a round that ended in calls, as the reply keeps it: its trace
(a folded reasoning block), its answer text and its cards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.events import Approval, ToolCallResult
from app.core.format import duration
from app.core.tool_calls import MalformedToolCall, ToolCall
from app.core.tool_rounds import ToolRound, ToolUse
from app.tool_turn import Decision
from app.ui.announcer import announcer
from app.ui.answer_view import AnswerView
from app.ui.icons import Icon, icon
from app.ui.reasoning_block import ReasoningBlock
from app.ui.theme import Space, Type, font

ARGUMENT_LINES = 12  # lines of arguments shown before "…"
RESULT_HEIGHT_LINES = 12  # the result's box grows to this many lines, then scrolls


def _arguments_text(name: str, arguments: Mapping[str, Any]) -> str:
    """Arguments as people read them: a lone string (code, an expression) as it is;
    anything else as indented JSON."""
    if len(arguments) == 1:
        (value,) = arguments.values()
        if isinstance(value, str):
            text = value
        else:
            text = json.dumps(dict(arguments), ensure_ascii=False, indent=2)
    else:
        text = json.dumps(dict(arguments), ensure_ascii=False, indent=2) if arguments else ""
    lines = text.splitlines()
    if len(lines) > ARGUMENT_LINES:
        lines = [*lines[:ARGUMENT_LINES], "…"]
    return "\n".join(lines)


class ToolCallCard(QFrame):
    """One call and what became of it (see the module's docstring)."""

    decided = Signal(str, str)  # call id, Decision: the user answered the approval

    def __init__(self, use: ToolUse, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolCard")
        self.call_id = use.id
        self.tool_name = use.name
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.title = QLabel(self)
        self.title.setObjectName("toolName")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        title_font = font(Type.SMALL)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setText(use.name or self.tr("Malformed tool call"))
        self.status = QLabel(self)
        self.status.setObjectName("toolStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setFont(font(Type.SMALL))
        self.result_button = QToolButton(self)
        self.result_button.setObjectName("toolResultToggle")
        self.result_button.setCheckable(True)
        self.result_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.result_button.setIcon(icon(Icon.FOLDED))
        self.result_button.setText(self.tr("Result"))
        self.result_button.setAccessibleName(self.tr("Show the result"))
        self.result_button.toggled.connect(self._show_result)
        self.result_button.hide()
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(Space.S)
        mark = QLabel(self)
        mark.setPixmap(icon(Icon.TOOL).pixmap(16, 16))
        head.addWidget(mark)
        head.addWidget(self.title)
        head.addWidget(self.status, 1)
        head.addWidget(self.result_button)
        self.arguments = QLabel(self)
        self.arguments.setObjectName("toolArguments")
        self.arguments.setTextFormat(Qt.TextFormat.PlainText)
        self.arguments.setFont(mono)
        self.arguments.setWordWrap(True)
        self.arguments.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        shown = use.raw if use.error else _arguments_text(use.name, use.arguments)
        self.arguments.setText(shown)
        self.arguments.setVisible(bool(shown))
        self.result = QPlainTextEdit(self)
        self.result.setObjectName("toolResult")
        self.result.setReadOnly(True)
        self.result.setFont(mono)
        self.result.setAccessibleName(self.tr("Result of {name}").format(name=use.name))
        self.result.hide()
        # The approval, while the call waits for the user.
        self.ask = QWidget(self)
        self.ask.setObjectName("toolApproval")
        ask_row = QHBoxLayout(self.ask)
        ask_row.setContentsMargins(0, 0, 0, 0)
        ask_row.setSpacing(Space.S)
        self.allow_once = QPushButton(self.tr("Allow once"), self.ask)
        self.allow_once.setProperty("primary", True)
        self.allow_always = QPushButton(self.tr("Allow in this conversation"), self.ask)
        self.deny = QPushButton(self.tr("Deny"), self.ask)
        # (Methods, not lambdas: a lambda holding the card would keep it alive in a cycle.)
        self.allow_once.clicked.connect(self._allow_once)
        self.allow_always.clicked.connect(self._allow_always)
        self.deny.clicked.connect(self._deny)
        for button in (self.allow_once, self.allow_always, self.deny):
            button.setAccessibleName(f"{button.text()}: {use.name}")
            ask_row.addWidget(button)
        ask_row.addStretch(1)
        self.ask.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Space.M, Space.S, Space.M, Space.S)
        layout.setSpacing(Space.XS)
        layout.addLayout(head)
        layout.addWidget(self.arguments)
        layout.addWidget(self.ask)
        layout.addWidget(self.result)
        self.setAccessibleName(self.tr("Tool call: {name}").format(name=use.name or "?"))
        if use.error:
            self._set_status(self.tr("Malformed: {why}").format(why=use.error))
        elif use.result is not None:
            self.finish(use.result, use.ok, use.seconds, use.approval)
        else:
            self._set_status(self.tr("Running…"))

    @staticmethod
    def of_call(call: ToolCall | MalformedToolCall, parent: QWidget | None = None) -> ToolCallCard:
        return ToolCallCard(ToolUse.of(call), parent)

    @staticmethod
    def stored(use: ToolUse, parent: QWidget | None = None) -> ToolCallCard:
        card = ToolCallCard(use, parent)
        if use.result is None and not use.error:
            card.not_run()
        return card

    @property
    def waiting(self) -> bool:
        """The call waits for the user's answer."""
        return not self.ask.isHidden()

    def ask_approval(self) -> None:
        """The call waits for the user: the three answers show, and a screen reader hears
        what is asked."""
        self._set_status(self.tr("Waiting for you"))
        self.ask.show()
        if self.isVisible():
            announcer().say(
                self, self.tr("QwQ asks to run {name}: allow or deny").format(name=self.tool_name)
            )

    def take_result(self, result: ToolCallResult) -> None:
        self.finish(result.text, result.ok, result.seconds, result.approval)

    def finish(self, text: str, ok: bool, seconds: float, approval: Approval) -> None:
        self.ask.hide()
        if approval == "denied":
            self._set_status(self.tr("Denied"))
        else:
            took = duration(seconds)
            status = self.tr("Done · {time}") if ok else self.tr("Failed · {time}")
            note = {
                "once": self.tr("allowed once"),
                "conversation": self.tr("allowed in this conversation"),
                "auto": self.tr("allowed in advance"),
            }.get(approval)
            self._set_status(status.format(time=took) + (f" · {note}" if note else ""))
        self.result.setPlainText(text)
        # As tall as the text, up to RESULT_HEIGHT_LINES lines (then it scrolls).
        lines = min(max(1, text.count("\n") + 1), RESULT_HEIGHT_LINES)
        frame = 2 * self.result.frameWidth() + int(2 * self.result.document().documentMargin())
        self.result.setFixedHeight(self.result.fontMetrics().lineSpacing() * lines + frame + 8)
        self.result_button.show()

    def not_run(self) -> None:
        """The reply ended before this call ran (stopped, or the round limit)."""
        if self.result_button.isHidden():
            self.ask.hide()
            self._set_status(self.tr("Not run"))

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.setAccessibleDescription(text)

    def _show_result(self, on: bool) -> None:
        self.result_button.setIcon(icon(Icon.UNFOLDED if on else Icon.FOLDED))
        self.result_button.setAccessibleName(
            self.tr("Hide the result") if on else self.tr("Show the result")
        )
        self.result.setVisible(on)

    def _allow_once(self) -> None:
        self._decide("once")

    def _allow_always(self) -> None:
        self._decide("conversation")

    def _deny(self) -> None:
        self._decide("deny")

    def _decide(self, decision: Decision) -> None:
        self.ask.hide()
        self._set_status(self.tr("Running…") if decision != "deny" else self.tr("Denied"))
        self.decided.emit(self.call_id, decision)


class ToolRoundView(QWidget):
    """A round that ended in calls: its folded trace, its answer text, its cards."""

    def __init__(
        self,
        reasoning: ReasoningBlock | None,
        answer: AnswerView | None,
        cards: list[ToolCallCard],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("toolRound")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Space.S)
        self.reasoning = reasoning
        self.answer = answer
        self.cards = cards
        for w in (reasoning, answer, *cards):
            if w is not None:
                layout.addWidget(w)

    @staticmethod
    def stored(r: ToolRound, parent: QWidget | None = None) -> ToolRoundView:
        block = None
        if r.reasoning:
            block = ReasoningBlock()
            block.show()
            block.set_stored(
                r.reasoning, tokens=r.reasoning_tokens, seconds=r.thinking_seconds, finished=True
            )
        answer = None
        if r.answer.strip():
            answer = AnswerView()
            answer.setFont(font(Type.READING))
            answer.set_markdown(r.answer)
        cards = [ToolCallCard.stored(use) for use in r.calls]
        return ToolRoundView(block, answer, cards, parent)
