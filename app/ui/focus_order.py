"""Tab follows the layout, also through widgets added after the window was built.

Qt's tab order is the order in which widgets were made: a widget made later (a message,
an answer's code block, a reply's buttons) goes to the end of the window's focus chain,
after the status bar, so Tab jumped from the composer to the API button and only then
into the conversation. :func:`follow_layout` puts the chain back in reading order: a
widget's children in the order of its layout (a splitter's, a main window's central
part, docks and status bar), parents before their children. It is cheap when nothing
changed (one walk of the chain) and runs before each Tab (``MainWindow``).
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLayout, QMainWindow, QSplitter, QWidget


def _layout_widgets(layout: QLayout) -> Iterator[QWidget]:
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item is None:
            continue
        widget = item.widget()
        if widget is not None:
            yield widget
        elif (inner := item.layout()) is not None:
            yield from _layout_widgets(inner)


def _children_in_order(widget: QWidget) -> list[QWidget]:
    """Child widgets as they are laid out; any not in a layout after them, as made."""
    children = [c for c in widget.children() if isinstance(c, QWidget) and not c.isWindow()]
    laid: list[QWidget] = []
    if isinstance(widget, QMainWindow):
        docks = [c for c in children if isinstance(c, QDockWidget)]
        central = widget.centralWidget()
        laid = [*([central] if central is not None else []), *docks, widget.statusBar()]
    elif isinstance(widget, QSplitter):
        laid = [w for i in range(widget.count()) if (w := widget.widget(i)) is not None]
    elif (layout := widget.layout()) is not None:
        laid = list(_layout_widgets(layout))
    mine = {id(c) for c in children}
    ordered = [w for w in laid if id(w) in mine]
    placed = {id(w) for w in ordered}
    return ordered + [c for c in children if id(c) not in placed]


def _takes_tab(widget: QWidget) -> bool:
    return bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus) and widget.focusProxy() is None


def reading_order(root: QWidget) -> list[QWidget]:
    """The widgets under ``root`` that Tab can reach, in reading order (hidden ones
    too: Tab skips them, and they keep their place for when they show)."""
    out: list[QWidget] = []
    stack = list(reversed(_children_in_order(root)))
    while stack:
        widget = stack.pop()
        try:
            if _takes_tab(widget):
                out.append(widget)
            stack.extend(reversed(_children_in_order(widget)))
        except RuntimeError:
            # A wrapper whose C++ object is gone (Qt deleted a scroll bar of its own
            # while Python still knew its address): nothing to put in order there.
            continue
    return out


def focus_chain(window: QWidget) -> list[QWidget]:
    """The window's focus chain as it is now, only the widgets Tab can reach."""
    out: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not None and widget is not window:
        try:
            if _takes_tab(widget):
                out.append(widget)
        except RuntimeError:
            pass  # (as in reading_order)
        widget = widget.nextInFocusChain()
    return out


def follow_layout(window: QWidget) -> None:
    """Put ``window``'s tab order in reading order (nothing to do: one walk)."""
    wanted = reading_order(window)
    chain = focus_chain(window)
    if wanted and any(w is wanted[0] for w in chain):  # the chain is a ring: from the same start
        at = next(i for i, w in enumerate(chain) if w is wanted[0])
        chain = chain[at:] + chain[:at]
    if len(chain) == len(wanted) and all(a is b for a, b in zip(chain, wanted, strict=True)):
        return
    first = next(
        (i for i, (a, b) in enumerate(zip(wanted, chain, strict=False)) if a is not b),
        min(len(wanted), len(chain)),
    )
    for before, after in zip(wanted[max(first - 1, 0) :], wanted[max(first, 1) :], strict=False):
        QWidget.setTabOrder(before, after)
