"""The core's texts go through one translate() that a face may replace (no Qt here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core import format as fmt
from app.core import i18n


@pytest.fixture
def marked() -> Iterator[None]:
    i18n.install(lambda context, text: f"{context}«{text}»")
    yield
    i18n.install(None)


def test_english_until_a_translator_is_installed() -> None:
    assert i18n.translate("Format", "{s} s") == "{s} s"
    assert fmt.duration(72) == "1 min 12 s"
    assert fmt.finish_words("cancelled") == "stopped by you"
    assert i18n.QT_TRANSLATE_NOOP("Format", "stopped by you") == "stopped by you"


def test_the_core_asks_the_installed_translator_with_its_context(marked: None) -> None:
    assert fmt.finish_words("cancelled") == "Format«stopped by you»"
    assert fmt.finish_words("error", "boom") == "Format«failed: boom»"
    assert fmt.finish_words("stop") == ""  # a reply that ended by itself says nothing
