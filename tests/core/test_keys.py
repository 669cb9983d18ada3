"""Which key a remote endpoint gets: one order, for the window and the CLI alike."""

from __future__ import annotations

import pytest

from app.core import keys
from tests.fixtures.memory_keyring import MemoryKeyring

URL = "https://dashscope.aliyuncs.com/compatible-mode/v1"


def test_the_presets_variable_then_the_general_one_then_the_keyring(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv(keys.REMOTE_KEY_ENV, raising=False)
    assert keys.remote_key(URL, "DASHSCOPE_API_KEY") is None

    keys.save_key(URL, "sk-kept")
    assert keys.remote_key(URL, "DASHSCOPE_API_KEY") == "sk-kept"
    monkeypatch.setenv(keys.REMOTE_KEY_ENV, "sk-general")
    assert keys.remote_key(URL, "DASHSCOPE_API_KEY") == "sk-general"
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-dashscope")
    assert keys.remote_key(URL, "DASHSCOPE_API_KEY") == "sk-dashscope"
    assert keys.remote_key(URL, None) == "sk-general"  # a preset with no variable of its own


def test_an_empty_variable_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "")
    monkeypatch.setenv(keys.REMOTE_KEY_ENV, "")
    keys.save_key(URL, "sk-kept")
    assert keys.remote_key(URL, "DASHSCOPE_API_KEY") == "sk-kept"
    assert keys.remote_key("", "DASHSCOPE_API_KEY") is None  # no URL yet: nothing kept for it
