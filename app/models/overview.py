"""What this machine can run and what is already on it: one picture for the CLI's
``models`` and the window's first run. Reading it opens no network connection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.format import size
from app.core.i18n import translate
from app.engine.hardware import detect, free_disk
from app.engine.offload_plan import Hardware
from app.models import library
from app.models.catalog import Catalog, Fit, fits, recommend, why
from app.models.download import PART, part_size, target_folder
from app.models.library import LocalModel

DEFAULT_CONTEXT = 32768


@dataclass(frozen=True)
class Overview:
    hardware: Hardware
    free_disk: int
    models_folder: Path
    context: int
    fits: list[Fit]
    recommended: Fit | None
    local: list[LocalModel]
    partial: dict[str, int]  # catalog key -> bytes already downloaded

    def machine(self) -> str:
        """ "NVIDIA GeForce RTX 4070 12 GB + 32 GB RAM", "Apple M2 Pro, 32 GB unified memory"."""
        hw = self.hardware
        ram = f"{hw.ram_total_bytes / 1024**3:.0f} GB"
        if hw.unified_memory:
            return translate("Overview", "{chip}, {ram} unified memory").format(
                chip=hw.chip or "Apple Silicon", ram=ram
            )
        parts = [f"{g.name} {g.total_bytes / 1024**3:.0f} GB" for g in hw.gpus]
        text = " + ".join([*parts, translate("Overview", "{ram} RAM").format(ram=ram)])
        if hw.gpus and not hw.gpu_offload:
            text += translate("Overview", " (this llama.cpp build runs on the CPU only)")
        return text

    def headline(self) -> str:
        """The first-run sentence: machine, recommended file, where it runs, speed."""
        if self.recommended is None:
            return translate(
                "Overview",
                "{machine}: no QwQ-32B file fits this machine ({disk} free disk). A remote "
                "endpoint or a bigger machine is needed.",
            ).format(machine=self.machine(), disk=size(self.free_disk))
        fit = self.recommended
        plan = fit.plan
        where = {
            "gpu": translate("Overview", "all on the GPU"),
            "partial": translate("Overview", "{gpu} of {all} layers on the GPU").format(
                gpu=plan.gpu_layers, all=plan.layer_count
            ),
            "cpu": translate("Overview", "on the CPU"),
        }.get(plan.mode, "")
        speed = (
            translate("Overview", ", ~{speed:.0f} tokens/s expected").format(
                speed=fit.tokens_per_second
            )
            if fit.tokens_per_second
            else ""
        )
        return translate("Overview", "{machine}: {quant}, {where}{speed}").format(
            machine=self.machine(), quant=fit.entry.quant, where=where, speed=speed
        )

    def reason(self) -> str:
        if self.recommended is None:
            return ""
        advice = self.recommended.kv_advice
        return why(self.recommended, self.hardware) + (f" {advice}" if advice else "")

    def downloaded(self, fit: Fit) -> LocalModel | None:
        folder = target_folder(self.models_folder, fit.entry.repo)
        first = folder / fit.entry.file_name
        return next((m for m in self.local if m.path == first), None)

    def to_json(self) -> dict[str, Any]:
        hw = self.hardware
        return {
            "machine": self.machine(),
            "hardware": {
                "ram_total": hw.ram_total_bytes,
                "ram_available": hw.ram_available_bytes,
                "gpus": [
                    {"name": g.name, "total": g.total_bytes, "free": g.free_bytes} for g in hw.gpus
                ],
                "unified_memory": hw.unified_memory,
                "gpu_offload": hw.gpu_offload,
                "free_disk": self.free_disk,
            },
            "models_folder": str(self.models_folder),
            "context": self.context,
            "recommended": self.recommended.entry.key if self.recommended else None,
            "why": self.reason(),
            "catalog": [
                {
                    "key": f.entry.key,
                    "quant": f.entry.quant,
                    "repo": f.entry.repo,
                    "official": f.entry.official,
                    "files": [x.path for x in f.entry.files],
                    "size": f.entry.size,
                    "fit": f.plan.mode,
                    "gpu_layers": f.plan.gpu_layers,
                    "layer_count": f.plan.layer_count,
                    "reason": f.plan.reason,
                    "kv_cache_advice": f.kv_advice or None,
                    "tokens_per_second": (
                        round(f.tokens_per_second, 1) if f.tokens_per_second else None
                    ),
                    "downloaded": self.downloaded(f) is not None,
                    "partial_bytes": self.partial.get(f.entry.key, 0),
                }
                for f in self.fits
            ],
            "local": [
                {
                    "path": str(m.path),
                    "parts": len(m.parts),
                    "size": m.size,
                    "quant": m.quant,
                    "name": m.name,
                    "architecture": m.architecture,
                    "downloaded": m.downloaded,
                    "problem": m.problem or None,
                }
                for m in self.local
            ],
        }


def overview(
    models_folder: Path,
    cache: Path | None,
    remembered: list[str] | None = None,
    context: int | None = None,
    hardware: Hardware | None = None,
) -> Overview:
    hw = hardware or detect()
    catalog = Catalog.load(cache)
    disk = free_disk(models_folder)
    n_ctx = context or DEFAULT_CONTEXT
    options = fits(catalog, hw, n_ctx)
    partial = {}
    for fit in options:
        folder = target_folder(models_folder, fit.entry.repo)
        if any((folder / (f.name + PART)).exists() for f in fit.entry.remote_files()):
            partial[fit.entry.key] = sum(part_size(folder, f) for f in fit.entry.remote_files())
    return Overview(
        hardware=hw,
        free_disk=disk,
        models_folder=models_folder,
        context=n_ctx,
        fits=options,
        recommended=recommend(options, disk + sum(partial.values())),
        local=library.scan(models_folder, remembered),
        partial=partial,
    )
