from __future__ import annotations

from pathlib import Path

from app.core.paths import AppPaths
from app.core.settings import AppSettings


def test_defaults_are_the_model_card(app_home: Path) -> None:
    s = AppSettings.load()
    assert s.sampling_settings().temperature == 0.6 and s.sampling_settings().top_k == 40
    assert (s.context_length, s.gpu_layers, s.theme) == (None, None, "system")


def test_round_trip_and_lenient_loading(app_home: Path) -> None:
    s = AppSettings(theme="dark", context_length=65536, gpu_layers=20)
    s.sampling["temperature"] = 0.7
    s.save()
    loaded = AppSettings.load()
    assert (loaded.theme, loaded.context_length, loaded.gpu_layers) == ("dark", 65536, 20)
    assert loaded.sampling_settings().temperature == 0.7
    path = AppSettings.path()
    assert path.parent == AppPaths.current().config
    path.write_text('{"theme": "purple", "sampling": {"top_p": 99}, "unknown": 1}')
    odd = AppSettings.load()
    assert odd.theme == "system" and odd.sampling_settings().top_p == 0.95
    path.write_text("{ not json")
    assert AppSettings.load() == AppSettings()


def test_the_loop_guard_setting_round_trips_and_a_bad_one_reads_as_the_default(
    app_home: Path,
) -> None:
    assert AppSettings().loop_guard == "answer"
    AppSettings(loop_guard="off").save()
    assert AppSettings.load().loop_guard == "off"
    path = AppSettings.path(AppPaths.current())
    path.write_text('{"loop_guard": "explode"}', encoding="utf-8")
    assert AppSettings.load().loop_guard == "answer"
