"""``qwq-desktop serve``: the real command, on loopback, answering the openai client."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import openai

from tests.fixtures.cli import ROOT, cli, one_clear_line
from tests.fixtures.models import QWQ_ANSWER, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel


def test_serve_listens_on_loopback_and_requires_its_key(qwq_model: ScriptedModel) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "-m", str(qwq_model.path), "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "QWQ_DESKTOP_API_KEY": "k3y"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.2)
        outside = _outside_address()
        if outside:  # the machine's own network address does not reach the server
            try:
                socket.create_connection((outside, port), timeout=1).close()
                raise AssertionError(f"the server answers on {outside}")
            except OSError:
                pass
        base = f"http://127.0.0.1:{port}/v1"
        with openai.OpenAI(base_url=base, api_key="nope", max_retries=0) as c:
            try:
                c.models.list()
                raise AssertionError("a wrong key was accepted")
            except openai.AuthenticationError:
                pass
        with openai.OpenAI(base_url=base, api_key="k3y", max_retries=0) as c:
            reply = c.chat.completions.create(
                model="qwq-32b", messages=[{"role": "user", "content": "What is 2+2?"}]
            )
            assert reply.choices[0].message.content == QWQ_ANSWER
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert f"Serving {qwq_model.path.stem} at http://127.0.0.1:{port}/v1" in err


def _outside_address() -> str | None:
    """This machine's address on its network (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def _start_serve(model: Path, *args: str, env: dict[str, str] | None = None) -> tuple[Any, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "-m", str(model), "--port", str(port), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("serve did not listen")


def _post(port: int, body: bytes, host: str = "127.0.0.1") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            "/v1/chat/completions",
            body,
            {"Content-Type": "application/json", "Host": host},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _sigterm_ends_it(proc: Any) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("serve ignored SIGTERM") from None
    assert "Traceback" not in err, err
    return str(err)


def test_sigterm_ends_serve_while_a_reply_streams(scripted: ScriptFactory) -> None:
    model = scripted(["Thinking about it", " again and again.\n"], loop=True)
    proc, port = _start_serve(
        model.path, "--context", "32768", "--allow-host", "qwq.lan", "--loop-guard", "off"
    )
    try:
        refused = _post(port, b"{}", host="evil.example")
        assert refused == 403
        base = f"http://127.0.0.1:{port}/v1"
        with openai.OpenAI(base_url=base, api_key="x", max_retries=0) as c:
            stream = c.chat.completions.create(
                model="qwq-32b", messages=[{"role": "user", "content": "go"}], stream=True
            )
            chunks = iter(stream)
            for _ in range(5):
                next(chunks)  # it is generating (32k tokens to go)
            _sigterm_ends_it(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_sigterm_ends_serve_after_a_request_that_failed(qwq_model: ScriptedModel) -> None:
    proc, port = _start_serve(qwq_model.path)
    try:
        surrogate = b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "\\ud800"}]}'
        assert _post(port, surrogate) == 400
        waiting: list[int] = []
        ok = b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "2+2?"}]}'
        thread = threading.Thread(target=lambda: waiting.append(_post(port, ok)), daemon=True)
        thread.start()
        thread.join(20)
        assert waiting == [200]  # the failed request left nothing taken
        _sigterm_ends_it(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_a_keyless_server_off_loopback_needs_an_explicit_flag(qwq_model: ScriptedModel) -> None:
    one_clear_line(
        cli(
            "serve", "-m", str(qwq_model.path), "--host", "0.0.0.0", env={"QWQ_DESKTOP_API_KEY": ""}
        ),
        "--allow-remote-without-key",
    )
    one_clear_line(cli("serve", "-m", str(qwq_model.path), "--api-key", "a b"), "API key")


def test_a_port_in_use_is_one_clear_line(qwq_model: ScriptedModel) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "-m", str(qwq_model.path), "--port", str(port))
    one_clear_line(result, f"cannot listen on 127.0.0.1:{port}")
