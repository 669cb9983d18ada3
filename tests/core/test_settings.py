from __future__ import annotations

import json
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


def test_mcp_servers_are_kept_under_the_key_other_clients_use(app_home: Path) -> None:
    servers = {
        "notes": {"command": "uvx", "args": ["notes-mcp"], "env": {"A": "1"}, "timeout": 9},
        "search": {"url": "http://127.0.0.1:8931/mcp", "readOnlyTools": ["find"]},
    }
    assert AppSettings().mcp_servers == {}
    AppSettings(mcp_servers=servers).save()
    on_disk = json.loads(AppSettings.path().read_text(encoding="utf-8"))
    assert on_disk["mcpServers"] == servers and "mcp_servers" not in on_disk
    assert AppSettings.load().mcp_servers == servers  # unknown keys ("timeout") kept
    AppSettings.path().write_text('{"mcpServers": ["not", "an", "object"], "theme": "dark"}')
    odd = AppSettings.load()
    assert odd.mcp_servers == {} and odd.theme == "dark"
    AppSettings.path().write_text('{"mcp_servers": {"x": {"command": "y"}}}')
    assert AppSettings.load().mcp_servers == {}  # only the shared key is read
