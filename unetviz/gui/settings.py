"""What the app remembers between runs: window layout, last config, recent files (QSettings, org "unetviz").

`UNETVIZ_SETTINGS_DIR` moves the store to a folder of its own, so tests never touch the user's settings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from unetviz.core.config import UNetConfig, from_dict
from unetviz.core.errors import ConfigError

ORGANIZATION = "unetviz"
APPLICATION = "unetviz"
SETTINGS_DIR_ENV = "UNETVIZ_SETTINGS_DIR"
MAX_RECENT = 8


class AppSettings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._store = qsettings if qsettings is not None else open_store()

    @property
    def path(self) -> str:
        return self._store.fileName()

    @property
    def folder(self) -> Path:
        """Where the settings file lives; the autosave goes beside it."""
        return Path(self._store.fileName()).parent

    def problem(self) -> str:
        """One line if the settings file could not be read (the app then starts from its defaults), else ""."""
        if self._store.status() == QSettings.Status.NoError:
            return ""
        return f"the settings file {self.path} could not be read; starting from the defaults"

    def last_config(self) -> UNetConfig | None:
        """The config shown when the app last closed; None on a first start or if it no longer loads."""
        text = self._store.value("last_config")
        if not isinstance(text, str) or not text:
            return None
        try:
            return from_dict(json.loads(text), source="last config")
        except (ValueError, TypeError, AttributeError, ConfigError):  # old, hand-edited or damaged: use the preset
            return None

    def set_last_config(self, cfg: UNetConfig) -> None:
        self._store.setValue("last_config", cfg.to_json())

    def last_path(self) -> Path | None:
        """The file the last config was linked to (File → Save writes there), if it still exists."""
        text = self._store.value("last_path")
        return Path(text) if isinstance(text, str) and text and Path(text).is_file() else None

    def set_last_path(self, path: Path | None) -> None:
        self._store.setValue("last_path", str(path.resolve()) if path is not None else "")

    def recent_files(self) -> list[str]:
        value = self._store.value("recent_files")
        if isinstance(value, str):  # QSettings gives a lone string for a one-element list
            value = [value]
        if not isinstance(value, list):  # a damaged store
            return []
        return [str(v) for v in value if str(v)][:MAX_RECENT]

    def add_recent_file(self, path: str | Path) -> list[str]:
        text = str(Path(path).resolve())
        recent = [text, *(p for p in self.recent_files() if p != text)][:MAX_RECENT]
        self._store.setValue("recent_files", recent)
        return recent

    def remove_recent_file(self, path: str) -> list[str]:
        recent = [p for p in self.recent_files() if p != path]
        self._store.setValue("recent_files", recent)
        return recent

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry, state = self._store.value("window/geometry"), self._store.value("window/state")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def set_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self._store.setValue("window/geometry", geometry)
        self._store.setValue("window/state", state)

    def sync(self) -> None:
        self._store.sync()


def open_store() -> QSettings:
    folder = os.environ.get(SETTINGS_DIR_ENV)
    if folder:
        return QSettings(str(Path(folder) / f"{APPLICATION}.ini"), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)
