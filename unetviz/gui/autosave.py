"""Crash safety: the current config is written beside the settings shortly after every change, atomically,
and marked clean when the app closes. A start that finds an autosave not marked clean restores it.

The file is small JSON: {"clean": bool, "config": {...}}. A damaged file never stops the app from starting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from unetviz.core.config import UNetConfig, from_dict
from unetviz.core.errors import ConfigError
from unetviz.report.export import write_text

AUTOSAVE_NAME = "autosave.json"
AUTOSAVE_DELAY_MS = 300


@dataclass(frozen=True)
class Recovered:
    config: UNetConfig | None  # the config being edited when the app last stopped without closing
    problem: str  # one line if the autosave could not be read, else ""


def read_unclean(path: Path) -> Recovered:
    """What the last session left: a config to restore only if that session did not close cleanly."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Recovered(None, "")
    except UnicodeDecodeError:
        return Recovered(None, f"the autosave {path} is damaged; ignored")
    except OSError as exc:
        return Recovered(None, f"the autosave {path} could not be read ({exc.strerror or exc}); ignored")
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        if data.get("clean") is True:
            return Recovered(None, "")
        return Recovered(from_dict(data["config"], source="autosave"), "")
    except (ValueError, KeyError, TypeError, AttributeError, ConfigError):
        return Recovered(None, f"the autosave {path} is damaged; ignored")


class Autosave(QObject):
    """Debounced, atomic writes of the current config; `close` marks the session clean."""

    saved = Signal()  # the file on disk holds the newest config

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.error = ""  # why the last write failed, "" if it did not
        self._config: UNetConfig | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self.flush)

    def changed(self, cfg: UNetConfig) -> None:
        self._config = cfg
        self._timer.start()

    def flush(self, clean: bool = False) -> bool:
        """Write now; False (and `error` set) if the folder cannot take it."""
        self._timer.stop()
        if self._config is None:
            return False
        text = json.dumps({"clean": clean, "config": self._config.to_dict()}, indent=1)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text(self.path, text)
        except OSError as exc:
            self.error = f"cannot autosave to {self.path}: {exc.strerror or exc}"
            return False
        self.error = ""
        self.saved.emit()
        return True

    def close(self) -> None:
        """A clean close: the next start has nothing to restore."""
        self.flush(clean=True)
