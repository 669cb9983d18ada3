"""Stored conversations from the command line, and a reply that survives kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from app.store.conversations import ConversationStore
from app.store.database import DB_NAME
from tests.fixtures.cli import ROOT, cli, one_clear_line
from tests.fixtures.damaged_rows import DAMAGED_TITLE, write_damaged
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel


def ask(model: ScriptedModel, *args: str) -> subprocess.CompletedProcess[str]:
    return cli("ask", "-m", str(model.path), "--context", "4096", *args)


def test_ask_starts_and_continues_a_stored_conversation(
    qwq_model: ScriptedModel, app_home: Path
) -> None:
    first = ask(qwq_model, "--conversation", "new", "--json", "What is 2+2?")
    assert first.returncode == 0, first.stderr
    cid = json.loads(first.stdout)["conversation_id"]
    second = ask(qwq_model, "-c", str(cid), "And 3+3?")
    assert second.returncode == 0, second.stderr
    assert f"[conversation {cid}]" in second.stderr
    with ConversationStore(app_home / "data") as store:
        branch = store.branch(cid)
        assert [m.role for m in branch] == ["user", "assistant", "user", "assistant"]
        assert [m.reasoning for m in branch if m.role == "assistant"] == [QWQ_REASONING] * 2
        assert [m.content for m in branch if m.role == "assistant"] == [QWQ_ANSWER] * 2


def test_conversations_list_json(qwq_model: ScriptedModel) -> None:
    assert cli("conversations").returncode == 0
    ask(qwq_model, "-c", "new", "First question here")
    ask(qwq_model, "-c", "new", "Second question here")
    result = cli("conversations", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["title"] for r in rows] == ["Second question here", "First question here"]
    assert all(isinstance(r["id"], int) and r["messages"] == 2 for r in rows)
    plain = cli("conversations")
    assert "First question here" in plain.stdout


def test_export_and_import_round_trip(qwq_model: ScriptedModel, tmp_path: Path) -> None:
    ask(qwq_model, "-c", "new", "Exported question")
    md = cli("export", "1", "--format", "md")
    assert md.returncode == 0, md.stderr
    assert (
        "# Exported question" in md.stdout and "<details>" in md.stdout and QWQ_ANSWER in md.stdout
    )
    out = tmp_path / "all.json"
    assert cli("export", "--all", "--format", "json", "-o", str(out)).returncode == 0
    imported = cli("import", str(out))
    assert imported.returncode == 0, imported.stderr
    assert "Imported 1 conversation(s)" in imported.stderr
    rows = json.loads(cli("conversations", "--json").stdout)
    assert [r["title"] for r in rows].count("Exported question") == 2


def test_store_errors_are_one_clear_line(qwq_model: ScriptedModel, tmp_path: Path) -> None:
    for args, text in [
        (("export", "99"), "no conversation 99"),
        (("import", str(tmp_path / "missing.json")), "Cannot read"),
        (("ask", "-m", str(qwq_model.path), "-c", "abc", "hi"), "conversation id or 'new'"),
        (("ask", "-m", str(qwq_model.path), "-c", "42", "hi"), "no conversation 42"),
    ]:
        result = cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and text in lines[0], result.stderr


def test_a_second_instance_on_the_same_data_folder_is_refused(app_home: Path) -> None:
    with ConversationStore(app_home / "data"):
        result = cli("conversations")
    assert result.returncode == 2
    assert "already running on this data folder" in result.stderr


def test_a_damaged_database_is_kept_and_reported(app_home: Path) -> None:
    data = app_home / "data"
    data.mkdir(parents=True)
    (data / DB_NAME).write_bytes(b"SQLite format 3\x00" + b"\x00garbage" * 500)
    result = cli("conversations")
    assert result.returncode == 0
    assert "was damaged; it was kept as" in result.stderr
    assert len(list(data.glob("conversations.damaged-*.sqlite3"))) == 1


def test_kill_9_while_generating_loses_at_most_the_last_second(
    scripted: ScriptFactory, app_home: Path
) -> None:
    model = scripted([f" thought {i}." for i in range(60)], loop=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "ask",
            "-m",
            str(model.path),
            "--context",
            "32768",
            "-c",
            "new",
            "--loop-guard",
            "off",  # the looping script stands for a model that never stops
            "go",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=os.environ.copy(),
    )
    db = app_home / "data" / DB_NAME
    deadline = time.monotonic() + 60
    saved = ""
    while time.monotonic() < deadline and len(saved) < 2000:
        time.sleep(0.2)
        if db.exists():
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
                row = conn.execute(
                    "SELECT reasoning FROM messages WHERE role = 'assistant'"
                ).fetchone()
                conn.close()
                saved = row[0] if row else ""
            except sqlite3.OperationalError:
                pass
    assert proc.poll() is None, "the reply ended before the kill"
    time.sleep(1.5)  # a little more streams after the last read
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL

    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    with ConversationStore(app_home / "data") as store:
        assert store.interrupted_on_open == 1
        (c,) = store.conversations()
        user, answer = store.branch(c.id)
        assert user.content == "go"
        assert answer.status == "interrupted"
        assert answer.reasoning.startswith("thought 0. thought 1.")
        assert len(answer.reasoning) >= len(saved)  # saved more while it went on
        assert answer.content == ""
    listing = cli("export", str(c.id), "--format", "md")
    assert "interrupted" in listing.stdout


def test_a_damaged_row_is_listed_exported_continued_and_deleted(
    qwq_model: ScriptedModel, app_home: Path
) -> None:
    good_id, bad_id = write_damaged(app_home / "data")
    plain = cli("conversations")
    assert plain.returncode == 0, plain.stderr
    line = next(ln for ln in plain.stdout.splitlines() if DAMAGED_TITLE in ln)
    assert "[damaged: title_is_custom, created_at, updated_at, sampling]" in line
    rows = {r["id"]: r for r in json.loads(cli("conversations", "--json").stdout)}
    assert rows[good_id]["damaged"] is None and "updated_at" in rows[bad_id]["damaged"]
    for fmt in ("md", "json"):
        exported = cli("export", str(bad_id), "--format", fmt)
        assert exported.returncode == 0, exported.stderr
        assert "The answer survives." in exported.stdout and "damaged" in exported.stdout
    assert cli("export", "--all", "--format", "md").returncode == 0
    continued = ask(qwq_model, "-c", str(bad_id), "Carry on")  # default sampling, no crash
    assert continued.returncode == 0, continued.stderr
    assert QWQ_ANSWER in continued.stdout
    deleted = cli("delete", str(bad_id))
    assert deleted.returncode == 0, deleted.stderr
    assert f"Deleted conversation {bad_id}" in deleted.stderr
    rows = json.loads(cli("conversations", "--json").stdout)
    assert [r["id"] for r in rows] == [good_id]


def test_delete_refuses_an_unknown_id_and_deletes_nothing(app_home: Path) -> None:
    good_id, _ = write_damaged(app_home / "data")
    one_clear_line(cli("delete", str(good_id), "999"), "no conversation 999")
    assert len(json.loads(cli("conversations", "--json").stdout)) == 2


def _export_with(**changes: object) -> str:
    message = {
        "parent": None,
        "role": "user",
        "content": "hi",
        "reasoning": "",
        "created_at": 1.7e9,
        "status": "done",
        "finish_reason": None,
        "reasoning_finished": False,
        "thinking_seconds": 0.0,
        "stats": {},
        "error": None,
        "model": "",
    }
    conversation: dict[str, object] = {
        "title": "t",
        "title_is_custom": False,
        "created_at": 1.7e9,
        "updated_at": 1.7e9,
        "pinned": False,
        "model": "",
        "system_prompt": "",
        "sampling": {},
        "current_leaf": 0,
        "messages": [message],
    }
    for key, value in changes.items():
        target: dict[str, object] = message if key.startswith("m_") else conversation
        target[key.removeprefix("m_")] = value
    return json.dumps(
        {"format": "qwq-desktop-conversations", "version": 1, "conversations": [conversation]}
    )


def test_rejected_imports_are_one_clear_line_and_change_nothing(tmp_path: Path) -> None:
    cases = [
        (_export_with(updated_at=1e20), "'updated_at' must be a time"),
        (_export_with(m_role="robot"), "'role' must be one of"),  # was IntegrityError
        (_export_with(m_finish_reason=["x"]), "'finish_reason' must be one of"),  # Programming-
        (_export_with(m_content=["a list"]), "'content' must be text"),  # Error; accepted
        (_export_with(m_stats={"reasoning_tokens": "many"}), "'reasoning_tokens'"),
        (_export_with(sampling={"temperature": "hot"}), "'temperature' must be a number"),
        (_export_with(m_content="\ud800"), "surrogate"),  # was UnicodeEncodeError
        (
            '{"format": "qwq-desktop-conversations", "version": 1, "conversations": '
            + "[" * 100_000
            + "]" * 100_000
            + "}",
            "nested too deeply",
        ),  # was RecursionError
    ]
    for n, (text, expected) in enumerate(cases):
        path = tmp_path / f"bad{n}.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        one_clear_line(cli("import", str(path)), expected)
    assert json.loads(cli("conversations", "--json").stdout) == []
