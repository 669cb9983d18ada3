"""One rule for loading a model from the settings file, for the window and the CLI."""

from __future__ import annotations

from app.core.settings import AppSettings
from app.engine.local_engine import LoadSettings, load_settings_from


def test_the_settings_file_gives_everything_when_no_flag_is_given() -> None:
    settings = AppSettings(context_length=8192, gpu_layers=10, threads=3, kv_cache_type="q8_0")
    assert load_settings_from(settings) == LoadSettings(
        context_length=8192, gpu_layers=10, threads=3, kv_cache_type="q8_0"
    )


def test_a_flag_wins_over_the_settings_file() -> None:
    settings = AppSettings(context_length=8192, gpu_layers=10, threads=3)
    load = load_settings_from(settings, context_length=2048, gpu_layers=0, threads=1)
    assert (load.context_length, load.gpu_layers, load.threads) == (2048, 0, 1)


def test_defaults_stay_automatic_and_an_unknown_cache_type_falls_back_to_f16() -> None:
    load = load_settings_from(AppSettings(kv_cache_type="q4_weird"))
    assert load == LoadSettings()
