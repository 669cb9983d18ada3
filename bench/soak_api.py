"""Soak the local API as the web would: 1,000 requests, hostile ones mixed in.

    QT_QPA_PLATFORM=offscreen python bench/soak_api.py [--requests 1000] [--model scripted|gemma]
        [--clients 4] [--warm-up 1000] [--checkpoints 2] [--no-window] [--seed 1]
        [--time-limit 900]

The server is the real one, on loopback, started by the real window's API toggle (an
offscreen MainWindow, whose own reply streams for a second out of every two on the same
engine) or, with ``--no-window``, on its own. Client threads send a seeded mix of:

- normal requests, streaming or not, whose text must be exactly the model's (a 503 "busy
  with a reply in the window" and a 429 "queue full" are documented answers: retried);
- streams cut off mid-reply and non-streaming clients that hang up before the answer;
- malformed bodies (bad JSON, wrong field types, NaN, lone surrogates, deep nesting),
  oversized bodies (5 MB), ``text/plain`` bodies, foreign ``Host`` and ``Origin``.

It reports requests served, answers by kind and status, every wrong answer, and the
process's memory and open file descriptors at the start (after a warm-up), after each
part of the load (``--checkpoints``: half-way by default) and at the end, with the
growth. Goal: every normal request answered correctly, growth under 5%.

How memory is measured, and why. In issue 11's soak, RSS grew 176 -> 190 MiB over 1,000
requests and 176 -> 210 MiB over 3,000. One part was a leak, fixed (each finished
``Job`` stayed a child of the window with its reply: ``app/ui/worker.py``); the rest
was the effects below, which this measurement keeps out, and nothing else (measured
with the window, the scripted model and 4 clients):

- The figure is the resident set once the garbage collector has run and glibc's
  ``malloc_trim(0)`` has handed free heap pages back: the memory the process still
  uses. Raw RSS, printed beside it, is the allocator's high-water mark: trimming gave
  back 14-25 MiB at any point, and raw RSS jumped 20-26 MiB at a random point of a run
  (the 5 MB bodies, built by the clients, which share the process, and read by the
  server). Figures are taken with nothing in flight (:class:`Pause`): taken mid-load,
  with a 5 MB body or the window's reply alive, they swung by up to 13 MiB.
- The warm-up is 1,000 requests of the mix, from the same clients, with the window
  streaming (before: 59, one at a time), after the window's first backup (SQLite keeps
  the backup's descriptor for reuse: +1 open file in any run over 30 s). Memory in
  use rose 5-10 MiB over the first 1,500-2,000 requests and then levelled off; after
  this warm-up, 1,000 requests grew +0.6%, +1.6%, -2.6%, +0.4% (four runs).
- What is alive is counted too: glibc's bytes in use (``mallinfo2``: Qt, SQLite,
  llama.cpp) and the objects Python's collector tracks. A leak grows them; the
  allocator's fragmentation does not. Before the fix (6,000 requests in 6 parts):
  RSS in use +10.4%, malloc in use +3.5%, Python objects +3.4%, growing in every part.
  After it, 12,000 requests: malloc in use +0.7% and Python objects +2.0% (all in the
  first 2,000; the window's sidebar holds one item per conversation it made), while
  RSS in use grew +8.8% with the free memory kept in malloc's arenas going 11 -> 36
  MiB: fragmentation across glibc's per-thread arenas. With ``MALLOC_ARENA_MAX=2`` the
  same run grew +4.1%, the free memory in arenas flat at ~30 MiB from 2,000 on.
- The second half's growth (half-way to the end) is printed too: a leak grows in both
  halves, a warm-up only in the first.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import gc
import http.client
import json
import logging
import os
import random
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["QWQ_DESKTOP_HOME"] = tempfile.mkdtemp(prefix="qwq-soak-")

from _common import gemma_path, machine

# Reasoning, the end of it, then an answer that loops: a reply never ends by itself, so
# normal requests set max_tokens and their text is known exactly.
SCRIPT = ["Let me see.", "</think>", "\n\n", "Four", " is", " the", " answer. "]
NORMAL_TOKENS = 12
KINDS = {  # kind: weight
    "normal": 40,
    "normal-stream": 20,
    "cut-stream": 8,
    "hang-up": 5,
    "malformed": 12,
    "oversized": 3,
    "text-plain": 4,
    "foreign-host": 4,
    "foreign-origin": 4,
}
MALFORMED = [
    b"{",
    b"[" * 5000 + b"]" * 5000,
    b'{"model": "qwq-32b", "messages": 123}',
    b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "\\ud800"}]}',
    b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "x"}], "seed": NaN}',
    b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "x"}], "top_k": 1e999}',
    b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "x"}], "max_tokens": true}',
    b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "x"}], "stream": "no"}',
    b'{"model": "qwq-32b", "messages": [{"role": "tool", "content": "x"}]}',
    b"\xff\xfe",
]


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_kind: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    retries: Counter[int] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    served: int = 0

    def add(self, kind: str, status: int | str, ok: bool, note: str = "") -> None:
        with self.lock:
            self.by_kind[kind] += 1
            self.statuses[f"{kind} {status}"] += 1
            self.served += 1
            if not ok and len(self.wrong) < 20:
                self.wrong.append(f"{kind}: {status} {note}"[:300])
            elif not ok:
                self.wrong.append("…")


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _libc() -> Any:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


def _malloc_trim() -> bool:
    """Hand glibc's free heap pages back to the system; False where that is not glibc."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in [
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        ]
    ]


def malloc_kib() -> tuple[int, int] | None:
    """glibc's own count (2.33+): KiB handed out by malloc and not freed (C, C++ and
    Python's large objects: Qt, SQLite, llama.cpp, ...), and KiB free but kept in its
    arenas (what trimming could not return: fragments between live blocks)."""
    info = getattr(_libc(), "mallinfo2", None)
    if info is None:
        return None
    info.restype = _MallInfo2
    m = info()
    return (m.uordblks + m.hblkhd) // 1024, m.fordblks // 1024


def open_files() -> dict[str, str]:
    """Each open descriptor and what it is (a path, ``socket:[...]``, ``pipe:[...]``)."""
    files = {}
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed meanwhile (the listing's own, say)
            files[fd] = os.readlink(f"/proc/self/fd/{fd}")
    return files


@dataclass(frozen=True)
class Figures:
    """Memory and open files at one point of the soak."""

    in_use_kib: int  # RSS after gc and malloc_trim: what the process still uses
    raw_kib: int  # RSS as it was: includes freed memory the allocator kept
    files: dict[str, str]
    trimmed: bool
    malloc: tuple[int, int] | None  # KiB malloc'd and not freed, KiB free in its arenas
    python_objects: int  # objects the garbage collector tracks

    @classmethod
    def now(cls) -> Figures:
        gc.collect()
        raw = rss_kib()
        trimmed = _malloc_trim()
        objects = len(gc.get_objects())
        return cls(rss_kib(), raw, open_files(), trimmed, malloc_kib(), objects)

    def line(self, label: str) -> str:
        what = "in use" if self.trimmed else "(not glibc: raw)"
        heap = ""
        if self.malloc is not None:
            used, kept = self.malloc
            heap = f"; malloc: {used / 1024:.1f} MiB in use, {kept / 1024:.1f} MiB free in arenas"
        return (
            f"{label}: RSS {what} {self.in_use_kib / 1024:.1f} MiB (raw "
            f"{self.raw_kib / 1024:.1f} MiB{heap}), {self.python_objects:,} Python objects, "
            f"{len(self.files)} open files"
        )


@dataclass
class Pause:
    """Figures are taken with nothing in flight (a 5 MB body being read, or the window's
    reply with its widgets, is live memory that comes and goes): the clients are joined
    first, and the window, if there is one, stops its reply and deletes what it let go
    of before the figures are taken (the GUI loop calls :meth:`settle`)."""

    window: Any = None  # the MainWindow, or None without one
    wanted: threading.Event = field(default_factory=threading.Event)
    reached: threading.Event = field(default_factory=threading.Event)

    def figures(self) -> Figures:
        """From the load's thread: wait for the window to be quiet, then measure."""
        if self.window is None:
            return Figures.now()
        self.wanted.set()
        try:
            if not self.reached.wait(60):
                raise RuntimeError("the window's reply did not stop within 60 s")
            return Figures.now()
        finally:
            self.wanted.clear()
            self.reached.clear()

    def settle(self) -> None:
        """On the GUI thread, each turn of its loop."""
        if not self.wanted.is_set() or self.reached.is_set():
            return
        from PySide6.QtCore import QEvent  # noqa: TID251  (a bench that drives the window)
        from PySide6.QtWidgets import QApplication  # noqa: TID251

        for live in list(self.window.live.values()):
            live.cancel()
        if not self.window.live:
            QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            self.reached.set()


def growth(start: int, end: int) -> float:
    return 100 * (end - start) / start


class Client:
    def __init__(self, port: int, expected: tuple[str, str], tally: Tally) -> None:
        self.port, self.expected, self.tally = port, expected, tally

    def _request(
        self,
        body: bytes,
        headers: dict[str, str] | None = None,
        host: str | None = None,
        method: str = "POST",
        path: str = "/v1/chat/completions",
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            for name, value in (headers or {"Content-Type": "application/json"}).items():
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def _body(self, stream: bool, max_tokens: int | None = NORMAL_TOKENS) -> bytes:
        body: dict[str, Any] = {
            "model": "qwq-32b",
            "messages": [{"role": "user", "content": "What is 2+2?"}],
            "stream": stream,
            "seed": 1,
        }
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        return json.dumps(body).encode()

    def normal(self, stream: bool) -> None:
        kind = "normal-stream" if stream else "normal"
        for attempt in range(200):
            try:
                status, data = self._request(self._body(stream))
            except OSError as e:
                self.tally.add(kind, type(e).__name__, False)
                return
            if status in (429, 503):  # documented: queue full, or the window's reply
                time.sleep(0.05 + random.random() * 0.1)
                continue
            with self.tally.lock:
                self.tally.retries[attempt] += 1
            got = _stream_text(data) if stream and status == 200 else _json_text(data, status)
            ok = status == 200 and got == self.expected
            self.tally.add(kind, status, ok, f"{got!r} != {self.expected!r}")
            return
        self.tally.add(kind, "busy-200-times", False)

    def cut_stream(self, rng: random.Random) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        body = self._body(True, None)
        head = (
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            sock.sendall(head.encode() + body)
            received = b""
            want = rng.randint(1, 4)
            while received.count(b"data: ") < want:
                piece = sock.recv(4096)
                if not piece:
                    break
                received += piece
            status = received[9:12].decode(errors="replace") or "none"
        finally:
            sock.close()
        # A busy answer is fine too: the stream had not started.
        self.tally.add("cut-stream", status, status in ("200", "429", "503"))

    def hang_up(self, rng: random.Random) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        body = self._body(False, None)
        head = (
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        time.sleep(rng.uniform(0.01, 0.2))
        sock.close()
        self.tally.add("hang-up", "closed", True)

    def refused(self, kind: str, rng: random.Random) -> None:
        good = self._body(False)
        expected: tuple[int, ...]
        try:
            if kind == "malformed":
                status, data = self._request(rng.choice(MALFORMED))
                expected = (400,)
            elif kind == "oversized":
                big = b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "'
                status, data = self._request(big + b"a" * (5 * 1024 * 1024) + b'"}]}')
                expected = (413,)
            elif kind == "text-plain":
                status, data = self._request(good, {"Content-Type": "text/plain"})
                expected = (415,)
            elif kind == "foreign-host":
                status, data = self._request(good, host="evil.example")
                expected = (403,)
            else:
                headers = {"Content-Type": "application/json", "Origin": "http://evil.example"}
                status, data = self._request(good, headers)
                expected = (403,)
        except OSError as e:  # an oversized body may meet a closed connection
            self.tally.add(kind, type(e).__name__, kind == "oversized")
            return
        shaped = _is_openai_error(data)
        self.tally.add(kind, status, status in expected and shaped, data[:200].decode("latin-1"))


def _json_text(data: bytes, status: int) -> tuple[str, str]:
    if status != 200:
        return ("", data[:200].decode("latin-1"))
    message = json.loads(data)["choices"][0]["message"]
    return message.get("reasoning_content") or "", message["content"]


def _stream_text(data: bytes) -> tuple[str, str]:
    reasoning, answer = [], []
    if not data.endswith(b"data: [DONE]\n\n"):
        return ("", "stream did not end with [DONE]")
    for line in data.decode().splitlines():
        if line.startswith("data: {"):
            chunk = json.loads(line[6:])
            if "error" in chunk:
                return ("", f"error chunk: {chunk}")
            for choice in chunk["choices"]:
                reasoning.append(choice["delta"].get("reasoning_content") or "")
                answer.append(choice["delta"].get("content") or "")
    return "".join(reasoning), "".join(answer)


def _is_openai_error(data: bytes) -> bool:
    try:
        error = json.loads(data)["error"]
        return isinstance(error["message"], str) and isinstance(error["type"], str)
    except (ValueError, KeyError, TypeError):
        return False


def run_clients(port: int, args: argparse.Namespace, tally: Tally, pause: Pause) -> list[Figures]:
    """The warm-up, the figures at the start, then the load in ``--checkpoints`` parts
    with the figures after each. Returns the figures at the start and after each part
    but the last (the report takes the end's)."""
    expected_client = Client(port, ("", ""), tally)
    status, data = expected_client._request(expected_client._body(False))
    while status in (429, 503):
        time.sleep(0.1)
        status, data = expected_client._request(expected_client._body(False))
    expected = _json_text(data, status)
    assert status == 200, (status, data)
    deadline = time.monotonic() + args.time_limit
    # Warm-up: each kind, then the mix, from the same clients as the load, so that what
    # is created once (caches, pools, the allocator's arenas) exists before the start
    # figures (see the module's docstring).
    warm_rng = random.Random(0)
    warm_kinds = [*KINDS, *warm_rng.choices(list(KINDS), list(KINDS.values()), k=args.warm_up)]
    warm = Tally()
    _load(port, expected, warm, warm_kinds, args.clients, 0, deadline)
    if warm.wrong:
        print(f"wrong answers in the warm-up: {warm.wrong}", flush=True)
    start = pause.figures()
    print(start.line(f"start (after a warm-up of {len(warm_kinds)} requests)"), flush=True)
    rng = random.Random(args.seed)
    kinds = rng.choices(list(KINDS), weights=list(KINDS.values()), k=args.requests)
    figures = [start]
    parts = max(1, args.checkpoints)
    for part in range(parts):
        chunk = kinds[len(kinds) * part // parts : len(kinds) * (part + 1) // parts]
        _load(port, expected, tally, chunk, args.clients, args.seed + part, deadline)
        if part + 1 < parts:
            # Taken with no request in flight (one in-flight 5 MB body is live memory).
            figures.append(pause.figures())
            print(figures[-1].line(f"after {tally.served} requests"), flush=True)
    print(f"expected text of a normal reply: {expected!r}", flush=True)
    return figures


def _load(
    port: int,
    expected: tuple[str, str],
    tally: Tally,
    kinds: list[str],
    clients: int,
    seed: int,
    deadline: float,
) -> None:
    """Send ``kinds`` from ``clients`` threads."""
    next_index = iter(range(len(kinds)))
    index_lock = threading.Lock()

    def worker(n: int) -> None:
        client = Client(port, expected, tally)
        local = random.Random(seed * 1000 + n)
        while time.monotonic() < deadline:
            with index_lock:
                i = next(next_index, None)
            if i is None:
                return
            _one(client, kinds[i], local)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _one(client: Client, kind: str, rng: random.Random) -> None:
    if kind == "normal":
        client.normal(False)
    elif kind == "normal-stream":
        client.normal(True)
    elif kind == "cut-stream":
        client.cut_stream(rng)
    elif kind == "hang-up":
        client.hang_up(rng)
    else:
        client.refused(kind, rng)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def model_path(which: str) -> Path:
    if which == "gemma":
        return gemma_path()
    from tests.fixtures.scripted_model import write_scripted_model

    folder = Path(os.environ["QWQ_DESKTOP_HOME"])
    return write_scripted_model(folder / "soak.gguf", SCRIPT, loop=True).path


def report(args: argparse.Namespace, tally: Tally, figures: list[Figures], end: Figures,
           seconds: float, window_note: str) -> int:  # fmt: skip
    points = [*figures, end]
    start, middle = points[0], points[len(points) // 2]
    rss_growth = growth(start.in_use_kib, end.in_use_kib)
    second_half = growth(middle.in_use_kib, end.in_use_kib)
    fd_growth = growth(len(start.files), len(end.files))
    normal = tally.by_kind["normal"] + tally.by_kind["normal-stream"]
    print(f"machine: {machine()}")
    print(f"model: {args.model}; clients: {args.clients}; seed: {args.seed}; {window_note}")
    print(f"requests served: {tally.served} of {args.requests} in {seconds:.1f} s")
    for key, count in sorted(tally.statuses.items()):
        print(f"  {key}: {count}")
    retried = sum(c for a, c in tally.retries.items() if a > 0)
    print(f"normal requests: {normal}, of them retried after a 503/429: {retried}")
    print(f"wrong answers: {len(tally.wrong)}")
    for line in tally.wrong:
        print(f"  {line}")
    print(start.line("start"))
    for n, between in enumerate(figures[1:], 1):
        print(between.line(f"after {args.requests * n // max(1, args.checkpoints)} requests"))
    print(end.line("end"))
    new_files = sorted((Counter(end.files.values()) - Counter(start.files.values())).elements())
    print(
        f"growth: RSS in use {rss_growth:+.1f}% (second half: {second_half:+.1f}%; raw "
        f"{growth(start.raw_kib, end.raw_kib):+.1f}%), open files {fd_growth:+.1f}%"
        + (f" (new: {', '.join(new_files[:5])})" if new_files else "")
    )
    if start.malloc is not None and end.malloc is not None:
        # A leak grows these; fragmentation (free memory the arenas keep) does not.
        print(
            f"growth of what is alive: malloc in use {growth(start.malloc[0], end.malloc[0]):+.1f}%"
            f", Python objects {growth(start.python_objects, end.python_objects):+.1f}%"
        )
    ok = not tally.wrong and tally.served == args.requests and rss_growth < 5 and fd_growth < 5
    print("goal met" if ok else "GOAL NOT MET")
    return 0 if ok else 1


def soak_alone(args: argparse.Namespace, path: Path) -> int:
    from app.api.server import ApiServer
    from app.engine.local_engine import LoadSettings, LocalEngine

    engine = LocalEngine(path, LoadSettings(context_length=4096))
    server = ApiServer(lambda: engine, port=free_port(), max_queue=args.clients)
    server.start()
    tally = Tally()
    started = time.monotonic()
    try:
        figures = run_clients(server.port, args, tally, Pause())
        time.sleep(0.5)  # the server closes the last connections
        end = Figures.now()
    finally:
        server.stop()
    seconds = time.monotonic() - started
    engine.close()
    return report(args, tally, figures, end, seconds, "no window (engine not shared)")


def soak_with_window(args: argparse.Namespace, path: Path) -> int:
    from PySide6.QtCore import QTimer  # noqa: TID251  (a bench that drives the window)
    from PySide6.QtWidgets import QApplication  # noqa: TID251

    from app.core.settings import AppSettings
    from app.store.conversations import ConversationStore
    from app.ui.main_window import MainWindow

    port = free_port()
    AppSettings(api_port=port, context_length=4096).save()
    app = QApplication.instance() or QApplication(sys.argv)
    store = ConversationStore(Path(os.environ["QWQ_DESKTOP_HOME"]) / "data")
    window = MainWindow(store, str(path))
    window.show()
    deadline = time.monotonic() + 60
    while window.session is None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    window.api.button.click()
    while window.api.server is None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    assert window.api.server is not None, window.api.button.text()
    # The first backup (due 30 s after the start, then daily) leaves one descriptor open:
    # SQLite keeps a closed connection's descriptor, for reuse by the next, while the
    # store's connection holds its lock on the file. Made now, it is in the start
    # figures, as it is every later day (before: "+1 open file" in any run over 30 s).
    window.backups.run()
    while window.backups.job is not None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    window_replies = Counter[str]()
    pause = Pause(window)

    def window_turn() -> None:
        """A second of the window's own reply, then a second of rest."""
        if pause.wanted.is_set():
            return
        if window.live:
            for live in list(window.live.values()):
                live.cancel()
            window_replies["stopped"] += 1
            return
        window.new_chat()
        window.composer.editor.setPlainText("Think about this for a while.")
        window.send()
        window_replies["started"] += 1

    timer = QTimer()
    timer.setInterval(1000)
    timer.timeout.connect(window_turn)
    timer.start()
    tally = Tally()
    result: list[list[Figures]] = []
    started = time.monotonic()
    load = threading.Thread(target=lambda: result.append(run_clients(port, args, tally, pause)))
    load.start()
    while load.is_alive():
        app.processEvents()
        pause.settle()
        time.sleep(0.005)
    seconds = time.monotonic() - started
    timer.stop()
    ended = time.monotonic() + 0.5  # the server closes the last connections meanwhile
    pause.wanted.set()
    while not pause.reached.is_set() or time.monotonic() < ended:
        app.processEvents()
        pause.settle()
        time.sleep(0.005)
    end = Figures.now()
    note = (
        f"served by the window's API toggle while the window streamed "
        f"({window_replies['started']} window replies started, {window_replies['stopped']} stopped)"
    )
    code = report(args, tally, result[0], end, seconds, note)
    window.close()
    store.close()
    return code


def main() -> int:
    # "socket.send() raised exception.": asyncio's note on writes to a client that hung
    # up (on purpose, here) before its cancel landed.
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--model", choices=["scripted", "gemma"], default="scripted")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--warm-up", type=int, default=1000, help="requests of the mix before the start figures"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--checkpoints", type=int, default=2, help="parts of the load, with figures after each"
    )
    parser.add_argument("--time-limit", type=float, default=900, help="seconds for the load")
    parser.add_argument("--no-window", action="store_true", help="serve without the window")
    args = parser.parse_args()
    path = model_path(args.model)
    return soak_alone(args, path) if args.no_window else soak_with_window(args, path)


if __name__ == "__main__":
    sys.exit(main())
