"""The app's model: the one current UNetConfig, the file it came from, and its undo history.

Views never keep a copy of a field: they read `document.config` and listen to `changed`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from unetviz.core.config import FIELD_NAMES, UNetConfig

_MERGE_ID = 1


def changed_fields(before: UNetConfig, after: UNetConfig) -> tuple[str, ...]:
    return tuple(f for f in FIELD_NAMES if getattr(before, f) != getattr(after, f))


class _Snapshot(QUndoCommand):
    """Swap one whole config for another; consecutive edits of the same field merge into one step."""

    def __init__(self, document: ConfigDocument, before: UNetConfig, after: UNetConfig, text: str) -> None:
        super().__init__(text)
        self._document = document
        self.before = before
        self.after = after
        # The name that marks a preset as edited comes with the first edit: it is not a field of its own.
        fields = [f for f in changed_fields(before, after) if f != "name"] or ["name"]
        # Spinning depth 4→5→6 is one edit to undo; a preset or Reset changes many fields and stays separate.
        self.merge_key = fields[0] if len(fields) == 1 else None

    def id(self) -> int:
        return _MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _Snapshot) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        self._document._show(self.after)

    def undo(self) -> None:
        self._document._show(self.before)


class ConfigDocument(QObject):
    changed = Signal(object)  # the new UNetConfig
    path_changed = Signal(object)  # Path | None
    dirty_changed = Signal(bool)

    def __init__(self, cfg: UNetConfig, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._config = cfg
        self._path = path
        self.undo_stack = QUndoStack(self)
        # A method, not a lambda: Qt drops the connection when the document goes, before the stack does.
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    @property
    def config(self) -> UNetConfig:
        return self._config

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def edit(self, cfg: UNetConfig, text: str | None = None) -> None:
        """Make `cfg` current as one undoable step (nothing happens if it is the current config)."""
        if cfg == self._config:
            return
        fields = changed_fields(self._config, cfg)
        label = text or ("Change " + ", ".join(f.replace("_", " ") for f in fields[:3]))
        self.undo_stack.push(_Snapshot(self, self._config, cfg, label))

    def load(self, cfg: UNetConfig, path: Path | None) -> None:
        """A fresh document (New, Open): no history, nothing unsaved."""
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._set_path(path)
        self._config = cfg
        self.changed.emit(cfg)  # even the same config: views drop what they showed instead (a half-typed cell)

    def relink(self, path: Path, saved: bool) -> None:
        """A restart: the config is linked to its file again, unsaved when it differs from the file's."""
        self._set_path(path)
        if saved:
            self.undo_stack.setClean()
        else:
            self.undo_stack.resetClean()  # no step to undo back to a clean state: dirty until saved

    def mark_saved(self, path: Path) -> None:
        self._set_path(path)
        self.undo_stack.setClean()

    def _on_clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)

    def _set_path(self, path: Path | None) -> None:
        if path != self._path:
            self._path = path
            self.path_changed.emit(path)

    def _show(self, cfg: UNetConfig) -> None:
        if cfg != self._config:
            self._config = cfg
            self.changed.emit(cfg)
