"""File commands: new, open, save, recent files, and export through the same code as the CLI.

Dialogs only pick a path; `open_path`, `save_to`, `export_diagram` and `export_table` do the work (and are
what the tests call). Exports run in the worker; errors are shown once and the app keeps running.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QObject
from PySide6.QtWidgets import QFileDialog

from unetviz.core.config import load_preset
from unetviz.core.errors import ConfigError
from unetviz.core.json_files import read_json
from unetviz.gui.paper_view import PAPER
from unetviz.gui.preset_picker import EDITED
from unetviz.gui.text import app_message
from unetviz.report.export import TABLE_SUFFIXES, write_text
from unetviz.report.tables import render_table

if TYPE_CHECKING:
    from unetviz.core.analysis import Analysis
    from unetviz.core.config import UNetConfig
    from unetviz.core.inspection import Inspection
    from unetviz.gui.main_window import MainWindow

CONFIG_FILTER = (
    "unetviz config, nnU-Net plans or MONAI bundle config (*.json);;nnU-Net plans (*Plans.json *plans.json);;"
    "All files (*)"
)
PLANS_FILTER = "nnU-Net plans (*Plans.json *plans.json);;All files (*)"
CODE_FILTER = "PyTorch code (*.py)"
DIAGRAM_FILTERS = {
    "SVG (*.svg)": ".svg",
    "PNG (*.png)": ".png",
    "PDF (*.pdf)": ".pdf",
    "Graphviz DOT (*.dot)": ".dot",
    "Graph model JSON (*.json)": ".json",
}
PAPER_FILTERS = {  # the paper view is laid out by unetviz: no DOT or graph model, but TikZ for a LaTeX paper
    "SVG (*.svg)": ".svg",
    "PNG (*.png)": ".png",
    "PDF (*.pdf)": ".pdf",
    "TikZ for LaTeX (*.tex)": ".tex",
}
TABLE_FILTERS = {
    "CSV (*.csv)": ".csv",
    "Markdown (*.md)": ".md",
    "Text table (*.txt)": ".txt",
    "JSON (*.json)": ".json",
}
TABLE_FORMATS = {**TABLE_SUFFIXES, ".json": "json"}  # as `unetviz summary -o` writes them


def _analysis_of(cfg: UNetConfig, known: Analysis | Inspection | None) -> Analysis | Inspection:
    """The shown analysis if it is this config's, else a fresh one (in the export's worker thread); an inspected
    model, when one is shown, is what is exported."""
    from unetviz.core.analysis import analyze
    from unetviz.core.inspection import Inspection

    if isinstance(known, Inspection):
        return known
    return known if known is not None and known.config == cfg else analyze(cfg)


def export_table_file(cfg: UNetConfig, known: Analysis | Inspection | None, path: Path) -> Path:
    """The layer table as the CLI's `summary --format … -o` writes it."""
    fmt = TABLE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError("file", str(path), "a .csv, .md, .txt or .json file name")
    return write_text(path, render_table(_analysis_of(cfg, known), fmt))


def export_diagram_file(cfg: UNetConfig, known: Analysis | Inspection | None, path: Path, view: str) -> Path:
    from unetviz.report.export import export_file

    return export_file(_analysis_of(cfg, known), path, view=view)


def export_plans_file(cfg: UNetConfig, known: Analysis | None, path: Path, configuration: str) -> Path:
    """`unetviz export -o …Plans.json [--into]`: into the file itself when it is a plans file already."""
    from unetviz.report.export import export_file
    from unetviz.sources.nnunet import is_plans

    into = None
    if path.is_file():
        try:
            into = path if is_plans(read_json(path, "plans")) else None
        except ConfigError:
            into = None
    return export_file(_analysis_of(cfg, known), path, configuration=configuration, into=into)


def export_in_child(cfg: UNetConfig, path: Path) -> Path:
    """`unetviz export --config CFG -o path` in a child process (torch loads there, not in the app)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="unetviz-") as folder:
        config = Path(folder) / "config.json"
        config.write_text(cfg.to_json(), encoding="utf-8")
        done = subprocess.run([sys.executable, "-P", "-m", "unetviz.cli", "export", "--config", str(config), "-o",
                               str(path)], capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise ConfigError("file", str(path), message.removeprefix("unetviz export: "))
    return path


def diagram_filters(view: str) -> dict[str, str]:
    """What File → Export diagram offers for `view`: the file-dialog filter and the suffix it adds."""
    return PAPER_FILTERS if view == PAPER else DIAGRAM_FILTERS


def dropped_file(mime: QMimeData) -> str | None:
    """The one local .json file a drag carries, else None."""
    urls = [url for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []
    if len(urls) == 1 and urls[0].toLocalFile().lower().endswith(".json"):
        return urls[0].toLocalFile()
    return None


def _file_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "unet"


def _is_json(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".json"


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
    def _shown_name(self) -> str:
        shown = self.window.inspector.shown
        return _file_stem(shown.name) if shown is not None else self.window.document.config.name

    @property
    def _shown(self) -> Analysis | Inspection | None:
        """What the table and diagram show: an inspected model, else the config's analysis."""
        return self.window.inspector.shown or self.window.analysis

    @property
    def _folder(self) -> str:
        path = self.window.document.path
        return str(path.parent) if path is not None else str(Path.cwd())

    # --- config files --------------------------------------------------------------------------------

    def new_from_preset(self, name: str) -> bool:
        if not self.window.may_discard_changes():
            return False
        self.window.document.load(load_preset(name), None)
        self.window.set_imported(None)
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open config", self._folder, CONFIG_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, configuration: str | None = None) -> bool:
        """Open a unetviz config, an nnU-Net plans file (asking which configuration when it has several) or a
        MONAI bundle config. An imported file is not the document's file: saving asks for a new name."""
        from unetviz.sources.nnunet import configuration_names, is_plans
        from unetviz.sources.open import open_config

        if not self.window.may_discard_changes():
            return False
        try:
            if configuration is None and _is_json(path):
                data = read_json(Path(path), "config")
                names = configuration_names(data) if is_plans(data) else []
                if len(names) > 1:
                    configuration = self.ask_configuration(names)
                    if configuration is None:
                        return False
            opened = open_config(Path(path), configuration)
        except ConfigError as exc:
            self.window.show_error(f"Cannot open {Path(path).name}", str(exc))
            if not Path(path).is_file():
                self.window.commands.fill_recent(self.window.settings.remove_recent_file(str(path)))
            return False
        self.window.document.load(opened.config, Path(path) if opened.imported is None else None)
        self.window.set_imported(opened.imported)
        if opened.imported is not None:
            self.window.statusBar().showMessage(f"imported from {opened.imported.source}", 8000)
        self._remember(Path(path))
        return True

    def ask_configuration(self, names: list[str]) -> str | None:
        """Which configuration of a plans file to open (3d_fullres first when there is one)."""
        from PySide6.QtWidgets import QInputDialog

        start = names.index("3d_fullres") if "3d_fullres" in names else 0
        name, ok = QInputDialog.getItem(self.window, "Open nnU-Net plans", "Configuration:", names, start, False)
        return name if ok else None

    def save(self) -> bool:
        path = self.window.document.path
        return self.save_to(path) if path is not None else self.save_as()

    def save_as(self) -> bool:
        start = str(Path(self._folder) / f"{self.window.document.config.name}.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save config", start, CONFIG_FILTER)
        return bool(path) and self.save_to(_with_suffix(path, "json", {"json": ".json"}))

    def save_to(self, path: str | Path) -> bool:
        target = Path(path)
        cfg = self.window.document.config
        if cfg.name.endswith(EDITED):  # saved under a name: an edited preset is named after its file
            try:
                self.window.document.edit(cfg.replace(name=target.stem), "Name it after its file")
            except ConfigError:  # a file name that is no config name: the config keeps its own
                pass
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
        filters = diagram_filters(self.window.view_name)
        start = str(Path(self._folder) / f"{self._shown_name}-{self.window.view_name}.svg")
        path, chosen = QFileDialog.getSaveFileName(
            self.window, "Export diagram", start, ";;".join(filters), "SVG (*.svg)"
        )
        if path:
            self.export_diagram(_with_suffix(path, chosen, filters))

    def export_table_dialog(self) -> None:
        start = str(Path(self._folder) / f"{self._shown_name}-layers.csv")
        path, chosen = QFileDialog.getSaveFileName(
            self.window, "Export table", start, ";;".join(TABLE_FILTERS), "CSV (*.csv)"
        )
        if path:
            self.export_table(_with_suffix(path, chosen, TABLE_FILTERS))

    def export_code_dialog(self) -> None:
        start = str(Path(self._folder) / f"{_file_stem(self.window.document.config.name)}.py")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export PyTorch code", start, CODE_FILTER)
        if path:
            self.export_code(_with_suffix(path, "py", {"py": ".py"}))

    def export_code(self, path: str | Path) -> bool:
        """Standalone PyTorch code of the model (`unetviz export -o model.py`), written by a child process:
        it needs torch, which the app's own process never loads."""
        if not self._may_export(config_only="PyTorch code"):
            return False
        self.window.worker.request_export(partial(export_in_child, self.window.document.config, Path(path)))
        return True

    def export_plans_dialog(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        cfg = self.window.document.config
        start = str(Path(self._folder) / "nnUNetPlans.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export to nnU-Net plans", start, PLANS_FILTER)
        if not path:
            return
        default = "3d_fullres" if cfg.dims == 3 else "2d"
        name, ok = QInputDialog.getText(self.window, "Export to nnU-Net plans", "Configuration name:", text=default)
        if ok and name:
            self.export_plans(path, name)

    def export_plans(self, path: str | Path, configuration: str) -> bool:
        """The config as configuration `configuration` of an nnU-Net plans file: added to the file when it is
        a plans file already (everything else in it kept), else a new plans file."""
        if not self._may_export(config_only="nnU-Net plans"):
            return False
        from unetviz.sources.nnunet import plans_configuration

        cfg = self.window.document.config
        try:
            plans_configuration(cfg)  # refuse now, in the app's words, what nnU-Net cannot build
        except ConfigError as exc:
            self.window.show_error("Cannot export to nnU-Net plans", app_message(str(exc)))
            return False
        target = Path(path)
        self.window.worker.request_export(partial(export_plans_file, cfg, self.window.analysis, target, configuration))
        return True

    def export_diagram(self, path: str | Path) -> bool:
        if not self._may_export():
            return False
        cfg, known = self.window.document.config, self._shown
        self.window.worker.request_export(partial(export_diagram_file, cfg, known, Path(path), self.window.view_name))
        return True

    def export_table(self, path: str | Path) -> bool:
        if not self._may_export():
            return False
        cfg, known = self.window.document.config, self._shown
        self.window.worker.request_export(partial(export_table_file, cfg, known, Path(path)))
        return True

    def _may_export(self, config_only: str = "") -> bool:
        """Only what is shown is exported: an inspected model's diagram and table (it has no config to write as
        `config_only`); else the form's config, not while a field is invalid (the document still holds the last
        valid config, and exporting that would be a silent surprise)."""
        shown = self.window.inspector.shown
        if shown is not None:
            if config_only:
                matched = f"; Open as an editable config ({shown.matched.name}) first" if shown.matched else ""
                self.window.show_error(f"Cannot export {config_only}", f"{shown.target} is an inspected model, "
                                       f"shown read-only: it is code already{matched}")  # fmt: skip
            return not config_only
        error = self.window.form.current_error()
        if error is None:
            return True
        field = self.window.form.field_label(error.field)
        self.window.show_error("Cannot export", f"{field} is invalid; fix it first: {app_message(str(error))}")
        return False
