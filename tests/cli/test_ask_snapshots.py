"""``qwq-desktop ask -c ID`` in a new process starts warm from the conversation's
snapshot (issue 13): a script that continues a conversation turn by turn never has the
model re-read it. Real processes, real llama.cpp on a scripted model (QwQ's template).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.core.messages import ChatMessage
from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.engine.local_engine import LoadSettings, LocalEngine
from app.session import history_of
from app.store.conversations import ConversationStore
from tests.fixtures.cli import cli
from tests.fixtures.models import QWQ_ANSWER
from tests.fixtures.scripted_model import ScriptedModel

TAIL = "<|im_end|>\n<|im_start|>assistant\n<think>\n"  # QwQ's template after a user message


def ask(model: ScriptedModel, conversation: str, text: str) -> dict[str, Any]:
    result = cli(
        "ask", "-m", str(model.path), "--context", "2048", "--json", "--seed", "3",
        "-c", conversation, text,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower()
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["answer"] == QWQ_ANSWER
    return data


def kv_folder() -> Path:
    return AppPaths.current().cache / "kv"


def expected_processed(model: ScriptedModel, cid: int, text: str) -> int:
    """The new message and the template's tokens after it, on QwQ's template."""
    engine = LocalEngine(model.path, LoadSettings(context_length=2048))
    try:
        with ConversationStore(AppPaths.current().data) as store:
            c = store.get(cid)
            history = history_of(store.branch(c.id), c.system_prompt)
        prompt = engine.render([*history, ChatMessage.user(text)])
        head = prompt[: prompt.rindex(text)]
        count = len(engine.tokenize(prompt)) - len(engine.tokenize(head))
        assert count == len(engine.tokenize(text)) + len(engine.tokenize(TAIL))
        return count
    finally:
        engine.close()


def test_each_ask_in_a_new_process_processes_only_the_new_message(
    qwq_model: ScriptedModel,
) -> None:
    first = ask(qwq_model, "new", "Tell me about the number four, in detail please.")
    cid = first["conversation_id"]
    assert first["snapshot"]["saved"] is True
    assert (kv_folder() / f"{cid}.kvstate").exists()
    prompt_tokens = first["stats"]["prompt_tokens"]
    for turn in range(3):
        text = f"Follow-up number {turn}: and then what?"
        expected = expected_processed(qwq_model, cid, text)
        data = ask(qwq_model, str(cid), text)
        assert data["snapshot"]["restored_tokens"] > prompt_tokens
        stats = data["stats"]
        assert stats["prompt_tokens_processed"] == expected
        assert stats["prompt_tokens_cached"] == stats["prompt_tokens"] - expected
        assert data["snapshot"]["saved"] is True
        prompt_tokens = stats["prompt_tokens"]

    # Without the snapshot (cleared), the same follow-up re-reads the whole conversation.
    cleared = cli("snapshots", "--clear")
    assert cleared.returncode == 0, cleared.stderr
    assert not list(kv_folder().glob("*.kvstate"))
    cold = ask(qwq_model, str(cid), "One last one?")
    assert cold["snapshot"]["restored_tokens"] == 0
    assert cold["stats"]["prompt_tokens_processed"] == cold["stats"]["prompt_tokens"]


def test_a_damaged_snapshot_never_fails_the_reply(qwq_model: ScriptedModel) -> None:
    cid = ask(qwq_model, "new", "Hello there.")["conversation_id"]
    state = kv_folder() / f"{cid}.kvstate"
    state.write_bytes(state.read_bytes()[: state.stat().st_size // 3])  # truncated
    data = ask(qwq_model, str(cid), "Still there?")  # no error line, the right answer
    assert data["snapshot"]["restored_tokens"] == 0
    assert data["stats"]["prompt_tokens_processed"] == data["stats"]["prompt_tokens"]
    assert data["snapshot"]["saved"] is True  # and a good one replaces it
    warm = ask(qwq_model, str(cid), "And now?")
    assert warm["snapshot"]["restored_tokens"] > 0


def test_deleting_a_conversation_deletes_its_snapshot(qwq_model: ScriptedModel) -> None:
    a = ask(qwq_model, "new", "First conversation.")["conversation_id"]
    b = ask(qwq_model, "new", "Second conversation.")["conversation_id"]
    assert (kv_folder() / f"{a}.kvstate").exists()
    result = cli("delete", str(a))
    assert result.returncode == 0, result.stderr
    assert not (kv_folder() / f"{a}.kvstate").exists()
    assert not (kv_folder() / f"{a}.json").exists()
    assert (kv_folder() / f"{b}.kvstate").exists()
    shown = cli("snapshots", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["bytes"] > 0


def test_a_budget_of_zero_turns_snapshots_off(qwq_model: ScriptedModel) -> None:
    settings = AppSettings()
    settings.snapshot_budget_gb = 0
    settings.save()
    data = ask(qwq_model, "new", "No snapshots, please.")
    assert "snapshot" not in data or data["snapshot"].get("saved") is not True
    assert not kv_folder().exists() or not list(kv_folder().glob("*.kvstate"))
