"""The python tool on real subprocesses: output, limits, the folder, and no network (or no
run at all)."""

from __future__ import annotations

import socket
import sys
import time
import uuid
from pathlib import Path

import pytest

from app.tools.python_runner import (
    PythonLimits,
    Sandbox,
    SandboxUnavailable,
    python_tool,
    resolve_sandbox,
    run_python,
)

LIMITS = PythonLimits(seconds=20, memory_bytes=256 * 2**20, output_bytes=4096)
SANDBOX, WHY_NOT = resolve_sandbox(Sandbox.AUTO)
needs_sandbox = pytest.mark.skipif(
    SANDBOX is Sandbox.NONE, reason=f"no network sandbox on this machine: {WHY_NOT}"
)


def _processes_with(token: str) -> list[int]:
    """Live processes (not zombies: their command line is empty) naming ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _gone(token: str) -> bool:
    """True once no process names ``token`` (SIGKILL is delivered at once, but a process
    takes a moment to finish dying; 10 s of waiting means it survived)."""
    for _ in range(100):
        if not _processes_with(token):
            return True
        time.sleep(0.1)
    return False


@needs_sandbox
def test_what_the_program_prints_is_the_result() -> None:
    result = python_tool(LIMITS).run({"code": "print(sum(range(101)))\nprint('ok')"})
    assert result.ok
    assert result.text == "5050\nok\n"


@needs_sandbox
def test_a_failing_program_is_an_error_with_its_traceback() -> None:
    result = python_tool(LIMITS).run({"code": "print('before')\n1/0"})
    assert not result.ok
    assert result.text.startswith("before\n")
    assert "ZeroDivisionError" in result.text
    assert result.text.endswith("[exit status 1]")


@needs_sandbox
def test_a_program_that_prints_nothing_is_told_to_print() -> None:
    result = python_tool(LIMITS).run({"code": "x = 2 + 2"})
    assert result.ok
    assert "printed nothing" in result.text


@needs_sandbox
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_timeout_kills_the_whole_process_group() -> None:
    token = f"qwq-test-{uuid.uuid4().hex}"
    code = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', '{token}'])\n"
        "print('started', flush=True)\n"
        "time.sleep(600)\n"
    )
    result = python_tool(PythonLimits(seconds=2)).run({"code": code})
    assert not result.ok
    assert result.text == "started\n[stopped: the time limit of 2 s was reached]"
    assert _gone(token), _processes_with(token)


@needs_sandbox
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_background_process_does_not_outlive_the_run() -> None:
    """Even one that left the process group (setsid) dies with the PID namespace."""
    if SANDBOX is not Sandbox.NAMESPACE or "--pid" not in _flags():
        pytest.skip("no PID namespace here: only the process group is killed")
    token = f"qwq-test-{uuid.uuid4().hex}"
    code = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', "
        f"'{token}'], start_new_session=True, stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL)\n"
        "print('left it running')\n"
    )
    result = python_tool(LIMITS).run({"code": code})
    assert result.ok, result.text
    assert _gone(token), _processes_with(token)


def _flags() -> tuple[str, ...]:
    from app.tools.python_runner import _namespace_flags

    return _namespace_flags()[0]


@needs_sandbox
def test_the_memory_limit_stops_a_greedy_program() -> None:
    result = python_tool(LIMITS).run({"code": "blob = bytearray(1024 * 2**20)\nprint('got it')"})
    assert not result.ok
    assert "MemoryError" in result.text
    assert "got it" not in result.text
    assert result.text.endswith("(the memory limit is 256 MB)")


@needs_sandbox
def test_long_output_is_truncated_keeping_start_and_end() -> None:
    code = "print('START')\nfor i in range(20000):\n    print('line', i)\nprint('END')"
    result = python_tool(LIMITS).run({"code": code})
    assert result.ok
    assert result.text.startswith("START\n")
    assert result.text.endswith("END\n")
    assert "[truncated: " in result.text
    assert len(result.text.encode()) < LIMITS.output_bytes + 100


@needs_sandbox
def test_the_working_folder_is_fresh_and_removed_even_when_locked() -> None:
    code = (
        "import os\n"
        "print(os.listdir('.'))\n"
        "os.makedirs('locked/inner')\n"
        "open('locked/inner/file', 'w').write('x')\n"
        "os.chmod('locked/inner', 0)\n"
        "os.chmod('locked', 0)\n"
        "print(os.getcwd())\n"
    )
    run = run_python(code, limits=LIMITS)
    assert run.returncode == 0, run.output
    listing, cwd = run.output.splitlines()
    assert listing == "['main.py']"
    assert Path(cwd) == run.folder
    assert not run.folder.exists()


@needs_sandbox
def test_the_app_environment_does_not_reach_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QWQ_TEST_SECRET", "hunter2")
    result = python_tool(LIMITS).run({"code": "import os; print(sorted(os.environ))"})
    assert result.ok
    assert "QWQ_TEST_SECRET" not in result.text
    assert "hunter2" not in result.text


@needs_sandbox
def test_the_program_cannot_reach_the_network() -> None:
    """A server listening on this machine's loopback: reachable from here, not from the
    program (its network namespace has a loopback of its own and nothing else)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=5)\n"
            "    print('connected')\n"
            "except OSError as e:\n"
            "    print('refused:', type(e).__name__)\n"
        )
        result = python_tool(LIMITS).run({"code": code})
    assert result.ok, result.text
    assert result.text.startswith("refused:")


def test_without_a_sandbox_it_refuses_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('ran')"
    tool = python_tool(LIMITS, sandbox=Sandbox.NONE)
    result = tool.run({"code": code})
    assert not result.ok
    assert "cannot run here" in result.text
    assert "network" in result.text
    assert not marker.exists()
    with pytest.raises(SandboxUnavailable):
        run_python(code, sandbox=Sandbox.NONE)


def test_a_sandbox_this_system_lacks_is_refused_too() -> None:
    other = Sandbox.SANDBOX_EXEC if sys.platform != "darwin" else Sandbox.NAMESPACE
    chosen, reason = resolve_sandbox(other)
    if chosen is not Sandbox.NONE:
        pytest.skip(f"{other} works here")
    assert reason
    assert not python_tool(LIMITS, sandbox=other).run({"code": "print(1)"}).ok


def test_it_asks_first_and_takes_code() -> None:
    tool = python_tool()
    assert tool.needs_approval
    assert tool.schema()["function"]["name"] == "python"
    assert tool.schema()["function"]["parameters"]["required"] == ["code"]
    assert "no network" in tool.description
    bad = tool.run({"code": 42})
    assert not bad.ok
    assert "must be a string" in bad.text


def test_a_frozen_app_has_no_interpreter_to_run_code_with(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a PyInstaller build sys.executable is the app itself: running it would start the
    app, not the program."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    result = python_tool(LIMITS).run({"code": "print(1)"})
    assert not result.ok
    assert "no separate Python interpreter" in result.text
