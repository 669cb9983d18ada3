"""Reading this machine (a CI machine: RAM, a disk, no GPU driver)."""

from __future__ import annotations

import shutil
from pathlib import Path

import llama_cpp

from app.engine.hardware import detect, free_disk, nvidia_gpus


def test_this_machine() -> None:
    hw = detect()
    assert hw.ram_total_bytes > 1024**3
    assert 0 < hw.ram_available_bytes <= hw.ram_total_bytes
    # CI runs a CPU build; the GPU proof runs these tests on a CUDA build too.
    assert hw.gpu_offload is bool(llama_cpp.llama_supports_gpu_offload())
    assert (hw.gpu_budget > 0) is (hw.gpu_offload and bool(hw.gpus or hw.unified_memory))


def test_nvidia_gpus_only_with_the_driver() -> None:
    gpus = nvidia_gpus()
    if shutil.which("nvidia-smi") is None:
        assert gpus == ()
    for gpu in gpus:  # on a lent GPU machine: real figures
        assert gpu.total_bytes >= gpu.free_bytes > 0
        assert gpu.bandwidth > 100e9


def test_free_disk_of_a_folder_not_yet_made(tmp_path: Path) -> None:
    assert free_disk(tmp_path / "models" / "not" / "yet") > 0
