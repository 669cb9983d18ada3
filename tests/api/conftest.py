"""The scripted QwQ model loaded once per test module, for the API tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.engine.local_engine import LoadSettings, LocalEngine
from tests.fixtures.scripted_model import ScriptedModel


@pytest.fixture(scope="module")
def engine(qwq_model: ScriptedModel) -> Iterator[LocalEngine]:
    e = LocalEngine(qwq_model.path, LoadSettings(context_length=4096))
    yield e
    e.close()
