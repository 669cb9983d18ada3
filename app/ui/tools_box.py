"""Settings → Tools: which built-in tools QwQ may call, and how many rounds of calls a
reply may take. (MCP servers have their own part.)"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QWidget

from app.core.settings import BUILTIN_TOOLS, MAX_TOOL_ROUNDS, AppSettings


class ToolsBox(QGroupBox):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Tools (with a local model)"), parent)
        self.setObjectName("toolsBox")
        words = {
            "calculator": self.tr("Calculator: exact arithmetic"),
            "python": self.tr("Python: runs a short check, offline (asks you first)"),
            "datetime": self.tr("Date and time"),
            "search_conversations": self.tr("Search your conversations"),
        }
        form = QFormLayout(self)
        note = QLabel(
            self.tr(
                "QwQ may call these while it answers; each call shows in the reply. "
                "Turn all off to answer without tools."
            )
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.boxes: dict[str, QCheckBox] = {}
        for name in BUILTIN_TOOLS:
            box = QCheckBox(words[name])
            box.setObjectName(f"tool_{name}")
            box.setChecked(name in settings.tools)
            self.boxes[name] = box
            form.addRow(box)
        self.rounds = QSpinBox()
        self.rounds.setObjectName("toolRounds")
        self.rounds.setRange(0, MAX_TOOL_ROUNDS)
        self.rounds.setValue(settings.tool_rounds)
        self.rounds.setToolTip(self.tr("Rounds of tool calls in one reply, before it must answer"))
        form.addRow(self.tr("Rounds of calls per reply"), self.rounds)

    def names(self) -> list[str]:
        return [name for name, box in self.boxes.items() if box.isChecked()]
