"""What this machine has: RAM, GPUs and their free memory, and whether llama.cpp can offload.

NVIDIA GPUs are read through NVML (the ``nvidia-ml-py`` bindings to the driver's own
library); a machine without the driver simply has none. Apple Silicon GPUs share the
RAM (unified memory). Nothing here opens a network connection.
"""

from __future__ import annotations

import ctypes
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

from app.engine.offload_plan import Gpu, Hardware

PLATFORM: str = sys.platform  # a plain str, so each branch type-checks on every OS


def _ram() -> tuple[int, int]:
    """(total, available) bytes of RAM."""
    if PLATFORM.startswith("linux"):
        fields: dict[str, int] = {}
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            parts = rest.split()
            if parts:
                fields[key] = int(parts[0]) * 1024
        return fields.get("MemTotal", 0), fields.get("MemAvailable", fields.get("MemFree", 0))
    if PLATFORM == "win32":  # pragma: no cover - Windows only

        class MemoryStatus(ctypes.Structure):
            _fields_ = [
                ("dwLength", ctypes.c_ulong),
                ("dwMemoryLoad", ctypes.c_ulong),
                ("ullTotalPhys", ctypes.c_ulonglong),
                ("ullAvailPhys", ctypes.c_ulonglong),
                ("ullTotalPageFile", ctypes.c_ulonglong),
                ("ullAvailPageFile", ctypes.c_ulonglong),
                ("ullTotalVirtual", ctypes.c_ulonglong),
                ("ullAvailVirtual", ctypes.c_ulonglong),
                ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
            ]

        status = MemoryStatus()
        status.dwLength = ctypes.sizeof(MemoryStatus)
        ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))  # type: ignore[attr-defined]
        return int(status.ullTotalPhys), int(status.ullAvailPhys)
    # macOS and other POSIX systems: total from sysconf; "available" is an estimate there.
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError):
        free = total // 2
    return int(total), int(max(free, total // 2) if PLATFORM == "darwin" else free)


def nvidia_gpus() -> tuple[Gpu, ...]:
    """NVIDIA GPUs with their total and free memory, or none without the driver."""
    try:
        import pynvml
    except ImportError:
        return ()
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return ()
    try:
        gpus = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            name = name.decode() if isinstance(name, bytes) else str(name)
            gpus.append(Gpu(name, int(memory.total), int(memory.free), _bandwidth(pynvml, handle)))
        return tuple(gpus)
    except pynvml.NVMLError:
        return ()
    finally:
        pynvml.nvmlShutdown()


def _bandwidth(pynvml: Any, handle: Any) -> float:
    """Memory bandwidth from the bus width and the memory clock (both data edges).

    An RTX 4090 reports 384 bits and 10,501 MHz: 48 B x 10.5 GHz x 2 = 1,008 GB/s, its
    published figure; an H100 SXM: 5,120 bits x 2,619 MHz -> 3.35 TB/s.
    """
    try:
        bits = pynvml.nvmlDeviceGetMemoryBusWidth(handle)
        mhz = pynvml.nvmlDeviceGetMaxClockInfo(handle, pynvml.NVML_CLOCK_MEM)
    except (pynvml.NVMLError, AttributeError):
        return 0.0
    return float(bits) / 8 * float(mhz) * 1e6 * 2


# Unified memory bandwidth of Apple's chips (GB/s, Apple's published figures).
APPLE_BANDWIDTH = {
    "M1": 68, "M1 Pro": 200, "M1 Max": 400, "M1 Ultra": 800,
    "M2": 100, "M2 Pro": 200, "M2 Max": 400, "M2 Ultra": 800,
    "M3": 100, "M3 Pro": 150, "M3 Max": 400, "M3 Ultra": 819,
    "M4": 120, "M4 Pro": 273, "M4 Max": 546,
}  # fmt: skip


def apple_chip() -> str:
    """ "Apple M2 Pro" and the like, or "" off Apple Silicon."""
    if not apple_silicon():
        return ""
    import subprocess

    try:
        out = subprocess.run(
            ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def apple_bandwidth(chip: str) -> float:
    model = chip.removeprefix("Apple ").strip()
    gbs = APPLE_BANDWIDTH.get(model, 0)
    return gbs * 1e9


def apple_silicon() -> bool:
    return PLATFORM == "darwin" and platform.machine() == "arm64"


def detect(gpu_offload: bool | None = None) -> Hardware:
    """This machine. ``gpu_offload``: whether the llama.cpp build can offload (asked if None)."""
    if gpu_offload is None:
        import llama_cpp

        gpu_offload = bool(llama_cpp.llama_supports_gpu_offload())
    total, available = _ram()
    chip = apple_chip()
    return Hardware(
        ram_total_bytes=total,
        ram_available_bytes=available,
        gpus=nvidia_gpus(),
        unified_memory=apple_silicon(),
        gpu_offload=gpu_offload,
        ram_bandwidth=apple_bandwidth(chip),
        chip=chip,
    )


def free_disk(folder: Path) -> int:
    """Free bytes where ``folder`` is (or would be created)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free
