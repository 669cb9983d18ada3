"""The QwQ-32B files one can download, and which of them suits this machine.

The catalog ships with the app (``catalog.json``: the official ``Qwen/QwQ-32B-GGUF``
files and smaller community quants, with sizes and SHA-256 where known). When a
download asks a source about a file, the answer (exact size, SHA-256) is written to
a cached copy that later runs read first: the Hub is the truth when online, the
shipped catalog the fallback. Reading the catalog never opens a connection.

For the fit, a file that is not on disk yet is estimated from the model's shape: the
64 blocks share the weights evenly, besides the embeddings and the output layer.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from app.core.i18n import translate
from app.engine.offload_plan import (
    FitPlan,
    Hardware,
    expected_tokens_per_second,
    kv_cache_advice,
    plan_fit,
)
from app.models.sources import RemoteFile

log = logging.getLogger(__name__)
CACHE_NAME = "catalog.json"
# Quality order, best first, for choosing among the quants that fit.
QUALITY = ["F16", "BF16", "Q8_0", "Q6_K_L", "Q6_K", "Q5_K_L", "Q5_K_M", "Q5_K_S", "Q5_0",
           "Q4_K_L", "Q4_K_M", "Q4_K_S", "Q4_1", "IQ4_NL", "Q4_0", "IQ4_XS", "Q3_K_XL",
           "Q3_K_L", "Q3_K_M", "IQ3_M", "Q3_K_S", "IQ3_XS", "IQ3_XXS", "Q2_K_L", "Q2_K",
           "IQ2_M", "IQ2_S", "IQ2_XS", "IQ2_XXS"]  # fmt: skip


@dataclass(frozen=True, slots=True)
class CatalogFile:
    path: str
    size: int
    sha256: str | None = None
    size_exact: bool = True


@dataclass(frozen=True, slots=True)
class ModelShape:
    architecture: str = "qwen2"
    layers: int = 64
    heads: int = 40
    kv_heads: int = 8
    head_dim: int = 128
    embedding: int = 5120
    vocab: int = 152064
    context: int = 131072


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    quant: str
    repo: str
    files: tuple[CatalogFile, ...]
    official: bool = False
    note: str = ""

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def key(self) -> str:
        """What the CLI takes: the quant in lower case (``q4_k_m``), unique in the catalog."""
        return self.quant.lower()

    @property
    def file_name(self) -> str:
        return Path(self.files[0].path).name

    def remote_files(self) -> list[RemoteFile]:
        """The shipped knowledge as download records (a source refreshes them)."""
        return [RemoteFile(self.repo, f.path, f.size, f.sha256, "", "") for f in self.files]


@dataclass(frozen=True, slots=True)
class EstimatedWeights:
    """A catalog entry's weights, as :func:`plan_fit` needs them, without the file."""

    quantization: str
    layer_bytes: tuple[int, ...]
    other_bytes: int
    kv_values_per_token: int
    vocab_size: int
    attention_heads: int

    @property
    def weights_bytes(self) -> int:
        return sum(self.layer_bytes) + self.other_bytes


@dataclass(frozen=True)
class Catalog:
    model: str
    shape: ModelShape
    entries: tuple[CatalogEntry, ...]
    modelscope: dict[str, str] = field(default_factory=dict)  # Hub repo -> ModelScope repo

    def find(self, key: str) -> CatalogEntry | None:
        wanted = key.strip().lower()
        for entry in self.entries:
            if wanted in (entry.key, entry.file_name.lower()):
                return entry
        return None

    def estimate(self, entry: CatalogEntry) -> EstimatedWeights:
        s = self.shape
        # Token embeddings and the output matrix: vocab x embedding each, at about the
        # file's average bits per weight (params: 64 blocks of ~0.485B, plus these two).
        outside = 2 * s.vocab * s.embedding
        params = outside + s.layers * 485_000_000
        other = int(entry.size * outside / params)
        per_layer = (entry.size - other) // s.layers
        return EstimatedWeights(
            quantization=entry.quant,
            layer_bytes=(per_layer,) * s.layers,
            other_bytes=other,
            kv_values_per_token=s.layers * s.kv_heads * s.head_dim * 2,
            vocab_size=s.vocab,
            attention_heads=s.heads,
        )

    def with_remote(self, entry: CatalogEntry, files: list[RemoteFile]) -> Catalog:
        """This catalog with ``entry``'s sizes and SHA-256 as a source just gave them."""
        by_path = {f.path: f for f in files}
        updated = replace(
            entry,
            files=tuple(
                CatalogFile(f.path, by_path[f.path].size, by_path[f.path].sha256 or f.sha256)
                if f.path in by_path
                else f
                for f in entry.files
            ),
        )
        entries = tuple(updated if e == entry else e for e in self.entries)
        return replace(self, entries=entries)

    # --- persistence --------------------------------------------------------------
    @staticmethod
    def shipped() -> Catalog:
        text = resources.files("app.models").joinpath(CACHE_NAME).read_text(encoding="utf-8")
        return Catalog.from_json(json.loads(text))

    @staticmethod
    def load(cache: Path | None = None) -> Catalog:
        """The cached copy (refreshed by downloads) if readable, else the shipped one."""
        shipped = Catalog.shipped()
        if cache is None:
            return shipped
        try:
            cached = Catalog.from_json(json.loads((cache / CACHE_NAME).read_text("utf-8")))
        except FileNotFoundError:
            return shipped
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("cached catalog unreadable, using the shipped one: %s", e)
            return shipped
        # Entries the shipped catalog knows and the cache doesn't (an app update) come too.
        known = {(e.repo, e.quant) for e in cached.entries}
        extra = tuple(e for e in shipped.entries if (e.repo, e.quant) not in known)
        return replace(cached, entries=cached.entries + extra)

    def save(self, cache: Path) -> None:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / (CACHE_NAME + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, cache / CACHE_NAME)

    @staticmethod
    def from_json(data: dict[str, Any]) -> Catalog:
        shape = ModelShape(**data.get("shape", {}))
        entries = tuple(
            CatalogEntry(
                quant=str(e["quant"]),
                repo=str(e["repo"]),
                files=tuple(
                    CatalogFile(
                        str(f["path"]),
                        int(f["size"]),
                        f.get("sha256") or None,
                        bool(f.get("size_exact", True)),
                    )
                    for f in e["files"]
                ),
                official=bool(e.get("official", False)),
                note=str(e.get("note", "")),
            )
            for e in data["entries"]
        )
        modelscope = dict(data.get("sources", {}).get("modelscope", {}))
        return Catalog(str(data.get("model", "QwQ-32B")), shape, entries, modelscope)

    def to_json(self) -> dict[str, Any]:
        s = self.shape
        return {
            "version": 1,
            "model": self.model,
            "shape": {
                "architecture": s.architecture,
                "layers": s.layers,
                "heads": s.heads,
                "kv_heads": s.kv_heads,
                "head_dim": s.head_dim,
                "embedding": s.embedding,
                "vocab": s.vocab,
                "context": s.context,
            },
            "sources": {"modelscope": self.modelscope},
            "entries": [
                {
                    "quant": e.quant,
                    "repo": e.repo,
                    "official": e.official,
                    "note": e.note,
                    "files": [
                        {
                            "path": f.path,
                            "size": f.size,
                            "sha256": f.sha256,
                            "size_exact": f.size_exact,
                        }
                        for f in e.files
                    ],
                }
                for e in self.entries
            ],
        }


@dataclass(frozen=True, slots=True)
class Fit:
    entry: CatalogEntry
    plan: FitPlan
    tokens_per_second: float | None
    kv_advice: str = ""  # when a q8_0 KV cache would put more of it on the GPU

    @property
    def usable(self) -> bool:
        return self.plan.mode != "none"


def quality_rank(quant: str) -> int:
    try:
        return QUALITY.index(quant.upper())
    except ValueError:
        return len(QUALITY)


def fits(catalog: Catalog, hw: Hardware, n_ctx: int) -> list[Fit]:
    """Every entry's plan on ``hw``, best quality first."""
    result = []
    for entry in sorted(catalog.entries, key=lambda e: (quality_rank(e.quant), -e.size)):
        weights = catalog.estimate(entry)
        plan = plan_fit(weights, hw, n_ctx)
        advice = kv_cache_advice(weights, hw, n_ctx)
        result.append(Fit(entry, plan, expected_tokens_per_second(plan, hw), advice))
    return result


MIN_USEFUL_SPEED = 4.0  # tokens/s below which a 32B reasoning model is a chore


def recommend(options: list[Fit], free_disk: int | None = None) -> Fit | None:
    """The one to download: the best quality that runs all on the GPU; else the best
    that is quick enough; else the best that runs at all. Official files win ties."""
    usable = [f for f in options if f.usable and (free_disk is None or f.entry.size < free_disk)]
    if not usable:
        return None

    def best(candidates: list[Fit]) -> Fit:
        return min(candidates, key=lambda f: (quality_rank(f.entry.quant), not f.entry.official))

    on_gpu = [f for f in usable if f.plan.mode == "gpu"]
    # Q8 and FP16 on a huge GPU are fine, but Q4_K_M is the card's pick: prefer it or better
    # only when it all fits; else the biggest quant whose speed is still useful.
    if on_gpu:
        return best(on_gpu)
    quick = [f for f in usable if (f.tokens_per_second or 0) >= MIN_USEFUL_SPEED]
    # Nothing is quick: it will be slow whichever, so take the best quality that runs.
    return best(quick or usable)


def why(fit: Fit, hw: Hardware) -> str:
    """One sentence: why this file, on this machine."""
    speed = (
        translate("Catalog", ", about {speed:.0f} tokens/s").format(speed=fit.tokens_per_second)
        if fit.tokens_per_second
        else ""
    )
    plan = fit.plan
    quant = fit.entry.quant
    if plan.mode == "gpu":
        if hw.unified_memory:
            text = translate(
                "Catalog",
                "{quant} is the best quality that fits entirely in unified memory{speed}.",
            )
        else:
            text = translate(
                "Catalog", "{quant} is the best quality that fits entirely on the GPU{speed}."
            )
        return text.format(quant=quant, speed=speed)
    if plan.mode == "partial":
        return translate(
            "Catalog",
            "{quant}: {gpu} of {all} layers fit on the GPU and the rest runs from RAM{speed}.",
        ).format(quant=quant, gpu=plan.gpu_layers, all=plan.layer_count, speed=speed)
    return translate(
        "Catalog", "{quant} runs on the CPU from RAM{speed}; a GPU would be much faster."
    ).format(quant=quant, speed=speed)
