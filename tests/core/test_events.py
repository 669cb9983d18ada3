"""ChatEvent is a closed union: a face that forgets a kind fails the type check (the faces
use ``match`` with ``assert_never``, see app/core/events.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FACE = """
from typing import assert_never

from app.core.events import AnswerDelta, ChatEvent, ReasoningDelta


def show(event: ChatEvent) -> str:
    match event:
        case ReasoningDelta():
            return "thinking"
        case AnswerDelta():
            return event.text
        case _:
            assert_never(event)
"""


def _mypy(source: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    face = tmp_path / "face.py"
    face.write_text(textwrap.dedent(source), encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(face),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_a_face_that_forgets_an_event_kind_is_a_type_error(tmp_path: Path) -> None:
    result = _mypy(FACE, tmp_path)
    assert result.returncode == 1, result.stdout
    assert '"assert_never" has incompatible type' in result.stdout
    assert "GenerationDone" in result.stdout and "ToolCallRequested" in result.stdout


def test_a_face_that_handles_every_kind_type_checks(tmp_path: Path) -> None:
    whole = FACE.replace(
        "        case _:",
        "        case GenerationDone():\n            return event.answer\n"
        "        case ToolCallRequested() | ToolApprovalNeeded() | ToolCallResult():\n"
        "            return 'tool'\n"
        "        case _:",
    ).replace(
        "AnswerDelta, ChatEvent,",
        "AnswerDelta, ChatEvent, GenerationDone, ToolApprovalNeeded, ToolCallRequested, "
        "ToolCallResult,",
    )
    result = _mypy(whole, tmp_path)
    assert result.returncode == 0, result.stdout
