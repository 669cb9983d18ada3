"""Fitting QwQ-32B to machines: the arithmetic the download issue asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.gguf_file import GGUFInfo, SkippedArray, read_gguf
from app.engine.offload_plan import (
    GIB,
    Gpu,
    Hardware,
    compute_bytes,
    kv_cache_bytes,
    plan_fit,
)

GB = 10**9


def qwq_q4_k_m() -> GGUFInfo:
    """QwQ-32B Q4_K_M as its GGUF describes it (64 blocks, 8 KV heads of 128 dims)."""
    return GGUFInfo(
        path=Path("qwq-32b-q4_k_m.gguf"),
        file_size=19_851_336_256,
        version=3,
        metadata={
            "general.architecture": "qwen2",
            "general.file_type": 15,
            "qwen2.block_count": 64,
            "qwen2.embedding_length": 5120,
            "qwen2.attention.head_count": 40,
            "qwen2.attention.head_count_kv": 8,
            "qwen2.context_length": 131072,
            "tokenizer.ggml.tokens": SkippedArray(152064),
        },
        tensor_count=771,
        parameter_count=32_763_876_352,
        data_end=19_851_336_256,
        layer_bytes=(295_000_000,) * 64,
        other_bytes=970_000_000,
    )


def test_kv_cache_is_256_kib_a_token_at_f16() -> None:
    info = qwq_q4_k_m()
    assert info.kv_values_per_token == 64 * 8 * 128 * 2
    assert kv_cache_bytes(info, 1) == 256 * 1024
    assert kv_cache_bytes(info, 32768) == 8 * GIB
    assert kv_cache_bytes(info, 32768, "q8_0") == int(4.25 * GIB)


def test_a_24_gb_card_takes_most_layers_at_32k() -> None:
    hw = Hardware(
        64 * GIB, 48 * GIB, (Gpu("RTX 4090", 24 * GIB, int(23.5 * GIB)),), gpu_offload=True
    )
    plan = plan_fit(qwq_q4_k_m(), hw, 32768)
    assert plan.mode == "partial"
    assert 40 <= plan.gpu_layers < 64
    assert plan.gpu_bytes <= hw.gpu_budget
    assert f"{plan.gpu_layers} of 64 layers on the GPU" in plan.reason


def test_a_24_gb_card_holds_everything_at_8k_with_a_q8_cache() -> None:
    hw = Hardware(
        64 * GIB, 48 * GIB, (Gpu("RTX 4090", 24 * GIB, int(23.5 * GIB)),), gpu_offload=True
    )
    plan = plan_fit(qwq_q4_k_m(), hw, 8192, kv_type="q8_0")
    assert (plan.mode, plan.gpu_layers) == ("gpu", -1)
    assert "fits entirely in the RTX 4090" in plan.reason


def test_a_12_gb_card_takes_some_layers_and_ram_holds_the_rest() -> None:
    hw = Hardware(
        32 * GIB, 26 * GIB, (Gpu("RTX 4070", 12 * GIB, int(11.5 * GIB)),), gpu_offload=True
    )
    plan = plan_fit(qwq_q4_k_m(), hw, 8192)
    assert plan.mode == "partial"
    assert 20 <= plan.gpu_layers <= 35
    assert plan.ram_bytes < 26 * GIB


def test_apple_silicon_unified_memory() -> None:
    hw = Hardware(64 * GIB, 56 * GIB, unified_memory=True, gpu_offload=True)
    assert plan_fit(qwq_q4_k_m(), hw, 32768).mode == "gpu"


def test_cpu_only_machines() -> None:
    big = Hardware(64 * GIB, 58 * GIB)
    plan = plan_fit(qwq_q4_k_m(), big, 32768)
    assert (plan.mode, plan.gpu_layers) == ("cpu", 0)
    small = Hardware(16 * GIB, 12 * GIB)
    refused = plan_fit(qwq_q4_k_m(), small, 32768)
    assert refused.mode == "none"
    assert "smaller quantization or a shorter context" in refused.reason


def test_a_cpu_build_never_plans_gpu_layers() -> None:
    hw = Hardware(64 * GIB, 58 * GIB, (Gpu("RTX 4090", 24 * GIB, 23 * GIB),), gpu_offload=False)
    assert plan_fit(qwq_q4_k_m(), hw, 8192).mode == "cpu"


@pytest.mark.gemma
def test_the_real_gemma_file(gemma_path: Path) -> None:
    info = read_gguf(gemma_path)
    assert len(info.layer_bytes) == 18 and all(b > 0 for b in info.layer_bytes)
    assert 0.95 * info.file_size < info.weights_bytes <= info.file_size
    assert info.kv_values_per_token == 18 * 1 * (256 + 256)
    plan = plan_fit(info, Hardware(8 * GIB, 6 * GIB), 4096)
    assert plan.mode == "cpu"


def test_attention_scores_count_without_flash_attention() -> None:
    """Measured on an H200 (bench/gpu/proof.py): QwQ-32B at 32K without flash attention
    takes a 2,668 MiB compute buffer, with it 307 MiB."""
    info = qwq_q4_k_m()
    assert 2.5 * GIB < compute_bytes(info, 32768, flash_attention=False) < 3.0 * GIB
    assert compute_bytes(info, 32768, flash_attention=True) < 0.6 * GIB
