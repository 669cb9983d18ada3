"""The application's style sheet, built from the theme's tokens (see :mod:`app.ui.theme`).

One sheet for the whole application, set once by ``apply_theme``: the controls every
window shares first, then one section per part of the main window, each keyed by the
object names the part gives its widgets. Fonts are not set here (Qt style sheets would
override the system's size and the widgets' own fonts); :func:`app.ui.theme.font` does
that. Every focusable control keeps a visible focus ring in the accent color.
"""

from __future__ import annotations

from app.core.paths import AppPaths
from app.ui.icons import FOLDER as ICONS
from app.ui.theme import Colors, Radius, Space


def style_sheet(c: Colors) -> str:
    """The whole sheet for colors ``c``."""
    return "\n".join(
        part(c)
        for part in (
            _controls,
            _scroll_bars,
            _sidebar,
            _conversation,
            _reasoning,
            _tool_calls,
            _attachments,
            _composer,
            _chrome,
        )
    )


def _controls(c: Colors) -> str:
    """Buttons, fields, lists, menus and tooltips, everywhere (dialogs included).

    Spin boxes and combo boxes are left to Fusion, drawn with the theme's palette: a
    sheet that sets their frame must redraw their arrows too, and Qt then draws none."""
    return f"""
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QPushButton {{
    background: {c.surface};
    border: 1px solid {c.control_border}; border-radius: {Radius.SMALL}px;
    padding: 5px 14px; min-height: 20px;
}}
QPushButton:hover {{ background: {c.raised}; }}
QPushButton:pressed {{ background: {c.border}; }}
QPushButton:focus {{ border: 2px solid {c.accent}; padding: 4px 13px; }}
QPushButton:disabled {{ color: {c.disabled_text}; border-color: {c.border}; }}
QPushButton:default, QPushButton[primary="true"] {{
    background: {c.accent}; color: {c.on_accent}; border: 1px solid {c.accent};
}}
QPushButton:default:hover, QPushButton[primary="true"]:hover {{ background: {c.accent_text}; }}
QPushButton:default:focus, QPushButton[primary="true"]:focus {{
    border: 2px solid {c.text}; padding: 4px 13px;
}}
QPushButton:default:disabled, QPushButton[primary="true"]:disabled {{
    background: {c.raised}; color: {c.disabled_text}; border-color: {c.raised};
}}
QToolButton {{
    background: transparent;
    border: 1px solid transparent; border-radius: {Radius.SMALL}px; padding: 3px 6px;
}}
QToolButton:hover {{ background: {c.raised}; }}
QToolButton:pressed, QToolButton:checked {{ background: {c.raised}; }}
QToolButton:focus {{ border: 2px solid {c.accent}; padding: 2px 5px; }}
QToolButton:disabled {{ color: {c.disabled_text}; }}
QLineEdit, QPlainTextEdit, QTextEdit {{
    background: {c.surface};
    border: 1px solid {c.control_border}; border-radius: {Radius.SMALL}px;
    padding: 4px 8px; selection-background-color: {c.accent};
    selection-color: {c.on_accent};
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus {{
    border: 2px solid {c.accent}; padding: 3px 7px;
}}
QLineEdit:disabled {{ color: {c.disabled_text}; }}
QSpinBox, QDoubleSpinBox, QComboBox {{ min-height: 24px; }}
QComboBox QAbstractItemView {{
    background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    selection-background-color: {c.selected}; selection-color: {c.selected_text};
    outline: none;
}}
QGroupBox {{
    border: 1px solid {c.border}; border-radius: {Radius.CARD}px;
    margin-top: 14px; padding: {Space.M}px {Space.S}px {Space.S}px {Space.S}px;
}}
QGroupBox::title {{ subcontrol-origin: margin; left: {Space.M}px; padding: 0 4px; }}
QCheckBox:focus, QRadioButton:focus {{ color: {c.accent_text}; }}
QListView, QTreeView, QTableView, QListWidget {{
    background: {c.surface};
    border: 1px solid {c.border}; border-radius: {Radius.SMALL}px; outline: none;
}}
QListView:focus, QTreeView:focus, QTableView:focus, QListWidget:focus {{
    border: 2px solid {c.accent};
}}
QListView::item, QListWidget::item {{ padding: 4px 8px; border-radius: {Radius.SMALL}px; }}
QListView::item:hover, QListWidget::item:hover {{ background: {c.raised}; }}
QListView::item:selected, QListWidget::item:selected {{
    background: {c.selected}; color: {c.selected_text};
}}
QProgressBar {{
    background: {c.raised}; border: none; border-radius: 4px; height: 8px;
    color: {c.text}; text-align: center;
}}
QProgressBar::chunk {{ background: {c.accent}; border-radius: 4px; }}
QMenu {{
    background: {c.surface};
    border: 1px solid {c.border}; border-radius: {Radius.SMALL}px; padding: 4px;
}}
QMenu::item {{ padding: 5px 20px 5px 12px; border-radius: 4px; }}
QMenu::item:selected {{ background: {c.selected}; color: {c.selected_text}; }}
QMenu::separator {{ height: 1px; background: {c.border}; margin: 4px 8px; }}
QToolTip {{
    background: {c.surface};
    border: 1px solid {c.control_border}; border-radius: 4px; padding: 4px 6px;
}}
QTabWidget::pane {{ border: 1px solid {c.border}; border-radius: {Radius.SMALL}px; }}
QTabBar::tab {{
    background: transparent; color: {c.muted}; padding: 6px 14px;
    border-bottom: 2px solid transparent;
}}
QTabBar::tab:selected {{ color: {c.text}; border-bottom: 2px solid {c.accent}; }}
QTabBar::tab:focus {{ color: {c.accent_text}; }}
QSplitter::handle {{ background: {c.border}; }}
QSplitter::handle:horizontal {{ width: 1px; }}
QSplitter::handle:vertical {{ height: 1px; }}
"""


def _scroll_bars(c: Colors) -> str:
    """Slim bars with a rounded handle, the track drawn only as space."""
    return f"""
QScrollBar:vertical {{ background: transparent; width: 12px; margin: 0; }}
QScrollBar:horizontal {{ background: transparent; height: 12px; margin: 0; }}
QScrollBar::handle:vertical {{
    background: {c.control_border}; border-radius: 3px; min-height: 32px; margin: 2px 3px;
}}
QScrollBar::handle:horizontal {{
    background: {c.control_border}; border-radius: 3px; min-width: 32px; margin: 3px 2px;
}}
QScrollBar::handle:hover {{ background: {c.muted}; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
"""


def _sidebar(c: Colors) -> str:
    """The conversation list's column (conversation_list): New chat, the search field,
    then rounded rows with a hover and a selected state; headings are drawn by its
    delegate."""
    return f"""
#sidebar {{ background: {c.sidebar}; }}
#sidebar QListView {{
    background: transparent; border: 2px solid transparent;
    border-radius: {Radius.SMALL}px; padding: 0;
}}
#sidebar QListView:focus {{ border: 2px solid {c.accent}; }}
#sidebar QListView::item {{
    color: {c.text}; padding: 0 {Space.S}px; margin: 1px 0;
    border: none; border-radius: {Radius.SMALL}px;
}}
#sidebar QListView::item:hover {{ background: {c.raised}; }}
#sidebar QListView::item:selected {{ background: {c.selected}; color: {c.selected_text}; }}
#newChat {{
    text-align: left; padding: 7px {Space.M}px; background: {c.surface};
    border: 1px solid {c.control_border}; border-radius: {Radius.SMALL + 2}px;
}}
#newChat:hover {{ background: {c.raised}; }}
#newChat:focus {{ border: 2px solid {c.accent}; padding: 6px {Space.M - 1}px; }}
#sidebar #search {{ border-radius: {Radius.SMALL + 2}px; padding: 5px 6px; }}
#sidebar #search:focus {{ padding: 4px 5px; }}
"""


def _conversation(c: Colors) -> str:
    """The messages (chat_view, answer_view)."""
    return f"""
#emptyLine {{ color: {c.muted}; }}
#chatView, #chatInner, #chatColumn {{ background: {c.window}; }}
#userMessage, #assistantMessage, #answer, #messageActions {{ background: transparent; }}
#userBubble {{
    background: {c.user_bubble}; border: none; border-radius: {Radius.CARD}px;
}}
#userBubble QLabel, #userBubble QPlainTextEdit {{
    background: transparent; color: {c.text}; border: 2px solid transparent;
    border-radius: {Radius.SMALL}px;
}}
#userBubble QLabel:focus, #userBubble QPlainTextEdit:focus {{ border: 2px solid {c.accent}; }}
#messageModel, #messageFooter, #siblingPosition {{ color: {c.muted}; }}
#markdownBlock {{
    background: transparent; border: 2px solid transparent; border-radius: {Radius.SMALL}px;
    padding: 0;
}}
#markdownBlock:focus, #codeText:focus {{ border: 2px solid {c.accent}; }}
QToolButton#messageAction {{ color: {c.muted}; padding: 4px; }}
QToolButton#messageAction:focus {{ padding: 3px; }}
QToolButton#continueThinking, QToolButton#continueAnswer, QToolButton#steer,
QToolButton#loopRemedy {{
    color: {c.accent_text}; border: 1px solid {c.border}; padding: 3px 8px;
}}
QToolButton#continueThinking:focus, QToolButton#continueAnswer:focus, QToolButton#steer:focus,
QToolButton#loopRemedy:focus {{ border: 2px solid {c.accent}; padding: 2px 7px; }}
#damagedNote, #loopNote {{ color: {c.danger}; }}
#damagedBanner {{
    background: {c.warning_surface}; color: {c.warning_text};
    border-radius: {Radius.SMALL}px; padding: {Space.S}px {Space.M}px;
}}
#codeBlock, #longBlock {{
    background: {c.code}; border: 1px solid {c.border}; border-radius: {Radius.CARD}px;
}}
#codeHeader {{
    background: {c.sidebar}; border: none; border-bottom: 1px solid {c.border};
    border-top-left-radius: {Radius.CARD - 1}px; border-top-right-radius: {Radius.CARD - 1}px;
}}
#codeLanguage {{ color: {c.muted}; background: transparent; }}
#codeText {{
    background: {c.code}; border: 2px solid transparent; border-radius: {Radius.CARD}px;
    padding: 0;
}}
"""


def _attachments(c: Colors) -> str:
    """Files for the next message (attachments_bar) and those sent with one (chat_view)."""
    return f"""
#attachmentChip {{ background: {c.raised}; border-radius: {Radius.SMALL}px; }}
#attachmentChip QLabel {{ background: transparent; }}
#attachmentStatus, #attachmentsTotal {{ color: {c.muted}; }}
#attachmentStatus[error="true"], #attachmentsTotal[error="true"] {{ color: {c.danger}; }}
#userFile {{ color: {c.muted}; }}
QToolButton#citation {{ color: {c.accent_text}; padding: 1px 4px; }}
QToolButton#citation[unverified="true"] {{ color: {c.danger}; }}
"""


def _tool_calls(c: Colors) -> str:
    """A tool call's card in a reply (tool_card): a hairline card on the window, its
    status muted, its result on the code background."""
    return f"""
#toolCard {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: {Radius.CARD}px;
}}
#toolCard QLabel {{ background: transparent; border: none; }}
#toolStatus {{ color: {c.muted}; }}
#toolResult {{ background: {c.code}; border: none; border-radius: {Radius.SMALL}px; }}
#toolResult:focus {{ border: 2px solid {c.accent}; }}
"""


def _reasoning(c: Colors) -> str:
    """The reasoning block and the panel that shows a trace beside its answer."""
    return f"""
QToolButton#reasoningHeader {{ color: {c.thinking_text}; padding: 3px 6px; }}
QToolButton#reasoningHeader:focus {{ padding: 2px 5px; }}
QToolButton#reasoningHeader:checked {{ background: transparent; }}
QToolButton#reasoningHeader:checked:hover {{ background: {c.raised}; }}
#reasoningBody {{
    background: transparent; color: {c.thinking_text};
    border: 2px solid transparent; border-radius: {Radius.SMALL}px;
}}
#reasoningBody:focus {{ border: 2px solid {c.accent}; }}
#traceBeside {{
    background: {c.thinking_surface}; color: {c.thinking_text};
    border: none; border-left: 3px solid {c.thinking_rule};
    border-radius: 0; padding: {Space.S}px {Space.M}px;
}}
#traceBeside:focus {{ border-left: 3px solid {c.accent}; }}
"""


def _icon_file(name: str, color: str) -> str:
    """A Lucide icon as an SVG file in ``color``, for a sheet's ``image: url(...)`` (a
    sheet takes files only; the composer's choice lists draw their arrow with it). In
    the user's own cache folder: a fixed name in a shared temp folder could be made
    first by another user, with a picture of theirs in it."""
    folder = AppPaths.current().cache / "icons"
    path = folder / f"{name}-{color.lstrip('#')}.svg"
    if not path.is_file():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            svg = (ICONS / f"{name}.svg").read_text(encoding="utf-8")
            path.write_text(svg.replace("currentColor", color), encoding="utf-8")
        except OSError:  # (no writable temp folder: the list shows no arrow, nothing fails)
            return ""
    return path.as_posix()


def _composer(c: Colors) -> str:
    """The composer: one rounded field (the message box has no frame of its own) with the
    accent ring while the box has focus; the round accent Send and Stop inside it."""
    chevron = _icon_file("chevron-down", c.muted)
    arrow = (
        f"#composerField QComboBox::down-arrow {{ image: url({chevron}); width: 14px; height: 14px; }}\n"
        if chevron
        else ""
    )
    return f"""
#composerField {{
    background: {c.surface}; border: 1px solid {c.control_border};
    border-radius: {Radius.FIELD}px; padding: 1px;
}}
#composerField[focused="true"] {{ border: 2px solid {c.accent}; padding: 0; }}
#composerField #composer, #composerField #composer:focus {{
    background: transparent; border: none; padding: 0;
}}
#composerField QComboBox {{
    background: transparent; color: {c.muted}; border: 1px solid transparent;
    border-radius: {Radius.SMALL + 6}px; padding: 3px 24px 3px 10px;
}}
#composerField QComboBox:hover {{ background: {c.raised}; color: {c.text}; }}
#composerField QComboBox:focus {{ border: 2px solid {c.accent}; padding: 2px 23px 2px 9px; }}
#composerField QComboBox::drop-down {{
    border: none; width: 22px; subcontrol-origin: padding; subcontrol-position: center right;
}}
{arrow}#composerField #send, #composerField #stop {{
    background: {c.accent}; color: {c.on_accent}; border: none;
    border-radius: 16px; padding: 0;
}}
#composerField #send[resend="true"] {{ padding: 0 12px; }}
#composerField #send:hover, #composerField #stop:hover {{ background: {c.accent_text}; }}
#composerField #send:focus, #composerField #stop:focus {{ border: 2px solid {c.text}; }}
#composerField #answerNow {{
    border: 1px solid {c.control_border}; border-radius: 16px; padding: 4px 12px;
    min-height: 22px;
}}
#composerField #answerNow:focus {{ border: 2px solid {c.accent}; padding: 3px 11px; }}
"""


def _chrome(c: Colors) -> str:
    """The status bar (calm: muted text, a flat API toggle), the dock, and the row above
    the chat (the conversation's title, muted; icon buttons)."""
    return f"""
QMainWindow {{ background: {c.window}; }}
QStatusBar {{ background: {c.window}; color: {c.muted}; border-top: 1px solid {c.border}; }}
QStatusBar QLabel {{ color: {c.muted}; padding: 0 2px; }}
QStatusBar QLabel[kind="error"] {{ color: {c.danger}; }}
QStatusBar::item {{ border: none; }}
QStatusBar QPushButton {{
    background: transparent; color: {c.muted}; border: 1px solid transparent;
    border-radius: {Radius.SMALL}px; padding: 1px 8px; min-height: 18px; margin: 2px 0;
}}
QStatusBar QPushButton:hover {{ background: {c.raised}; color: {c.text}; }}
QStatusBar QPushButton:focus {{ border: 2px solid {c.accent}; padding: 0 7px; }}
QStatusBar QPushButton:checked {{ background: {c.selected}; color: {c.selected_text}; }}
QDockWidget::title {{
    background: {c.sidebar}; padding: 6px 8px; border-bottom: 1px solid {c.border};
}}
#toolRow {{ background: {c.window}; }}
#conversationTitle {{ color: {c.muted}; }}
#toolRow QToolButton {{ padding: 5px; border-radius: {Radius.SMALL}px; }}
#toolRow QToolButton:focus {{ padding: 4px; }}
#toolRow #systemPrompt[active="true"] {{ background: {c.selected}; }}
#welcome, #welcomeScroll {{ background: {c.window}; }}
#welcomeIntro, #reason, #dropHint, #factName, #otherHeading {{ color: {c.muted}; }}
#welcomeCard {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: {Radius.CARD}px;
}}
#cardRule {{ background: {c.border}; border: none; }}
#welcomeCard QPushButton#download {{ padding: 8px 18px; }}
#welcomeCard QPushButton#download:focus {{ padding: 7px 17px; }}
#openGguf {{ background: transparent; border: 1px solid transparent; }}
#openGguf:hover {{ background: {c.raised}; }}
#openGguf:focus {{ border: 2px solid {c.accent}; }}
"""
