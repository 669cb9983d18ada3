"""Which key a remote endpoint gets: one order, for the window and the CLI alike."""

from __future__ import annotations

import pytest

from app.core import keys
from app.core.errors import QwQError
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


def test_our_own_servers_key_is_one_for_the_window_and_serve(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    """--api-key, then QWQ_DESKTOP_API_KEY, then the key saved in the window's Settings."""
    monkeypatch.delenv(keys.LOCAL_KEY_ENV, raising=False)
    assert keys.local_api_key() is None
    keys.save_key(keys.LOCAL_API_KEY, "from-settings")
    assert keys.local_api_key() == "from-settings"
    monkeypatch.setenv(keys.LOCAL_KEY_ENV, "from-env")
    assert keys.local_api_key() == "from-env"
    assert keys.local_api_key("from-flag") == "from-flag"


@pytest.mark.parametrize("bad", ["a b", " lead", "tab\there", "bell\x07"])
def test_a_key_no_client_could_send_is_refused_with_a_reason(
    bad: str, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.delenv(keys.LOCAL_KEY_ENV, raising=False)
    with pytest.raises(QwQError, match="API key"):
        keys.local_api_key(bad)
    assert keys.local_api_key("   ") is None  # blank: no key
