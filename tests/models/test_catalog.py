"""The shipped catalog, the fit of each quant on typical machines, and the advice."""

from __future__ import annotations

import json
from pathlib import Path

from app.engine.hardware import apple_bandwidth
from app.engine.offload_plan import GIB, Gpu, Hardware, expected_tokens_per_second
from app.models.catalog import Catalog, fits, recommend, why
from app.models.overview import overview
from app.models.sources import RemoteFile, split_parts

RTX_4070 = Hardware(32 * GIB, 26 * GIB, (Gpu("RTX 4070", 12 * GIB, int(11.5 * GIB), 504e9),), gpu_offload=True)  # fmt: skip
RTX_4090 = Hardware(64 * GIB, 50 * GIB, (Gpu("RTX 4090", 24 * GIB, int(23.4 * GIB), 1008e9),), gpu_offload=True)  # fmt: skip
H100 = Hardware(256 * GIB, 200 * GIB, (Gpu("H100", 80 * GIB, 79 * GIB, 3.35e12),), gpu_offload=True)  # fmt: skip
M2_PRO_32 = Hardware(32 * GIB, 28 * GIB, unified_memory=True, gpu_offload=True, ram_bandwidth=200e9, chip="Apple M2 Pro")  # fmt: skip
LAPTOP_16 = Hardware(16 * GIB, 12 * GIB)


def test_the_shipped_catalog_has_the_official_files_and_smaller_community_quants() -> None:
    catalog = Catalog.shipped()
    official = {e.quant: e for e in catalog.entries if e.official}
    assert set(official) >= {"Q4_K_M", "Q5_0", "Q5_K_M", "Q6_K", "Q8_0", "F16"}
    assert official["Q4_K_M"].files[0].path == "qwq-32b-q4_k_m.gguf"
    assert 19e9 < official["Q4_K_M"].size < 21e9
    fp16 = official["F16"]
    assert [f.path for f in fp16.files] == split_parts("fp16/qwq-32b-fp16-00001-of-00017.gguf")
    smaller = [e for e in catalog.entries if not e.official]
    assert smaller and max(e.size for e in smaller) < official["Q4_K_M"].size
    assert all(e.size < 16e9 for e in smaller if e.quant.startswith(("Q2", "IQ2", "Q3_K_M")))
    assert len({e.key for e in catalog.entries}) == len(catalog.entries)
    assert catalog.modelscope["Qwen/QwQ-32B-GGUF"] == "Qwen/QwQ-32B-GGUF"


def test_a_12_gb_card_gets_q4_k_m_partly_offloaded_at_a_useful_speed() -> None:
    catalog = Catalog.shipped()
    options = fits(catalog, RTX_4070, 32768)
    q4 = next(f for f in options if f.entry.quant == "Q4_K_M")
    assert q4.plan.mode == "partial"
    assert 15 <= q4.plan.gpu_layers <= 35
    assert q4.tokens_per_second is not None and 2 < q4.tokens_per_second < 15
    best = recommend(options)
    assert best is not None and best.plan.mode in ("partial", "gpu")
    sentence = why(best, RTX_4070)
    assert (best.entry.quant in sentence and "layers" in sentence) or "GPU" in sentence


def test_a_24_gb_card_runs_a_3_bit_quant_entirely_on_the_gpu() -> None:
    best = recommend(fits(Catalog.shipped(), RTX_4090, 32768))
    assert best is not None and best.plan.mode == "gpu"
    assert best.tokens_per_second is not None and best.tokens_per_second > 25
    # At 8K context Q4_K_M (19.9 GB + 2 GiB of cache) fits a 4090 entirely.
    q4 = next(f for f in fits(Catalog.shipped(), RTX_4090, 8192) if f.entry.quant == "Q4_K_M")
    assert q4.plan.mode == "gpu"


def test_an_80_gb_gpu_gets_q8_0_and_apple_silicon_uses_unified_memory() -> None:
    best = recommend(fits(Catalog.shipped(), H100, 32768))
    assert best is not None and best.entry.quant in ("Q8_0", "F16")
    mac = recommend(fits(Catalog.shipped(), M2_PRO_32, 8192))
    assert mac is not None and mac.plan.mode == "gpu" and mac.entry.size < 20e9
    assert "unified memory" in why(mac, M2_PRO_32)
    assert apple_bandwidth("Apple M2 Pro") == 200e9


def test_a_cpu_only_desktop_gets_a_small_quant_and_a_16_gb_laptop_gets_the_truth(
    tmp_path: Path,
) -> None:
    desktop = Hardware(32 * GIB, 24 * GIB)
    options = fits(Catalog.shipped(), desktop, 8192)
    best = recommend(options)
    assert best is not None and best.plan.mode == "cpu" and best.entry.size < 20e9
    assert expected_tokens_per_second(best.plan, desktop) is not None
    assert "runs on the CPU" in why(best, desktop)
    laptop = fits(Catalog.shipped(), LAPTOP_16, 8192)
    q4 = next(f for f in laptop if f.entry.quant == "Q4_K_M")
    assert q4.plan.mode == "none" and "choose a smaller" in q4.plan.reason
    assert recommend(laptop) is None
    view = overview(tmp_path, None, hardware=LAPTOP_16, context=8192)
    assert "no QwQ-32B file fits this machine" in view.headline()


def test_no_recommendation_larger_than_the_free_disk() -> None:
    options = fits(Catalog.shipped(), RTX_4090, 32768)
    best = recommend(options, free_disk=int(13e9))
    assert best is not None and best.entry.size < 13e9


def test_a_source_refresh_is_cached_and_preferred(tmp_path: Path) -> None:
    catalog = Catalog.shipped()
    entry = catalog.find("q4_k_m")
    assert entry is not None and catalog.find("qwq-32b-q4_k_m.gguf") == entry
    exact = RemoteFile(entry.repo, entry.files[0].path, 19_851_336_832, "ab" * 32, "u", "c")
    catalog.with_remote(entry, [exact]).save(tmp_path)
    again = Catalog.load(tmp_path).find("q4_k_m")
    assert again is not None and again.size == 19_851_336_832
    assert again.files[0].sha256 == "ab" * 32
    # A damaged cache falls back to the shipped catalog.
    (tmp_path / "catalog.json").write_text("{not json")
    assert Catalog.load(tmp_path).find("q4_k_m") == entry


def test_overview_reads_no_network_and_explains_itself(tmp_path: Path) -> None:
    view = overview(tmp_path / "models", tmp_path / "cache", hardware=RTX_4070)
    assert view.headline().startswith("RTX 4070 12 GB + 32 GB RAM: ")
    assert "tokens/s expected" in view.headline()
    data = json.loads(json.dumps(view.to_json()))
    assert data["recommended"] in {c["key"] for c in data["catalog"]}
    assert data["local"] == []
