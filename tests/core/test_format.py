"""How a reply ended, worded once for the window's footer and the CLI's summary line
(their own tests check each face: tests/ui/test_main_window.py, tests/cli/test_ask.py)."""

from __future__ import annotations

from typing import get_args

from app.core.events import FinishReason
from app.core.format import FINISH_WORDS, finish_words


def test_every_finish_reason_has_its_words() -> None:
    assert set(FINISH_WORDS) | {"error"} == set(get_args(FinishReason))
    assert finish_words("stop") == ""
    assert finish_words("length") == "stopped: out of tokens"
    assert finish_words("cancelled") == "stopped by you"
    assert finish_words("repetition") == "stopped: it repeated itself"
    assert finish_words("error", "the server went away") == "failed: the server went away"
