"""File commands: new, open, save, recent files, and export through the same code as the CLI.

Dialogs only pick a path; `open_path`, `save_to`, `export_diagram` and `export_table` do the work (and are
what the tests call). Exports run in the worker; errors are shown once and the app keeps running.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from unetviz.core.config import load_config, load_preset
from unetviz.core.errors import ConfigError
from unetviz.gui.text import app_message
from unetviz.report.export import write_text
from unetviz.report.tables import render_table

if TYPE_CHECKING:
    from unetviz.core.analysis import Analysis
    from unetviz.core.config import UNetConfig
    from unetviz.gui.main_window import MainWindow

CONFIG_FILTER = "unetviz config (*.json);;All files (*)"
DIAGRAM_FILTERS = {
    "SVG (*.svg)": ".svg",
    "PNG (*.png)": ".png",
    "PDF (*.pdf)": ".pdf",
    "Graphviz DOT (*.dot)": ".dot",
    "Graph model JSON (*.json)": ".json",
}
TABLE_FILTERS = {"CSV (*.csv)": ".csv", "Markdown (*.md)": ".md", "JSON (*.json)": ".json"}
TABLE_FORMATS = {".csv": "csv", ".md": "markdown", ".json": "json"}


def _analysis_of(cfg: UNetConfig, known: Analysis | None) -> Analysis:
    """The shown analysis if it is this config's, else a fresh one (in the export's worker thread)."""
    from unetviz.core.analysis import analyze

    return known if known is not None and known.config == cfg else analyze(cfg)


def export_table_file(cfg: UNetConfig, known: Analysis | None, path: Path) -> Path:
    """The layer table as the CLI's `summary --format … -o` writes it."""
    fmt = TABLE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError("file", str(path), "a .csv, .md or .json file name")
    return write_text(path, render_table(_analysis_of(cfg, known), fmt))


def export_diagram_file(cfg: UNetConfig, known: Analysis | None, path: Path, view: str) -> Path:
    from unetviz.report.export import export_file

    return export_file(_analysis_of(cfg, known), path, view=view)


def _with_suffix(path: str, chosen_filter: str, filters: dict[str, str]) -> Path:
    target = Path(path)
    if not target.suffix and chosen_filter in filters:
        target = target.with_suffix(filters[chosen_filter])
    return target


class FileController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    @property
    def _folder(self) -> str:
        path = self.window.document.path
        return str(path.parent) if path is not None else str(Path.cwd())

    # --- config files --------------------------------------------------------------------------------

    def new_from_preset(self, name: str) -> bool:
        if not self.window.may_discard_changes():
            return False
        self.window.document.load(load_preset(name), None)
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open config", self._folder, CONFIG_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        if not self.window.may_discard_changes():
            return False
        try:
            cfg = load_config(Path(path))
        except ConfigError as exc:
            self.window.show_error("Cannot open config", str(exc))
            if not Path(path).is_file():
                self.window.commands.fill_recent(self.window.settings.remove_recent_file(str(path)))
            return False
        self.window.document.load(cfg, Path(path))
        self._remember(Path(path))
        return True

    def save(self) -> bool:
        path = self.window.document.path
        return self.save_to(path) if path is not None else self.save_as()

    def save_as(self) -> bool:
        start = str(Path(self._folder) / f"{self.window.document.config.name}.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save config", start, CONFIG_FILTER)
        return bool(path) and self.save_to(_with_suffix(path, "json", {"json": ".json"}))

    def save_to(self, path: str | Path) -> bool:
        target = Path(path)
        try:
            write_text(target, self.window.document.config.to_json())
        except OSError as exc:
            self.window.show_error("Cannot save config", f"{target}: {exc.strerror or exc}")
            return False
        self.window.document.mark_saved(target)
        self._remember(target)
        self.window.statusBar().showMessage(f"saved {target}", 5000)
        return True

    def _remember(self, path: Path) -> None:
        self.window.commands.fill_recent(self.window.settings.add_recent_file(path))

    # --- exports -------------------------------------------------------------------------------------

    def export_diagram_dialog(self) -> None:
        start = str(Path(self._folder) / f"{self.window.document.config.name}-{self.window.view_name}.svg")
        path, chosen = QFileDialog.getSaveFileName(
            self.window, "Export diagram", start, ";;".join(DIAGRAM_FILTERS), "SVG (*.svg)"
        )
        if path:
            self.export_diagram(_with_suffix(path, chosen, DIAGRAM_FILTERS))

    def export_table_dialog(self) -> None:
        start = str(Path(self._folder) / f"{self.window.document.config.name}-layers.csv")
        path, chosen = QFileDialog.getSaveFileName(
            self.window, "Export table", start, ";;".join(TABLE_FILTERS), "CSV (*.csv)"
        )
        if path:
            self.export_table(_with_suffix(path, chosen, TABLE_FILTERS))

    def export_diagram(self, path: str | Path) -> bool:
        if not self._may_export():
            return False
        cfg, known = self.window.document.config, self.window.analysis
        self.window.worker.request_export(partial(export_diagram_file, cfg, known, Path(path), self.window.view_name))
        return True

    def export_table(self, path: str | Path) -> bool:
        if not self._may_export():
            return False
        cfg, known = self.window.document.config, self.window.analysis
        self.window.worker.request_export(partial(export_table_file, cfg, known, Path(path)))
        return True

    def _may_export(self) -> bool:
        """Only what the form shows is exported: while a field is invalid the document still holds the last
        valid config, and exporting that would be a silent surprise."""
        error = self.window.form.current_error()
        if error is None:
            return True
        field = self.window.form.field_label(error.field)
        self.window.show_error("Cannot export", f"{field} is invalid; fix it first: {app_message(str(error))}")
        return False
