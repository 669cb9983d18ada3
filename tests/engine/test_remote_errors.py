"""The remote engine's error sentences, written from what failed and the endpoint's names
(the same sentences over real HTTP: tests/engine/test_remote_engine.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from app.engine import remote_errors as errors
from app.engine.remote_engine import RemoteEngine


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert errors.retry_after("7") == 7
    assert errors.retry_after(None) is None
    assert errors.retry_after("soon") is None
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    wait = errors.retry_after(when)
    assert wait is not None and 55 < wait <= 60


def test_http_errors_name_the_endpoint_and_quote_it_without_the_key() -> None:
    engine = RemoteEngine("https://user:pw@api.example.com/v1", "qwq-32b", "sk-secret-key-123")
    try:
        body = b'{"error": {"message": "Bearer sk-secret-key-123 is not allowed"}}'
        said = errors.http_error(engine, 400, {}, body)
        assert said.startswith("The endpoint rejected the request (400): ")
        assert "sk-secret-key-123" not in said
        assert errors.http_error(engine, 401, {}, b"") == (
            "The endpoint refused the API key (401): check the key set for api.example.com."
        )
        assert errors.http_error(engine, 429, {"retry-after": "120"}, b"").endswith(
            "try again in 2 minutes."
        )
        assert "pw" not in errors.http_error(engine, 404, {}, b"")
        assert errors.dropped(engine) == (
            "The connection to api.example.com dropped before the reply finished: try again."
        )
    finally:
        engine.close()
