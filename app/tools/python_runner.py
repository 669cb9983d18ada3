"""The ``python`` tool: run a short Python program to check a result, contained.

Each run is a separate process (``python -I -S -X utf8``: no site-packages, no user
environment), in a fresh temporary working folder removed afterwards, with a minimal
environment (no API keys or tokens of the app's), a wall-time limit, an address-space and a
file-size limit (``setrlimit`` in the child before it execs the program), and its output
(stdout and stderr together) capped, keeping the start and the end where the traceback is.

No network, or no run: on Linux the child runs in new user, network and PID namespaces
(``unshare --net --map-root-user --pid --fork --kill-child``, checked at run time): it has a
loopback interface only and every process it starts dies with it; on macOS under
``sandbox-exec`` with a profile that denies the network. Where the system offers neither
(Windows, a Linux that forbids user namespaces, macOS without ``sandbox-exec``) the tool
refuses and says so: it fails closed rather than run code that could reach the network.

On a timeout the whole process group is killed. Asking the user first is the face's job:
the tool is marked ``needs_approval``.
"""

from __future__ import annotations

import collections
import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from app.tools.tool import BuiltinTool, ToolError, string_parameters

MAX_CODE = 20_000  # characters of program
_NETWORK_DENIED = "(version 1)(allow default)(deny network*)"  # macOS sandbox-exec profile
_UNSHARE_FLAGS = (
    ("--net", "--map-root-user", "--pid", "--fork", "--kill-child"),
    ("--net", "--map-root-user"),  # where PID namespaces are refused: the group kill remains
)
# Runs first in the child: the limits, then the program itself (exec keeps the limits and
# gives the program a clean traceback).
_BOOT = (
    "import os, resource, sys\n"
    "memory, files = int(sys.argv[1]), int(sys.argv[2])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (memory, memory))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (files, files))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "os.execv(sys.executable, [sys.executable, '-I', '-S', '-X', 'utf8', 'main.py'])\n"
)


class Sandbox(StrEnum):
    """How the child is kept off the network."""

    AUTO = "auto"  # the one this system offers (NONE where it offers none)
    NAMESPACE = "namespace"  # Linux: unshare into new user, network and PID namespaces
    SANDBOX_EXEC = "sandbox-exec"  # macOS: a sandbox profile denying the network
    NONE = "none"  # nothing enforces it: the tool refuses to run


class SandboxUnavailable(ToolError):
    """No way to keep the program off the network here: the run is refused."""


@dataclass(frozen=True, slots=True)
class PythonLimits:
    seconds: float = 10.0
    memory_bytes: int = 512 * 2**20
    output_bytes: int = 16 * 1024  # stdout and stderr together, as the model gets them
    file_bytes: int = 64 * 2**20  # the largest file the program may write


DEFAULT_LIMITS = PythonLimits()


@dataclass(frozen=True, slots=True)
class PythonRun:
    output: str  # stdout and stderr as they came, capped
    returncode: int  # negative: killed by that signal
    timed_out: bool
    truncated: bool  # bytes were left out of the output
    folder: Path  # the working folder it had (gone by now)
    seconds: float


def interpreter() -> str | None:
    """The Python that runs the programs: the app's own, unless the app is a frozen build
    (PyInstaller), whose executable is the app itself and would not run a program."""
    if getattr(sys, "frozen", False) or not sys.executable:
        return None
    return sys.executable


def resolve_sandbox(requested: Sandbox = Sandbox.AUTO) -> tuple[Sandbox, str]:
    """The sandbox a run would use, and why none where it comes back :attr:`Sandbox.NONE`."""
    if requested is Sandbox.NONE:
        return Sandbox.NONE, "no network sandbox was chosen for it"
    if requested is Sandbox.NAMESPACE or (
        requested is Sandbox.AUTO and sys.platform.startswith("linux")
    ):
        flags, reason = _namespace_flags()
        return (Sandbox.NAMESPACE, "") if flags else (Sandbox.NONE, reason)
    if requested is Sandbox.SANDBOX_EXEC or (
        requested is Sandbox.AUTO and sys.platform == "darwin"
    ):
        if shutil.which("sandbox-exec"):
            return Sandbox.SANDBOX_EXEC, ""
        return Sandbox.NONE, "macOS's sandbox-exec is missing"
    return (
        Sandbox.NONE,
        f"this system ({sys.platform}) offers the app no way to cut a program off the network",
    )


@cache
def _namespace_flags() -> tuple[tuple[str, ...], str]:
    """``unshare`` with the flags that work here (tried once per process), or () and why
    not."""
    unshare = shutil.which("unshare")
    if not sys.platform.startswith("linux") or unshare is None:
        return (), "the unshare command is missing"
    reason = ""
    for flags in _UNSHARE_FLAGS:
        try:
            probe = subprocess.run(
                [unshare, *flags, "true"], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError) as e:
            reason = str(e)
            continue
        if probe.returncode == 0:
            return (unshare, *flags), ""
        reason = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else ""
    return (), f"this system does not allow a network namespace ({reason or 'unshare failed'})"


def run_python(
    code: str,
    *,
    limits: PythonLimits = DEFAULT_LIMITS,
    sandbox: Sandbox = Sandbox.AUTO,
    python: str | None = None,
) -> PythonRun:
    """Run ``code`` as described in the module's docstring, with the interpreter
    ``python`` (by default the one running the app). Raises :class:`SandboxUnavailable`
    (before anything runs) where no network sandbox works, and :class:`ToolError` where
    there is no interpreter to run it with."""
    python = python or interpreter()
    if python is None:
        raise ToolError(
            "The python tool cannot run here: this build of the app carries no separate"
            " Python interpreter to run code with."
        )
    chosen, reason = resolve_sandbox(sandbox)
    if chosen is Sandbox.NONE:
        raise SandboxUnavailable(
            f"The python tool cannot run here: {reason}. It never runs code that could reach"
            " the network, so it refused; work the result out another way (the calculator"
            " tool can help)."
        )
    start = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="qwq-python-"))
    try:
        (folder / "main.py").write_text(code, encoding="utf-8", errors="surrogatepass")
        command = [
            python,
            "-I",
            "-S",
            "-c",
            _BOOT,
            str(limits.memory_bytes),
            str(limits.file_bytes),
        ]
        if chosen is Sandbox.NAMESPACE:
            command = [*_namespace_flags()[0], *command]
        else:
            command = ["sandbox-exec", "-p", _NETWORK_DENIED, *command]
        output, returncode, timed_out, truncated = _run(command, folder, limits)
    finally:
        _remove(folder)
    return PythonRun(output, returncode, timed_out, truncated, folder, time.monotonic() - start)


def _run(command: list[str], folder: Path, limits: PythonLimits) -> tuple[str, int, bool, bool]:
    environment = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(folder),
        "TMPDIR": str(folder),
        "LANG": "C.UTF-8",
    }
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed as one
    )
    assert process.stdout is not None
    sink = _Capped(limits.output_bytes)
    deadline = time.monotonic() + limits.seconds
    timed_out = False
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                if selector.select(timeout=min(remaining, 0.5)):
                    chunk = os.read(process.stdout.fileno(), 65536)
                    if not chunk:
                        break  # every process that had the output closed it
                    sink.add(chunk)
                elif process.poll() is not None:
                    _kill_group(process)  # what it left running in the background goes too
    finally:
        _kill_group(process)
        process.wait()
        process.stdout.close()
    return sink.text(), process.returncode, timed_out, sink.dropped > 0


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class _Capped:
    """The first three quarters of the cap and the last quarter: the start of the output
    and the end, where a traceback is."""

    def __init__(self, cap: int) -> None:
        self.head = bytearray()
        self.head_cap = cap * 3 // 4
        self.tail: collections.deque[bytes] = collections.deque()
        self.tail_cap = cap - self.head_cap
        self.tail_size = 0
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self.tail.append(chunk)
        self.tail_size += len(chunk)
        while self.tail_size - len(self.tail[0]) >= self.tail_cap:
            self.dropped += len(self.tail[0])
            self.tail_size -= len(self.tail.popleft())
        if self.tail_size > self.tail_cap:  # trim the oldest chunk to the cap
            cut = self.tail_size - self.tail_cap
            self.tail[0] = self.tail[0][cut:]
            self.tail_size -= cut
            self.dropped += cut

    def text(self) -> str:
        tail = b"".join(self.tail)
        if not self.dropped:
            return (bytes(self.head) + tail).decode("utf-8", errors="replace")
        return (
            bytes(self.head).decode("utf-8", errors="replace")
            + f"\n[truncated: {self.dropped:,} bytes of output left out]\n"
            + tail.decode("utf-8", errors="replace")
        )


def _remove(folder: Path) -> None:
    """Remove the working folder, even where the program took its own permissions away."""

    def retry(function: Callable[..., Any], path: str, _: object) -> None:
        os.chmod(path, 0o700)
        parent = os.path.dirname(path)
        if parent:
            os.chmod(parent, 0o700)
        function(path)

    shutil.rmtree(folder, onerror=retry)


def describe(run: PythonRun, limits: PythonLimits) -> str:
    """The run as the model reads it: what it printed, and how it ended if not well."""
    output = run.output if run.output.strip() else ""
    if run.timed_out:
        end = f"[stopped: the time limit of {limits.seconds:g} s was reached]"
    elif run.returncode == 0:
        return output or "(The program printed nothing: print the values you want to see.)"
    elif run.returncode == -signal.SIGXFSZ:
        end = f"[stopped: a file passed the size limit of {limits.file_bytes // 2**20} MB]"
    elif run.returncode < 0:
        end = f"[killed by signal {-run.returncode}]"
    else:
        end = f"[exit status {run.returncode}]"
    if "MemoryError" in output[-2000:]:
        end += f" (the memory limit is {limits.memory_bytes // 2**20} MB)"
    return f"{output.rstrip()}\n{end}" if output else end


def python_tool(
    limits: PythonLimits = DEFAULT_LIMITS, sandbox: Sandbox = Sandbox.AUTO
) -> BuiltinTool:
    """The ``python`` tool with these limits and this sandbox."""

    def action(code: str) -> str:
        run = run_python(code, limits=limits, sandbox=sandbox)
        text = describe(run, limits)
        if run.timed_out or run.returncode != 0:
            raise ToolError(text)
        return text

    return BuiltinTool(
        name="python",
        description=(
            "Run a short Python 3 program to check a result, and get what it prints"
            f" (stdout and stderr, up to {limits.output_bytes // 1024} KB). Standard library"
            " only; no network, no input; a fresh empty working folder each run; nothing"
            f" persists between runs. Limits: {limits.seconds:g} s,"
            f" {limits.memory_bytes // 2**20} MB of memory. Print the values you want to see."
        ),
        parameters=string_parameters(code=("The whole program, as a Python file.", MAX_CODE)),
        needs_approval=True,
        action=action,
    )
