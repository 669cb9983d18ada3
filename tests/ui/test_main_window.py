"""The real window, driven with pytest-qt, on real llama.cpp with scripted models."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage, UserMessage
from app.ui.main_window import MainWindow
from tests.fixtures.models import ScriptFactory

ANSWER_SCRIPT = [
    "Let me add the odd numbers.",
    " 1+3+5+7+9+11+13+15+17+19.",
    " That is 10 squared.\n",
    "</think>",
    "\n\n",
    "The sum is **100**.\n\n",
    "| n | sum |\n|---|---|\n| 10 | 100 |\n",
]


def open_window(qtbot: QtBot, store: ConversationStore, model: Path | None) -> MainWindow:
    window = MainWindow(store, str(model) if model else None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()  # shortcuts (Esc, Ctrl+K...) need the active window
    qtbot.waitActive(window)
    if model is not None:
        qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    return window


def ask(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.composer.setFocus()
    qtbot.keyClicks(window.composer.editor, text)
    qtbot.keyClick(window.composer.editor, Qt.Key.Key_Return)


def press_shortcut(window: MainWindow, keys: str) -> None:
    """Trigger the window's shortcut for ``keys`` (key events to an offscreen window are
    not reliably matched to shortcuts: the binding and its action are what is tested)."""
    from PySide6.QtGui import QKeySequence, QShortcut

    (shortcut,) = [s for s in window.findChildren(QShortcut) if s.key() == QKeySequence(keys)]
    shortcut.activated.emit()


def assistant_widgets(window: MainWindow) -> list[AssistantMessage]:
    return [w for w in window.chat.messages() if isinstance(w, AssistantMessage)]


def test_first_run_without_a_model(qtbot: QtBot, store: ConversationStore) -> None:
    window = open_window(qtbot, store, None)
    assert window.windowTitle() == "QwQ Desktop — New chat"
    assert window.pages.currentWidget() is window.first_run
    ask(qtbot, window, "hello")
    assert "Load a model first" in window.notices.text()
    assert window.composer.editor.toPlainText() == "hello"  # nothing typed is lost


def test_loading_shows_llama_cpps_progress(
    qtbot: QtBot, store: ConversationStore, gemma_path: Path
) -> None:
    window = MainWindow(store, str(gemma_path))
    qtbot.addWidget(window)
    assert window.context_meter.format() == "loading %p%"
    seen: set[int] = set()
    window.context_meter.valueChanged.connect(seen.add)
    qtbot.waitUntil(lambda: window.session is not None, timeout=60_000)
    assert window.context_meter.format() == "context %v / %m tokens"
    assert (
        "gemma" in window.notices.model_label.text().lower()
        and "Q4_K_M" in window.notices.model_label.text()
    )
    assert any(0 < v <= 100 for v in seen)  # it moved while loading


def test_a_bad_model_file_gets_the_engines_clear_error(
    qtbot: QtBot, store: ConversationStore, tmp_path: Path
) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("not a model\n" * 20)
    window = MainWindow(store, str(bogus))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "Could not load" in window.notices.text(), timeout=10_000)
    assert "Not a GGUF model file" in window.notices.text()


def test_send_then_reasoning_folds_and_the_answer_renders(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted(ANSWER_SCRIPT)
    window = open_window(qtbot, store, model.path)
    assert (
        "Scripted QwQ" in window.notices.model_label.text()
        and "CPU" in window.notices.model_label.text()
    )
    ask(qtbot, window, "What is the sum of the first 10 odd numbers?")
    assert window.composer.editor.toPlainText() == ""
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    (reply,) = assistant_widgets(window)
    block = reply.reasoning
    assert not block.is_open
    assert block.header.text().startswith("Thought for ") and "4 tokens" in block.header.text()
    assert block.text == "Let me add the odd numbers. 1+3+5+7+9+11+13+15+17+19. That is 10 squared."
    assert reply.answer.markdown == "The sum is **100**.\n\n| n | sum |\n|---|---|\n| 10 | 100 |\n"
    (prose,) = reply.answer.views()  # the finished answer: prose merged into one view
    assert prose.document().toPlainText().startswith("The sum is 100.")
    block.header.click()  # one click opens it again
    assert block.is_open and "10 squared" in block.body.toPlainText()
    block.beside_button.click()  # or read it side by side with the answer
    assert window.trace_dock.isVisible()
    assert window.trace_view.toPlainText() == block.text
    assert window.windowTitle() == "QwQ Desktop — What is the sum of the first 10 odd numbers?"
    (c,) = store.conversations()
    assert [m.role for m in store.branch(c.id)] == ["user", "assistant"]
    assert store.branch(c.id)[1].reasoning == block.text


def test_thinking_streams_live_and_stop_keeps_it(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted([f" step {i}." for i in range(40)], loop=True)
    AppSettings(loop_guard="off").save()  # the script repeats itself: let it run until Stop
    window = open_window(qtbot, store, model.path)
    ask(qtbot, window, "think forever")
    qtbot.waitUntil(
        lambda: (
            bool(assistant_widgets(window)) and assistant_widgets(window)[0].reasoning.tokens > 50
        )
    )
    block = assistant_widgets(window)[0].reasoning
    assert block.is_open and block.header.text().startswith("Thinking… ")
    block.beside_button.click()  # the side panel follows the live trace
    shown = len(window.trace_view.toPlainText())
    qtbot.waitUntil(lambda: len(window.trace_view.toPlainText()) > shown + 200)
    assert window.composer.stop_button.isVisible() and not window.composer.send_button.isVisible()
    press_shortcut(window, "Esc")  # Esc stops
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    reply = assistant_widgets(window)[0]
    assert reply.reasoning.header.text().startswith("Thinking stopped after ")
    assert "unfinished" in reply.reasoning.header.text()
    assert "Stopped by you." in reply.footer.text()
    (c,) = store.conversations()
    saved = store.branch(c.id)[1]
    assert saved.finish_reason == "cancelled" and saved.reasoning.startswith("step 0. step 1.")


def test_switching_conversations_while_generating(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted([f" idea {i}." for i in range(40)], loop=True)
    AppSettings(loop_guard="off").save()  # the script repeats itself: it thinks until stopped
    window = open_window(qtbot, store, model.path)
    ask(qtbot, window, "first conversation")
    qtbot.waitUntil(lambda: bool(window.live))
    (busy_id,) = window.live
    live_widget = window.live[busy_id].widget
    window.new_chat()  # leave it while it generates
    assert window.chat.messages() == []
    tokens_when_left = live_widget.reasoning.tokens
    qtbot.waitUntil(lambda: live_widget.reasoning.tokens > tokens_when_left + 100)  # it goes on
    window.open_conversation(busy_id)  # and is shown again, live
    assert live_widget in window.chat.messages()
    assert isinstance(window.chat.messages()[0], UserMessage)
    window.replies.stop()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)


def test_restart_finds_everything(qtbot: QtBot, tmp_path: Path, scripted: ScriptFactory) -> None:
    model = scripted(ANSWER_SCRIPT)
    with ConversationStore(tmp_path / "data") as store:
        window = open_window(qtbot, store, model.path)
        ask(qtbot, window, "Sum of odd numbers?")
        qtbot.waitUntil(lambda: not window.live, timeout=30_000)
        window.close()
    with ConversationStore(tmp_path / "data") as store:
        window = open_window(qtbot, store, None)
        assert window.conversation_list.titles() == ["Today", "Sum of odd numbers?"]
        view = window.conversation_list.view
        view.itemClicked.emit(view.item(1))
        (reply,) = assistant_widgets(window)
        assert reply.answer.markdown.startswith("The sum is **100**.")
        assert not reply.reasoning.is_open
        assert reply.reasoning.body.toPlainText() == ""  # rendered only when opened
        reply.reasoning.header.click()
        assert "10 squared" in reply.reasoning.body.toPlainText()
        window.close()


def test_regenerate_flip_edit_and_copy(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    from PySide6.QtGui import QGuiApplication

    window = open_window(qtbot, store, scripted(ANSWER_SCRIPT).path)
    ask(qtbot, window, "Sum of odd numbers?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    (first,) = assistant_widgets(window)
    assert first.regenerate_button.isVisible() and not first.siblings.isVisible()

    first.regenerate_button.click()  # a new answer; the old one is kept
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    (second,) = assistant_widgets(window)
    assert second.siblings.position.text() == "2/2" and second.siblings.previous_button.isEnabled()
    second.siblings.previous_button.click()  # flip back (the branch is switched on a worker)
    qtbot.waitUntil(lambda: assistant_widgets(window)[0].siblings.position.text() == "1/2")
    (shown,) = assistant_widgets(window)
    (c,) = store.conversations()
    assert len(store.messages(c.id)) == 3

    shown.copy_all_button.click()
    copied = QGuiApplication.clipboard().text()
    assert (
        "<details>" in copied and "10 squared" in copied and copied.endswith(shown.answer.markdown)
    )
    press_shortcut(window, "Ctrl+Shift+C")
    assert QGuiApplication.clipboard().text() == shown.answer.markdown

    user = next(w for w in window.chat.messages() if isinstance(w, UserMessage))
    user.edit_button.click()
    assert window.composer.editor.toPlainText() == "Sum of odd numbers?"
    window.composer.editor.setPlainText("Sum of the first ten odd numbers?")
    qtbot.keyClick(window.composer.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    users = [w for w in window.chat.messages() if isinstance(w, UserMessage)]
    assert [u.text() for u in users] == ["Sum of the first ten odd numbers?"]
    assert len(assistant_widgets(window)) == 1
    assert len(store.messages(c.id)) == 5  # both branches are kept
    assert users[0].siblings.position.text() == "2/2"
    users[0].siblings.previous_button.click()  # back to the branch before the edit
    qtbot.waitUntil(lambda: users[0] not in window.chat.messages())
    users = [w for w in window.chat.messages() if isinstance(w, UserMessage)]
    assert [u.text() for u in users] == ["Sum of odd numbers?"]
    assert assistant_widgets(window)[0].siblings.position.text() == "2/2"  # its newest answer


def sidebar_titles(window: MainWindow) -> list[str]:
    return window.conversation_list.titles()


def test_the_list_renames_and_deletes_the_conversation_on_screen_with_undo(
    qtbot: QtBot, store: ConversationStore
) -> None:
    """The list's own behaviour is tested in test_conversation_list.py; here, the window's
    side: its title follows a rename, and a delete of what is on screen opens a new chat."""
    store.create(title="Alpha")
    b = store.create(title="Beta")
    window = open_window(qtbot, store, None)
    assert sidebar_titles(window) == ["Today", "Beta", "Alpha"]
    window.open_conversation(b.id)
    assert [i.text() for i in window.conversation_list.view.selectedItems()] == ["Beta"]
    window.conversation_list.view.item(1).setText("Beta, renamed")  # inline editing
    qtbot.waitUntil(lambda: window.windowTitle() == "QwQ Desktop — Beta, renamed")

    window.delete_conversation(b.id)
    qtbot.waitUntil(lambda: window.windowTitle() == "QwQ Desktop — New chat")
    qtbot.waitUntil(lambda: sidebar_titles(window) == ["Today", "Alpha"])
    undo = window.conversation_list.undo_button
    assert undo.isVisible() and undo in window.statusBar().findChildren(type(undo))
    undo.click()
    qtbot.waitUntil(lambda: window.windowTitle() == "QwQ Desktop — Beta, renamed")
    assert "Beta, renamed" in sidebar_titles(window)
    (back,) = [c.id for c in store.conversations() if c.title == "Beta, renamed"]
    assert window.conversation_id == back  # opened again, whole


def test_a_failed_write_is_said_in_the_status_bar(qtbot: QtBot, store: ConversationStore) -> None:
    window = open_window(qtbot, store, None)
    window.delete_conversation(999)  # gone already (say, deleted by the command line)
    qtbot.waitUntil(lambda: "Could not delete the conversation" in window.notices.text())


def test_search_opens_the_message_it_found(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    other = store.create(title="Cooking")
    store.add_message(other.id, "user", "How long to boil pasta?", parent_id=None)
    window = open_window(qtbot, store, scripted(ANSWER_SCRIPT).path)
    ask(qtbot, window, "Sum of odd numbers?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    window.new_chat()
    press_shortcut(window, "Ctrl+K")
    search_box = window.conversation_list.search_box
    qtbot.waitUntil(search_box.hasFocus)
    qtbot.keyClicks(search_box, "squar")  # a word of the reasoning, as a prefix
    qtbot.waitUntil(lambda: any("reasoning:" in t for t in sidebar_titles(window)), timeout=10_000)
    (hit,) = [t for t in sidebar_titles(window) if "reasoning:" in t]
    assert hit.startswith("Sum of odd numbers?") and "«squared»" in hit
    row = sidebar_titles(window).index(hit)
    view = window.conversation_list.view
    view.itemClicked.emit(view.item(row))
    qtbot.waitUntil(lambda: window.windowTitle() == "QwQ Desktop — Sum of odd numbers?")
    assert len(assistant_widgets(window)) == 1
    search_box.clear()
    qtbot.waitUntil(lambda: "Cooking" in sidebar_titles(window), timeout=10_000)


def test_the_system_prompt_and_the_budget_are_saved_as_operations(
    qtbot: QtBot, store: ConversationStore
) -> None:
    c = store.create(title="Prompted")
    window = open_window(qtbot, store, None)
    window.open_conversation(c.id)
    window.system_button.set_prompt("Be brief.")
    assert window.system_button.accessibleName() == "System prompt (set)"  # shown at once
    qtbot.waitUntil(lambda: store.get(c.id).system_prompt == "Be brief.")  # saved on a worker
    tokens = window.composer.budget.tokens
    tokens.setCurrentIndex(tokens.findData(1024))  # what a click on the entry does
    qtbot.waitUntil(lambda: store.get(c.id).thinking.get("budget_tokens") == 1024)
    assert window.notices.text() == ""  # nothing failed


def test_settings_reach_replies_and_persist(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    from PySide6.QtWidgets import QApplication

    from app.core.settings import AppSettings
    from app.ui.settings_dialog import MATH_PROMPT, SettingsDialog
    from app.ui.theme import apply_theme, is_dark

    window = open_window(qtbot, store, scripted(ANSWER_SCRIPT).path)
    dialog = SettingsDialog(window.settings, window)
    qtbot.addWidget(dialog)
    assert dialog.temperature.value() == 0.6 and dialog.top_k.value() == 40
    build = dialog.findChild(QLabel, "engineBuild")
    assert build is not None and "CPU build (no GPU offload)" in build.text()  # CI's build
    dialog.temperature.setValue(0.3)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    window.settings_control.apply(dialog.result_settings())
    assert AppSettings.load().theme == "dark"
    assert AppSettings.load().sampling_settings().temperature == 0.3
    app = QApplication.instance()
    assert isinstance(app, QApplication) and is_dark()  # the window shows the choice at once
    apply_theme(app, "light")  # (as the other tests run)

    window.system_button.set_prompt(MATH_PROMPT)  # on a new chat: the conversation starts here
    assert window.system_button.accessibleName() == "System prompt (set)"
    ask(qtbot, window, "What is 2+3?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    (c,) = store.conversations()
    assert store.get(c.id).system_prompt == MATH_PROMPT
    assert store.get(c.id).sampling["temperature"] == 0.3

    dialog.temperature.setValue(1.5)
    dialog._show_sampling(
        __import__("app.core.sampling", fromlist=["SamplingSettings"]).SamplingSettings()
    )
    assert dialog.temperature.value() == 0.6  # reset to the model card


def test_an_answer_with_code_and_math_end_to_end(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    from PySide6.QtGui import QGuiApplication

    from app.ui.answer_view import CodeBlockView, MarkdownBlockView

    script = [
        "Gauss pairs the terms.\n",
        "</think>",
        "\n\n",
        "Each pair sums to $n+1$:\n\n",
        "$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2} = \\boxed{5050}$$\n\n",
        "```python\nprint(sum(range(101)))\n```\n",
    ]
    window = open_window(qtbot, store, scripted(script).path)
    ask(qtbot, window, "1 + 2 + ... + 100?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    (reply,) = assistant_widgets(window)
    prose, code = reply.answer.views()
    assert isinstance(prose, MarkdownBlockView) and isinstance(code, CodeBlockView)
    qtbot.waitUntil(lambda: prose.math_pending == 0)  # typeset at once, or soon after
    assert prose.toHtml().count('src="qwq-math:') == 2  # inline and display math, typeset
    assert code.language.text() == "python"
    code.copy_button.click()
    assert QGuiApplication.clipboard().text() == "print(sum(range(101)))"


def test_the_api_toggle_serves_the_loaded_model(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    import socket

    import openai

    from app.core.settings import AppSettings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    AppSettings(api_port=port).save()
    model = scripted(ANSWER_SCRIPT)
    window = open_window(qtbot, store, model.path)
    window.api.button.click()
    qtbot.waitUntil(lambda: window.api.server is not None, timeout=10_000)
    assert window.api.button.text() == f"API: http://127.0.0.1:{port}/v1"
    with openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0) as c:
        reply = c.chat.completions.create(
            model="qwq-32b", messages=[{"role": "user", "content": "Sum the odd numbers."}]
        )
        assert (
            reply.choices[0].message.content
            == "The sum is **100**.\n\n| n | sum |\n|---|---|\n| 10 | 100 |\n"
        )
    window.api.button.click()
    assert window.api.button.text() == "API: off" and window.api.server is None
    qtbot.waitUntil(lambda: _refused(port), timeout=10_000)


def _refused(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return True
    return False


def test_a_file_open_event_opens_the_gguf(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    """What macOS Finder sends for "Open With QwQ Desktop"."""
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from app.ui.app import FileOpener

    window = open_window(qtbot, store, None)
    opener = FileOpener(window)
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(opener)
    try:
        model = scripted(ANSWER_SCRIPT)
        QApplication.sendEvent(app, QFileOpenEvent(str(model.path)))
        qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
        assert window.engine is not None and window.engine.info.path == model.path
    finally:
        app.removeEventFilter(opener)


def test_the_api_key_set_in_settings_is_required_and_kept_in_the_keyring(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory, memory_keyring: object
) -> None:
    import socket

    import openai

    from app.ui.settings_dialog import SettingsDialog

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    window = open_window(qtbot, store, scripted(ANSWER_SCRIPT).path)
    dialog = SettingsDialog(window.settings, window)
    qtbot.addWidget(dialog)
    dialog.api_port.setValue(port)
    dialog.api_key.setText("l0cal")
    assert dialog.save_api_key() == ""
    window.settings_control.apply(dialog.result_settings())
    window.api.button.click()
    qtbot.waitUntil(lambda: window.api.server is not None, timeout=10_000)
    base = f"http://127.0.0.1:{port}/v1"
    wrong = openai.OpenAI(base_url=base, api_key="wrong", max_retries=0)
    with wrong, pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    with openai.OpenAI(base_url=base, api_key="l0cal", max_retries=0) as c:
        assert len(c.models.list().data) == 2
    assert "l0cal" not in (AppPaths.current().config / "settings.json").read_text()
    window.api.button.click()


def test_settings_choose_the_loop_guard(qtbot: QtBot) -> None:
    from app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(AppSettings(loop_guard="stop"))
    qtbot.addWidget(dialog)
    assert dialog.loop_guard.currentData() == "stop"
    dialog.loop_guard.setCurrentIndex(dialog.loop_guard.findData("off"))
    assert dialog.result_settings().loop_guard == "off"


def test_a_refused_file_keeps_the_model_and_a_failed_load_leaves_none_in_use(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory, tmp_path: Path
) -> None:
    """A file refused before loading changes nothing; one that fails after the model in
    use was let go leaves no model: the label says so and a message asks for one, instead
    of the closed engine being used."""
    window = open_window(qtbot, store, scripted(ANSWER_SCRIPT).path)
    described = window.notices.model_label.text()
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF but not really")
    window.models.open_gguf(str(bad))  # checked first: refused, nothing let go
    qtbot.waitUntil(lambda: "Could not load the model" in window.notices.text())
    assert window.engine is not None and window.notices.model_label.text() == described
    assert window.context_meter.isVisible()

    window.models.load_model(str(bad))  # straight to a load: the model in use goes first
    assert window.engine is None and window.notices.model_label.text() == "No model loaded"
    qtbot.waitUntil(lambda: "Could not load the model" in window.notices.text())
    qtbot.waitUntil(lambda: not window.context_meter.isVisible())
    ask(qtbot, window, "Still there?")
    assert window.notices.text() == "Load a model first: Ctrl+O opens a GGUF file."
    assert window.composer.editor.toPlainText() == "Still there?"  # nothing typed is lost
