"""The API server's one owner: the toggle, a model being replaced, new settings, a port in
use and the close, on a real ApiServer on a free loopback port with a real scripted engine."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from app.core.settings import AppSettings
from app.engine.base import ChatEngine
from app.engine.local_engine import LocalEngine, load_settings_from
from app.ui.api_server_control import ApiServerControl
from app.ui.worker import Job, running_jobs
from tests.fixtures.scripted_model import ScriptedModel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def model_ids(port: int) -> list[str]:
    """GET /v1/models on ``port`` ([] when nothing listens there)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as r:
            return [m["id"] for m in json.load(r)["data"]]
    except (urllib.error.URLError, ConnectionError):
        return []


@pytest.fixture
def engine(qwq_model: ScriptedModel) -> Iterator[ChatEngine]:
    loaded = LocalEngine(str(qwq_model.path), load_settings_from(AppSettings()))
    yield loaded
    loaded.close()


def make(qtbot: QtBot, engine: ChatEngine | None, port: int) -> tuple[ApiServerControl, QWidget]:
    """The control and its host (kept by the test: the jobs' owner lives as long)."""
    host = QWidget()  # the window, in the app
    qtbot.addWidget(host)
    api = ApiServerControl(lambda: engine, AppSettings(api_port=port), host)
    api.button.setParent(host)
    return api, host


def serving(qtbot: QtBot, api: ApiServerControl) -> None:
    qtbot.waitUntil(lambda: api.server is not None, timeout=10_000)


def jobs(api: ApiServerControl) -> list[Job]:
    """The control's jobs still handing over (other tests' may linger in running_jobs)."""
    return [j for j in running_jobs() if isValid(j) and j.parent() is api]


def idle(qtbot: QtBot, api: ApiServerControl) -> None:
    qtbot.waitUntil(lambda: not jobs(api), timeout=30_000)


def test_the_toggle_serves_the_engine_and_stops_it(qtbot: QtBot, engine: ChatEngine) -> None:
    port = free_port()
    api, _host = make(qtbot, engine, port)
    assert api.button.text() == "API: off" and not api.wanted
    api.button.click()
    assert api.button.text() == "API: starting…"
    serving(qtbot, api)
    assert api.button.text() == f"API: http://127.0.0.1:{port}/v1"
    assert len(model_ids(port)) == 2
    api.button.click()
    assert api.button.text() == "API: off" and api.server is None
    idle(qtbot, api)  # stopped on a worker
    assert model_ids(port) == []


def test_a_model_being_replaced_is_not_served_and_the_new_one_is(
    qtbot: QtBot, engine: ChatEngine
) -> None:
    port = free_port()
    api, _host = make(qtbot, engine, port)
    api.engine_ready()  # the toggle is off: nothing starts
    assert api.server is None and not jobs(api)
    api.set_on(True)
    api.button.setChecked(True)
    serving(qtbot, api)
    api.engine_going()
    assert api.server is None and api.button.text() == "API: restarting after the load…"
    api.engine_ready()  # right away: it waits for the stop, then binds the same port
    serving(qtbot, api)
    assert api.button.text() == f"API: http://127.0.0.1:{port}/v1"
    assert len(model_ids(port)) == 2
    api.shutdown()


def test_new_settings_serve_again_on_the_new_port(qtbot: QtBot, engine: ChatEngine) -> None:
    old, new = free_port(), free_port()
    api, _host = make(qtbot, engine, old)
    api.button.click()
    serving(qtbot, api)
    api.settings_changed(AppSettings(api_port=new))
    qtbot.waitUntil(lambda: api.button.text() == f"API: http://127.0.0.1:{new}/v1", timeout=10_000)
    assert len(model_ids(new)) == 2
    idle(qtbot, api)
    assert model_ids(old) == []
    api.shutdown()


def test_new_settings_do_not_start_a_server_that_is_off(qtbot: QtBot) -> None:
    api, _host = make(qtbot, None, free_port())
    api.settings_changed(AppSettings(api_port=free_port()))
    assert api.server is None and not jobs(api) and api.button.text() == "API: off"


# uvicorn ends its thread with SystemExit when it cannot bind; ApiServer.start reports it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_port_in_use_says_why_and_turns_the_toggle_off(qtbot: QtBot) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        api, _host = make(qtbot, None, taken.getsockname()[1])
        with qtbot.waitSignal(api.failed, timeout=20_000) as blocker:
            api.button.click()
    assert "could not listen" in str((blocker.args or [""])[0])
    assert not api.button.isChecked() and api.button.text() == "API: off"
    assert api.server is None


def test_a_start_turned_off_meanwhile_is_not_left_serving(qtbot: QtBot) -> None:
    port = free_port()
    api, _host = make(qtbot, None, port)
    api.button.click()
    api.button.click()  # off before the port is bound
    assert api.button.text() == "API: off"
    idle(qtbot, api)
    idle(qtbot, api)  # (the stop of the server that had started)
    assert api.server is None and model_ids(port) == []


def test_the_close_stops_it_at_once(qtbot: QtBot, engine: ChatEngine) -> None:
    port = free_port()
    api, _host = make(qtbot, engine, port)
    api.button.click()
    serving(qtbot, api)
    api.shutdown()
    assert api.server is None and model_ids(port) == []
    api.button.click()  # (off)
    api.button.click()
    api.shutdown()  # a start still binding the port is stopped too
    assert model_ids(port) == []


def test_the_key_from_the_environment_is_required_and_a_bad_one_serves_nothing(
    qtbot: QtBot, engine: ChatEngine, monkeypatch: pytest.MonkeyPatch, memory_keyring: object
) -> None:
    """The window's server takes the key `serve` takes (QWQ_DESKTOP_API_KEY first)."""
    port = free_port()
    monkeypatch.setenv("QWQ_DESKTOP_API_KEY", "bad key")
    api, _host = make(qtbot, engine, port)
    with qtbot.waitSignal(api.failed) as said:
        api.button.click()
    assert "API key" in said.args[0]
    assert not api.wanted and api.server is None and model_ids(port) == []

    monkeypatch.setenv("QWQ_DESKTOP_API_KEY", "s3cret")
    api.button.click()
    serving(qtbot, api)
    assert model_ids(port) == []  # refused without the key
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer s3cret"}
    )
    with urllib.request.urlopen(request, timeout=5) as r:
        assert len(json.load(r)["data"]) == 2
    api.shutdown()
