"""Will this GGUF fit this machine, and how many layers go on the GPU?

The arithmetic, from the file's own tensor sizes:
- weights: each block's tensors (``blk.N.*``) and the rest (embeddings, output);
- KV cache: layers x KV heads x (key + value dims) values per token, times the
  context; 2 bytes a value at f16 (QwQ-32B: 64 x 8 x 256 x 2 = 256 KiB a token),
  about 1.06 at q8_0 (which needs flash attention);
- compute buffers: the larger of the logits of a batch (vocabulary x batch x 4
  bytes) and, without flash attention, the attention scores (context x batch x
  heads x 4 bytes: 2.5 GiB for QwQ-32B at 32K, as measured on an H200), plus a
  fixed allowance for activations.
A GPU keeps a margin free for the driver and the desktop. Layers go to the GPU
from the first; what does not fit stays in RAM, which must hold it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from app.core.i18n import translate

GIB = 1024**3
KV_BYTES_PER_VALUE = {"f16": 2.0, "q8_0": 34 / 32}
GPU_MARGIN = 768 * 1024**2  # left free for the driver, the desktop, fragmentation
RAM_MARGIN = 2 * GIB  # the OS and the app itself
ACTIVATIONS = 256 * 1024**2  # compute buffer allowance besides the logits
BATCH = 512

FitMode = Literal["gpu", "partial", "cpu", "none"]


class ModelWeights(Protocol):
    """What the plan needs of a model: a GGUF read from disk, or a catalog estimate."""

    @property
    def layer_bytes(self) -> tuple[int, ...]: ...
    @property
    def weights_bytes(self) -> int: ...
    @property
    def kv_values_per_token(self) -> int: ...
    @property
    def vocab_size(self) -> int: ...
    @property
    def quantization(self) -> str: ...
    @property
    def attention_heads(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Gpu:
    name: str
    total_bytes: int
    free_bytes: int
    bandwidth: float = 0.0  # memory bandwidth in bytes/s; 0 unknown


@dataclass(frozen=True, slots=True)
class Hardware:
    ram_total_bytes: int
    ram_available_bytes: int
    gpus: tuple[Gpu, ...] = ()
    unified_memory: bool = False  # Apple Silicon: the GPU uses the RAM
    gpu_offload: bool = False  # this llama.cpp build can offload at all
    ram_bandwidth: float = 0.0  # bytes/s; 0 unknown
    chip: str = ""  # Apple Silicon's name, e.g. "Apple M2 Pro"

    @property
    def gpu_budget(self) -> int:
        """Bytes the model may take on the (best) GPU."""
        if not self.gpu_offload:
            return 0
        if self.unified_memory:
            return max(0, int(self.ram_available_bytes * 0.75) - RAM_MARGIN)
        if not self.gpus:
            return 0
        return max(0, max(g.free_bytes for g in self.gpus) - GPU_MARGIN)


@dataclass(frozen=True, slots=True)
class FitPlan:
    mode: FitMode
    gpu_layers: int  # for n_gpu_layers: -1 all, 0 none
    layer_count: int
    weights_bytes: int
    kv_bytes: int
    compute_bytes: int
    gpu_bytes: int  # what goes on the GPU
    ram_bytes: int  # what stays in RAM
    reason: str = field(default="")


def kv_cache_bytes(info: ModelWeights, n_ctx: int, kv_type: str = "f16") -> int:
    return int(info.kv_values_per_token * n_ctx * KV_BYTES_PER_VALUE[kv_type])


def compute_bytes(info: ModelWeights, n_ctx: int = 0, flash_attention: bool = True) -> int:
    logits = info.vocab_size * BATCH * 4
    scores = 0 if flash_attention else n_ctx * BATCH * info.attention_heads * 4
    return max(logits, scores) + ACTIVATIONS


def _gb(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


def plan_fit(info: ModelWeights, hw: Hardware, n_ctx: int, kv_type: str = "f16") -> FitPlan:
    """Where the model goes on ``hw`` at ``n_ctx`` tokens of context."""
    layers = len(info.layer_bytes)
    weights = info.weights_bytes
    kv = kv_cache_bytes(info, n_ctx, kv_type)
    kv_layer = kv // layers if layers else 0
    compute = compute_bytes(info, n_ctx, flash_attention=kv_type != "f16")
    need = weights + kv + compute
    budget = hw.gpu_budget
    ram_room = max(0, hw.ram_available_bytes - RAM_MARGIN)
    quant = info.quantization

    def plan(mode: FitMode, n: int, gpu: int, ram: int, reason: str) -> FitPlan:
        return FitPlan(mode, n, layers, weights, kv, compute, gpu, ram, reason)

    if budget >= need:
        where = (
            translate("FitPlan", "unified memory")
            if hw.unified_memory
            else translate("FitPlan", "the {gpu}").format(gpu=hw.gpus[0].name)
            if hw.gpus
            else translate("FitPlan", "the GPU")
        )
        reason = translate("FitPlan", "{quant} fits entirely in {where} ({size}).")
        return plan("gpu", -1, need, 0, reason.format(quant=quant, where=where, size=_gb(need)))

    # As many blocks as fit on the GPU, with their share of the KV cache and the buffers.
    on_gpu = 0
    used = compute if budget else 0
    for size in info.layer_bytes:
        if used + size + kv_layer > budget:
            break
        used += size + kv_layer
        on_gpu += 1
    in_ram = need - (used if on_gpu else 0)
    if in_ram > ram_room:
        return plan(
            "none",
            0,
            0,
            in_ram,
            (
                translate(
                    "FitPlan",
                    "{quant} needs {size} of RAM besides the GPU, and {free} is free: choose a "
                    "smaller quantization or a shorter context.",
                )
                if on_gpu
                else translate(
                    "FitPlan",
                    "{quant} needs {size} of RAM, and {free} is free: choose a smaller "
                    "quantization or a shorter context.",
                )
            ).format(quant=quant, size=_gb(in_ram), free=_gb(ram_room)),
        )
    if on_gpu:
        return plan(
            "partial",
            on_gpu,
            used,
            in_ram,
            translate(
                "FitPlan",
                "{quant}: {gpu} of {all} layers on the GPU ({used}), the rest in RAM ({ram}).",
            ).format(quant=quant, gpu=on_gpu, all=layers, used=_gb(used), ram=_gb(in_ram)),
        )
    reason = translate("FitPlan", "{quant} runs on the CPU, in {size} of RAM.")
    return plan("cpu", 0, 0, need, reason.format(quant=quant, size=_gb(need)))


# Decoding reads every weight once per token, so memory bandwidth bounds the speed;
# llama.cpp reaches about 60% of that bound (FACTS: ~40 of ~50 tok/s on a 4090).
EFFICIENCY = 0.6
RAM_BANDWIDTH_GUESS = 60e9  # two channels of DDR5 (77 GB/s peak), when the machine does not say
GPU_BANDWIDTH_GUESS = 400e9  # a mid-range discrete GPU, when NVML doesn't say


def expected_tokens_per_second(plan: FitPlan, hw: Hardware) -> float | None:
    """A rough decode speed for ``plan`` on ``hw``: None when the model does not fit."""
    if plan.mode == "none" or not plan.weights_bytes:
        return None
    ram_bw = hw.ram_bandwidth or RAM_BANDWIDTH_GUESS
    if hw.unified_memory:
        gpu_bw = ram_bw
    else:
        known = [g.bandwidth for g in hw.gpus if g.bandwidth]
        gpu_bw = max(known) if known else GPU_BANDWIDTH_GUESS
    if plan.mode == "gpu":
        share = 1.0
    elif plan.mode == "partial":
        share = plan.gpu_layers / plan.layer_count
    else:
        share = 0.0
    on_gpu = plan.weights_bytes * share
    seconds = on_gpu / gpu_bw + (plan.weights_bytes - on_gpu) / ram_bw
    return EFFICIENCY / seconds


def kv_cache_advice(info: ModelWeights, hw: Hardware, n_ctx: int) -> str:
    """A sentence when a q8_0 KV cache would put more of the model on the GPU, else ""."""
    f16 = plan_fit(info, hw, n_ctx, "f16")
    q8 = plan_fit(info, hw, n_ctx, "q8_0")

    def on_gpu(plan: FitPlan) -> int:
        return plan.layer_count if plan.mode == "gpu" else plan.gpu_layers

    if q8.mode == "none" or (f16.mode != "none" and on_gpu(q8) <= on_gpu(f16)):
        return ""
    if q8.mode == "gpu":
        gain = translate("FitPlan", "puts the whole model on the GPU")
    elif q8.mode == "partial":
        gain = translate("FitPlan", "puts {q8} layers on the GPU instead of {f16}").format(
            q8=q8.gpu_layers, f16=on_gpu(f16)
        )
    else:
        gain = translate("FitPlan", "makes it fit in RAM")
    return translate(
        "FitPlan",
        "A q8_0 KV cache (half the memory, with flash attention) {gain} at {tokens:,} tokens.",
    ).format(gain=gain, tokens=n_ctx)
