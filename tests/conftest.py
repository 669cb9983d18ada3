from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store.conversations import ConversationStore
from tests.fixtures.fake_hub import fake_hub, hf_online  # noqa: F401  (fixtures)
from tests.fixtures.fake_upstream import fake_upstream  # noqa: F401  (fixture)
from tests.fixtures.memory_keyring import memory_keyring  # noqa: F401  (fixture)
from tests.fixtures.models import gemma_path, qwq_model, scripted  # noqa: F401  (fixtures)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own QWQ_DESKTOP_HOME: nothing touches the real user folders."""
    home = tmp_path / "qwq-home"
    monkeypatch.setenv("QWQ_DESKTOP_HOME", str(home))
    yield home


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    """A real conversation store in the test's own folder."""
    with ConversationStore(tmp_path / "data") as s:
        yield s


@pytest.fixture(autouse=True)
def no_session_keys() -> Iterator[None]:
    """API keys kept in memory by one test must not reach the next."""
    yield
    from app.core.keys import forget_session_keys

    forget_session_keys()
