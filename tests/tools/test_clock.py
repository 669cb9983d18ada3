"""The datetime tool: the moment it is given, in words the model can use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from app.tools.clock import datetime_tool, describe, local_now


def test_a_named_zone_is_given_with_its_offset() -> None:
    try:
        zone = ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine")
    moment = datetime(2026, 11, 28, 18, 50, 49, tzinfo=zone)
    result = datetime_tool(now=lambda: moment).run({})
    assert result.ok
    assert result.text == (
        "Saturday, 28 November 2026, 18:50:49; time zone Asia/Shanghai (CST, UTC+08:00);"
        " ISO 8601: 2026-11-28T18:50:49+08:00"
    )


def test_a_fixed_offset_and_utc() -> None:
    west = timezone(timedelta(hours=-3, minutes=-30))
    assert describe(datetime(2024, 2, 29, 6, 5, 4, tzinfo=west)) == (
        "Thursday, 29 February 2024, 06:05:04; time zone UTC-03:30;"
        " ISO 8601: 2024-02-29T06:05:04-03:30"
    )
    assert "time zone UTC (UTC+00:00)" in describe(datetime(2025, 1, 1, tzinfo=UTC))


def test_the_clock_is_the_local_time_now() -> None:
    before = datetime.now(UTC)
    now = local_now()
    assert now.tzinfo is not None
    assert abs(now - before) < timedelta(minutes=1)
    text = datetime_tool().run({}).text
    assert str(now.year) in text
    assert "time zone" in text


def test_it_takes_no_arguments() -> None:
    tool = datetime_tool()
    assert not tool.needs_approval
    assert tool.schema()["function"]["parameters"]["properties"] == {}
    for empty in ({}, None, "", "{}"):
        assert tool.run(empty).ok
    wrong = tool.run({"timezone": "UTC"})
    assert not wrong.ok
    assert (
        wrong.text == "Unknown argument 'timezone'. datetime takes no arguments: call it with {}."
    )
