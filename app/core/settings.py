"""The app's settings: a JSON file in the config folder, read leniently, written atomically."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from app.core.paths import AppPaths
from app.core.sampling import SamplingSettings
from app.core.thinking import LOOP_ACTIONS, LoopAction

log = logging.getLogger(__name__)
FILE_NAME = "settings.json"
DEFAULT_SNAPSHOT_BUDGET_GB = 16.0  # a few long QwQ-32B conversations (f16 KV: ~0.25 MB a token)
MAX_SNAPSHOT_BUDGET_GB = 100_000.0
Theme = Literal["system", "light", "dark"]
Language = Literal["system", "en", "zh_CN"]  # the window's; "system" follows the locale
MCP_SERVERS_KEY = "mcpServers"  # the key every MCP client uses in its settings file
LANGUAGES: tuple[Language, ...] = ("system", "en", "zh_CN")
# The built-in tools by the names the model sees (app.tools.builtin makes them).
BUILTIN_TOOLS = ("calculator", "python", "datetime", "search_conversations")
DEFAULT_TOOL_ROUNDS = 8
MAX_TOOL_ROUNDS = 64


@dataclass
class AppSettings:
    sampling: dict[str, Any] = field(default_factory=lambda: SamplingSettings().to_dict())
    context_length: int | None = None  # None: 32,768
    gpu_layers: int | None = None  # None: automatic
    threads: int | None = None  # None: llama.cpp's choice
    theme: Theme = "system"
    language: Language = "system"  # applied at the next start (the CLI stays English)
    last_model: str = ""  # the default model
    models: list[str] = field(default_factory=list)  # GGUF files opened from elsewhere
    kv_cache_type: str = "f16"  # or "q8_0" (with flash attention)
    api_port: int = 8080  # the local OpenAI-compatible server, on 127.0.0.1
    loop_guard: LoopAction = "answer"  # a trace that repeats itself: answer, stop, or off
    # How long QwQ may think in a new conversation (each conversation keeps its own):
    # thinking tokens before the answer is forced, and seconds; None: no limit.
    thinking_budget_tokens: int | None = None
    thinking_budget_seconds: float | None = None
    # The last remote endpoint: preset id, base_url, model. Never its key (see core/keys).
    remote: dict[str, str] = field(default_factory=dict)
    # Conversation snapshots (their KV cache on disk, so a follow-up starts warm):
    # the most disk space they may take, in GiB; 0 turns them off.
    snapshot_budget_gb: float = DEFAULT_SNAPSHOT_BUDGET_GB
    # The built-in tools QwQ may call in the window (with a local model); python asks
    # before each run. [] turns tools off: replies are then one generation, as before.
    tools: list[str] = field(default_factory=lambda: list(BUILTIN_TOOLS))
    tool_rounds: int = DEFAULT_TOOL_ROUNDS  # rounds of calls in one reply
    # MCP servers, kept as written under the key other MCP clients use ("mcpServers"), so a
    # block pasted from their docs works and keys we do not know survive a save; read by
    # app.tools.mcp_config.parse_servers (leniently, entry by entry).
    mcp_servers: dict[str, Any] = field(default_factory=dict)

    def sampling_settings(self) -> SamplingSettings:
        return SamplingSettings.from_dict(self.sampling)

    @staticmethod
    def path(paths: AppPaths | None = None) -> Path:
        return (paths or AppPaths.current()).config / FILE_NAME

    @staticmethod
    def load(paths: AppPaths | None = None) -> AppSettings:
        """The saved settings; anything missing or unreadable falls back to the default."""
        path = AppSettings.path(paths)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return AppSettings()
        except (OSError, ValueError) as e:
            log.warning("settings unreadable, using defaults: %s: %s", path, e)
            return AppSettings()
        known = {f.name for f in fields(AppSettings)} - {"mcp_servers"}
        settings = AppSettings()
        for key, value in data.items() if isinstance(data, dict) else ():
            if key in known:
                setattr(settings, key, value)
            elif key == MCP_SERVERS_KEY and isinstance(value, dict):
                settings.mcp_servers = value
        if settings.theme not in ("system", "light", "dark"):
            settings.theme = "system"
        if settings.language not in LANGUAGES:
            settings.language = "system"
        if settings.loop_guard not in LOOP_ACTIONS:
            settings.loop_guard = "answer"
        settings.thinking_budget_tokens = budget_tokens(settings.thinking_budget_tokens)
        settings.thinking_budget_seconds = budget_seconds(settings.thinking_budget_seconds)
        settings.snapshot_budget_gb = snapshot_budget_gb(settings.snapshot_budget_gb)
        settings.tools = tool_names(settings.tools)
        settings.tool_rounds = tool_rounds(settings.tool_rounds)
        settings.sampling = settings.sampling_settings().to_dict()
        return settings

    def save(self, paths: AppPaths | None = None) -> None:
        """Write to a temporary file and rename it over the old one: never half a file."""
        path = AppSettings.path(paths)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        data = asdict(self)
        data[MCP_SERVERS_KEY] = data.pop("mcp_servers")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def tool_names(value: object) -> list[str]:
    """The built-in tools on, as read from a file: known names only, once each."""
    if not isinstance(value, list):
        return list(BUILTIN_TOOLS)
    return [name for name in BUILTIN_TOOLS if name in value]


def tool_rounds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return DEFAULT_TOOL_ROUNDS
    return value if 0 <= value <= MAX_TOOL_ROUNDS else DEFAULT_TOOL_ROUNDS


def budget_tokens(value: object) -> int | None:
    """A thinking budget in tokens as read from a file: a positive whole number, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return int(value) if 1 <= value <= MAX_BUDGET_TOKENS else None


def budget_seconds(value: object) -> float | None:
    """A thinking time limit as read from a file: a positive number of seconds, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value <= MAX_BUDGET_SECONDS else None


def snapshot_budget_gb(value: object) -> float:
    """The snapshots' disk budget as read from a file: 0 (off) or more GiB, else the default."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return DEFAULT_SNAPSHOT_BUDGET_GB
    return float(value) if 0 <= value <= MAX_SNAPSHOT_BUDGET_GB else DEFAULT_SNAPSHOT_BUDGET_GB


MAX_BUDGET_TOKENS = 131_072  # the longest context QwQ has
MAX_BUDGET_SECONDS = 86_400.0  # a day
