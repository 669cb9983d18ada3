"""Messages the Qt-free core writes for people, made translatable without importing Qt.

The core calls ``translate("Context", "Whole sentence with {fields}")`` and formats the
result; by default that is the English text itself (the CLI and the API stay English). The
window installs Qt's translator (``QCoreApplication.translate``) at start, so the same
calls come out in the window's language. ``pyside6-lupdate`` finds these calls because the
function is named ``translate`` (and ``QT_TRANSLATE_NOOP`` for texts kept in tables and
translated where they are shown): one catalog for the window and the core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Translator = Callable[[str, str], str]
# Set where the text goes to a program, not a person of the window: the local API's
# clients read English whatever language the window is in (the server's threads set it).
_in_english: ContextVar[bool] = ContextVar("qwq_in_english", default=False)


def _english(context: str, text: str) -> str:
    return text


_translator: Translator = _english


def translate(context: str, text: str) -> str:
    """``text`` in the installed language (English until a face installs a translator,
    and always inside :func:`english`)."""
    return text if _in_english.get() else _translator(context, text)


@contextmanager
def english() -> Iterator[None]:
    """Within this block (and the tasks and copied contexts started in it), English."""
    token = _in_english.set(True)
    try:
        yield
    finally:
        _in_english.reset(token)


def in_english(work: Callable[[], None]) -> Callable[[], None]:
    """``work`` wrapped to run in English (a thread's target)."""

    def run() -> None:
        with english():
            work()

    return run


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks a text in a table for the catalog; ``translate`` it where it is shown."""
    return text


def install(translator: Translator | None) -> None:
    """Route ``translate`` through ``translator`` (None: back to English)."""
    global _translator
    _translator = translator or _english
