"""``qwq-desktop serve``: the real command, on loopback, answering the openai client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import openai

from tests.fixtures.cli import ROOT
from tests.fixtures.models import QWQ_ANSWER
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
