"""Where the app keeps what it stores.

By default the platform's places (platformdirs): for example on Linux
``~/.local/share/qwq-desktop`` for data and ``~/.config/qwq-desktop`` for settings.
The environment variable ``QWQ_DESKTOP_HOME`` moves all of it into one folder,
for portable use and for tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "qwq-desktop"
HOME_ENV = "QWQ_DESKTOP_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    data: Path  # the conversation store
    config: Path  # settings
    cache: Path  # things that can be rebuilt
    logs: Path
    models: Path  # downloaded GGUF files

    @staticmethod
    def current() -> AppPaths:
        home = os.environ.get(HOME_ENV)
        if home:
            root = Path(home).expanduser().resolve()
            return AppPaths(
                data=root / "data",
                config=root / "config",
                cache=root / "cache",
                logs=root / "logs",
                models=root / "models",
            )
        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        data = Path(dirs.user_data_dir)
        return AppPaths(
            data=data,
            config=Path(dirs.user_config_dir),
            cache=Path(dirs.user_cache_dir),
            logs=Path(dirs.user_log_dir),
            models=data / "models",
        )

    def ensure(self) -> AppPaths:
        for folder in (self.data, self.config, self.cache, self.logs, self.models):
            folder.mkdir(parents=True, exist_ok=True)
        return self
