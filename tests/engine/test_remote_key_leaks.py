"""An upstream that echoes the ``Authorization`` header back must not get the key into the
message shown, the conversation database, either export, or the log file.

The fake upstream repeats the header in the three places a real one has been seen to: an
error body (400, 422), an error sent mid-stream (as ``data: {"error"}`` and as llama-server's
older ``error:`` line), and a garbled chunk. Each path runs through the real RemoteEngine,
the real ChatSession and ConversationStore (SQLite on disk) and the real exporters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.core.events import AnswerDelta, GenerationDone, ReasoningDelta
from app.core.logging_setup import LOG_NAME, setup_logging
from app.core.messages import ChatMessage
from app.core.paths import AppPaths
from app.core.redact import StreamRedactor, redact
from app.engine.remote_engine import RemoteEngine
from app.session import ChatSession
from app.store.conversations import ConversationStore
from app.store.export import export_json, export_markdown
from tests.fixtures.fake_upstream import FakeUpstream

KEYS = {
    "dashscope-shaped": "sk-4f3a9c0e1b2d4e5f8a7b6c5d4e3f2a1b",
    "any-shape": "local/Key+with=odd~chars 42",  # no known shape, a space, URL-unsafe
}
WAYS: dict[str, dict[str, Any]] = {
    "error body 400": {"status": 400},
    "error body 422": {"status": 422},
    "mid-stream error chunk": {"error_after": 2},
    "mid-stream error line": {"error_after": 2, "error_field": True},
    "garbled chunk": {"garbage_after": 2},
}


@pytest.fixture(params=list(KEYS))
def key(request: pytest.FixtureRequest) -> str:
    return KEYS[request.param]


@pytest.fixture(params=list(WAYS))
def echoing(request: pytest.FixtureRequest, key: str) -> Iterator[FakeUpstream]:
    """An upstream that takes ``key`` and echoes it back in one of the WAYS."""
    with FakeUpstream(api_key=key, echo_authorization=True, **WAYS[request.param]) as up:
        yield up


def leaks(text: str, key: str) -> list[str]:
    """The pieces of ``key`` (12 characters or more) found in ``text``."""
    pieces = {key[i : i + 12] for i in range(len(key) - 11)}
    return sorted(p for p in pieces if p in text)


def chat(engine: RemoteEngine) -> tuple[str, GenerationDone]:
    events = list(engine.chat([ChatMessage.user("What is 2+2?")]))
    done = events[-1]
    assert isinstance(done, GenerationDone)
    streamed = "".join(e.text for e in events if isinstance(e, AnswerDelta | ReasoningDelta))
    return streamed, done


def test_the_echoed_key_is_not_in_the_message_shown(echoing: FakeUpstream, key: str) -> None:
    engine = RemoteEngine(echoing.url, "qwq-32b", key)
    try:
        streamed, done = chat(engine)
    finally:
        engine.close()
    assert echoing.errors == []
    assert key in echoing.requests[-1].headers["authorization"]  # it was sent, and echoed
    assert done.finish_reason == "error" and done.error
    assert leaks(done.error, key) == [], done.error
    assert "[redacted]" in done.error  # the message still says what happened
    assert leaks(streamed, key) == []


def test_the_echoed_key_is_not_in_the_database_or_either_export(
    echoing: FakeUpstream, key: str, tmp_path: Path
) -> None:
    store = ConversationStore(tmp_path / "data")
    engine = RemoteEngine(echoing.url, "qwq-32b", key)
    try:
        conversation = store.create(title="keys")
        reply = ChatSession(store, engine).reply(conversation.id, "What is 2+2?")
        events = list(reply)
        done = events[-1]
        assert isinstance(done, GenerationDone) and done.finish_reason == "error"
        saved = store.branch(conversation.id)[-1]
        on_disk = b"".join(
            p.read_bytes() for p in sorted((tmp_path / "data").iterdir()) if p.is_file()
        )  # the database and its -wal, as they are while the app runs
        exports = [
            export_markdown(store, store.get(conversation.id)),
            export_json(store, [store.get(conversation.id)]),
        ]
    finally:
        engine.close()
        store.close()
    on_disk += b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir() if p.is_file())
    for form in {key, key.replace("/", "\\/"), key.replace(" ", "%20")}:
        assert form[:12].encode() not in on_disk, f"{form[:12]!r}... is in the database files"
    for text in exports:
        assert leaks(text, key) == [], text
    assert saved.error and "[redacted]" in saved.error  # what happened is still said
    assert "[redacted]" in exports[0]


def test_the_key_is_never_written_to_the_log_file(echoing: FakeUpstream, key: str) -> None:
    paths = AppPaths.current()
    app_log = logging.getLogger("app")
    before = (list(app_log.handlers), app_log.level)
    setup_logging(paths, level=logging.DEBUG)
    engine = RemoteEngine(echoing.url, "qwq-32b", key)
    try:
        _, done = chat(engine)
        assert done.finish_reason == "error"
    finally:
        engine.close()
        for handler in app_log.handlers:
            if handler not in before[0]:
                handler.close()
                app_log.removeHandler(handler)
        app_log.setLevel(before[1])
    log_text = (paths.logs / LOG_NAME).read_text(encoding="utf-8")
    assert leaks(log_text, key) == []


def test_a_key_echoed_into_the_reply_itself_is_hidden_even_split_across_chunks(
    fake_upstream: FakeUpstream,
) -> None:
    key = KEYS["dashscope-shaped"]
    fake_upstream.api_key = key
    fake_upstream.reasoning = ["The header said ", key[:5], key[5:20], key[20:], "."]
    fake_upstream.answer = ["Your key is ", key[:1], key[1:], " and nothing else."]
    engine = RemoteEngine(fake_upstream.url, "qwq-32b", key)
    try:
        events = list(engine.chat([ChatMessage.user("Repeat my key")]))
    finally:
        engine.close()
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "stop"
    assert done.reasoning == "The header said [redacted]."
    assert done.answer == "Your key is [redacted] and nothing else."
    # What streamed is what was kept, in order: the trace before the answer.
    kinds = [type(e).__name__ for e in events[:-1]]
    assert kinds == sorted(kinds, key=lambda k: k != "ReasoningDelta")
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == done.answer
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == done.reasoning


def test_a_password_in_the_base_url_is_never_shown(fake_upstream: FakeUpstream) -> None:
    fake_upstream.api_key = None
    fake_upstream.status = 404
    url = fake_upstream.url.replace("http://", "http://me:pw-Secret-123@")
    engine = RemoteEngine(url, "qwq-32b")
    try:
        _, done = chat(engine)
    finally:
        engine.close()
    assert done.error and "pw-Secret-123" not in done.error
    assert "[redacted]@127.0.0.1" in done.error
    assert "pw-Secret-123" not in engine.info.load_note


def test_without_a_keyring_the_log_names_the_endpoint_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import keyring
    import keyring.backends.fail

    from app.core.keys import NoKeyringError, load_key, save_key

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    paths = AppPaths.current()
    app_log = logging.getLogger("app")
    handlers = list(app_log.handlers)
    setup_logging(paths)
    key, endpoint = KEYS["dashscope-shaped"], "https://me:pw-Secret-123@gpu-box:8000/v1"
    try:
        with pytest.raises(NoKeyringError):
            save_key(endpoint, key)
        monkeypatch.setattr("app.core.keys._session", {})
        assert load_key(endpoint) is None
    finally:
        keyring.set_keyring(previous)
        for handler in app_log.handlers:
            if handler not in handlers:
                handler.close()
                app_log.removeHandler(handler)
    log_text = (paths.logs / LOG_NAME).read_text(encoding="utf-8")
    assert "gpu-box" in log_text and "pw-Secret-123" not in log_text
    assert leaks(log_text, key) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer [redacted]"),
        ('{"authorization": "Basic dXNlcjpw"}', '{"authorization": "Basic [redacted]"}'),
        ("proxy-authorization=tok123", "proxy-authorization=[redacted]"),
        ("bad token Bearer eyJhbGciOi.x.y", "bad token Bearer [redacted]"),
        ("key hf_abcdefghijklmnopqrstuvwx01 refused", "key [redacted] refused"),
        ("Bearer authentication is required", "Bearer authentication is required"),
        ("The Authorization header is missing.", "The Authorization header is missing."),
        ("rate limited, try again later", "rate limited, try again later"),
    ],
)
def test_redact_hides_credentials_and_keeps_plain_words(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_stream_redactor_holds_back_only_what_could_start_the_key() -> None:
    hider = StreamRedactor(["secret-key-1"])
    assert hider.feed("a sec") == "a "  # "sec" could be the key's start
    assert hider.feed("ond") == "second"  # it was not
    assert hider.feed(" secret-") == " "
    assert hider.feed("key-1!") == "[redacted]!"
    assert hider.feed("s") == ""
    assert hider.finish() == "s"
    assert StreamRedactor(["abc"]).feed("abc") == "abc"  # too short to hide


@settings(max_examples=150, deadline=1000)
@given(
    key=st.text(alphabet=st.characters(blacklist_characters="[]"), min_size=6, max_size=40),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=100), max_size=8),
)
def test_a_key_split_anywhere_never_streams_out(
    key: str, before: str, after: str, cuts: list[int]
) -> None:
    assume(key not in "[redacted]")  # the marker itself would "contain" it
    text = before + key + after
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    hider = StreamRedactor([key])
    streamed = "".join(hider.feed(p) for p in pieces) + hider.finish()
    whole = StreamRedactor([key])
    assert streamed == whole.feed(text) + whole.finish()
    assert key not in streamed and "[redacted]" in streamed


@pytest.mark.parametrize(
    "text",
    ["ab-" * 22_000, "a." * 33_000, "http://" + "a" * 65_000, "Bearer " + "a-" * 33_000],
)
def test_redact_takes_linear_time_on_a_hostile_error_body(text: str) -> None:
    started = time.monotonic()
    redact(text[: 64 * 1024], [KEYS["dashscope-shaped"]])  # an error body is read to 64 KB
    assert time.monotonic() - started < 2  # a quadratic pattern took 6 s on "ab-ab-..."


def test_a_key_with_undecodable_bytes_is_still_hidden() -> None:
    """A key from the environment may hold bytes that are not UTF-8 (surrogate escapes);
    hypothesis found that the scrubber raised on one instead of hiding it."""
    key = "sk-abc\udcff\ud800def"
    assert key not in redact(f"error: bad key {key}", [key])
    hider = StreamRedactor([key])
    assert key not in hider.feed(f"x {key} y") + hider.finish()
