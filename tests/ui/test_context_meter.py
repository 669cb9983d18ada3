"""The context meter on its own: a load's progress, then the context in use."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.ui.context_meter import ContextMeter


def test_a_load_then_the_context(qtbot: QtBot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    assert meter.isHidden()  # no model yet
    meter.loading()
    assert not meter.isHidden() and meter.format() == "loading %p%"
    meter.load_progress(0.5)
    assert meter.value() == 50
    meter.ready(4096)
    assert (meter.maximum(), meter.value()) == (4096, 0)
    assert meter.format() == "context %v / %m tokens"
    meter.used(1000)
    assert meter.value() == 1000
    meter.used(10_000)  # more than the context holds (a remote usage figure): full
    assert meter.value() == 4096
