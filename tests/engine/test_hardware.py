"""Reading this machine (a CI machine: RAM, a disk, no GPU driver)."""

from __future__ import annotations

from pathlib import Path

from app.models.hardware import detect, free_disk, nvidia_gpus


def test_this_machine() -> None:
    hw = detect()
    assert hw.ram_total_bytes > 1024**3
    assert 0 < hw.ram_available_bytes <= hw.ram_total_bytes
    assert hw.gpu_offload is False  # the CPU build the tests run on
    assert hw.gpu_budget == 0


def test_no_nvidia_driver_means_no_gpus() -> None:
    assert nvidia_gpus() == ()


def test_free_disk_of_a_folder_not_yet_made(tmp_path: Path) -> None:
    assert free_disk(tmp_path / "models" / "not" / "yet") > 0
