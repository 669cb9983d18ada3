"""Collections in the real window: added and indexed from Settings (on a worker, with
progress), chosen for a conversation from the button above the chat (before its first
message too), and searched by its replies (real llama.cpp, a scripted model that cites)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage
from app.ui.collections_box import CollectionsBox
from tests.fixtures.models import ScriptFactory
from tests.ui.test_main_window import open_window

CITING = ["Found it.", "</think>", "\n\n", "On 14 March ", "[launch.md l. 3]", "."]


def test_a_collection_is_added_chosen_and_searched(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "launch.md").write_text("# Launch\n\nThe launch is on 14 March.\n", "utf-8")
    window = open_window(qtbot, store, scripted(CITING).path)
    window.settings.tools = []  # tools off: the passages come with the question
    window.models.settings_changed(window.settings)
    assert window.collections is not None
    box = CollectionsBox(window.collections)
    qtbot.addWidget(box)
    box.add("notes", folder)
    qtbot.waitUntil(lambda: box.job is None, timeout=30_000)
    assert "1 files" in box.list.item(0).text() or "1 file" in box.list.item(0).text()
    assert box.status.text().startswith("Indexed: 1 new")

    button = window.collections_button
    window._update_collections()
    menu = button.menu()
    assert menu is not None
    (action,) = menu.actions()
    assert action.text() == "notes" and not action.isChecked()
    action.setChecked(True)  # chosen in a new chat, before it exists
    window.replies.send("When is the launch?")
    qtbot.waitUntil(lambda: not window.replies.live, timeout=30_000)
    (c,) = store.conversations()
    assert store.get(c.id).collections == ("notes",)
    user = store.branch(c.id)[0]
    assert user.attachments[0].kind == "passages" and "14 March" in user.attachments[0].text
    reply = [w for w in window.chat.messages() if isinstance(w, AssistantMessage)][-1]
    qtbot.waitUntil(lambda: reply.sources_row.isVisible(), timeout=5_000)
    assert [(c.label, c.verified) for c in reply.citations] == [("launch.md l. 3", True)]

    # The cited passage opens beside the answer, with its file.
    (button,) = [b for b in reply.sources_row.findChildren(type(reply.copy_button)) if b.text()]
    button.click()
    dock = window.source_dock
    assert dock.isVisible() and "The launch is on 14 March." in dock.view.toPlainText()
    assert dock.path == folder.resolve() / "launch.md" and dock.open_button.isVisible()
