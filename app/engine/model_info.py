"""What the app shows and decides about a loaded model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ModelInfo:
    path: Path
    name: str
    architecture: str
    parameter_count: int
    parameter_label: str  # "32.8B"
    quantization: str  # "Q4_K_M"
    layer_count: int | None
    trained_context: int | None
    chat_template: str | None  # None: the GGUF has none, ChatML is used
    file_size: int
    context_length: int  # the context allocated
    rope_scaling: str  # "none" or "yarn"
    gpu_layers: int  # layers offloaded to the GPU
    backend: str  # "CPU", "CUDA", "Metal", ...
    context_note: str = ""  # why the context differs from the one asked for, if it does
    load_note: str = ""  # e.g. a retry with fewer GPU layers after running out of memory
    kv_cache_type: str = "f16"
