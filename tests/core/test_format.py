"""How a reply ended, worded once for the window's footer and the CLI's summary line
(their own tests check each face: tests/ui/test_main_window.py, tests/cli/test_ask.py)."""

from __future__ import annotations

from typing import get_args

from app.core.events import FinishReason
from app.core.format import FINISH_WORDS, finish_words, sentence, wait


def test_every_finish_reason_has_its_words() -> None:
    assert set(FINISH_WORDS) | {"error"} == set(get_args(FinishReason))
    assert finish_words("stop") == ""
    assert finish_words("length") == "stopped: out of tokens"
    assert finish_words("cancelled") == "stopped by you"
    assert finish_words("repetition") == "stopped: it repeated itself"
    assert finish_words("error", "the server went away") == "failed: the server went away"


def test_a_wait_is_said_as_a_person_would() -> None:
    assert [wait(s) for s in (0.4, 7, 89, 120, 5400)] == [
        "a second",
        "7 seconds",
        "89 seconds",
        "2 minutes",
        "2 hours",
    ]


def test_upstream_text_becomes_one_sentence() -> None:
    assert sentence("no  such\nmodel") == "no such model."
    assert sentence("Done!") == "Done!"
    assert sentence("x" * 400, limit=10) == "x" * 9 + "…"
