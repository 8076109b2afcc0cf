"""Compare mode: a second config beside the first — two diagrams in step (U shape, Blocks, Layers or Paper) with the
differing nodes framed in both, the level table with the differing cells marked, and the differences in words;
the report exported as HTML or Markdown. Work runs in a Lane; the newest request wins."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QFont
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from unetviz.core.analysis import analyze
from unetviz.core.config import UNetConfig, load_config
from unetviz.core.errors import ConfigError
from unetviz.draw.theme import DARK, LIGHT
from unetviz.gui.compare_actions import REPORT_FORMATS, CompareActions
from unetviz.gui.compare_marks import NodeMarks, differing_layers, differing_nodes
from unetviz.gui.config_form import ConfigForm
from unetviz.gui.diagram_view import DiagramView
from unetviz.gui.paper_view import PAPER, paper_diagram
from unetviz.gui.text import plain_label
from unetviz.gui.theme import ThemeWatcher, current_theme
from unetviz.gui.worker import Diagram, Lane, RenderSvg, Report, default_render_svg, themed
from unetviz.report.compare import Comparison, compare

DEBOUNCE_MS = 30  # coalesces a burst of keystrokes; a held spin arrow still draws as it goes (newest wins)
DIFFERS_BRUSH = QBrush(QColor("#fff3cd"))  # a differing cell, light theme; its text dark
DIFFERS_DARK_BRUSH = QBrush(QColor("#5c4a0f"))  # dark theme; its text light
DIFFERS_TEXT = {LIGHT: QBrush(QColor("#1a1a1a")), DARK: QBrush(QColor("#ffffff"))}


@dataclass(frozen=True)
class Compared:
    comparison: Comparison
    diagrams: tuple[Diagram, Diagram]
    seconds: float
    differing: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())  # node ids, per side


def padding_twin(cfg: UNetConfig) -> UNetConfig:
    """The same UNet with the other padding: the question users bring most."""
    other = "same" if cfg.padding == "valid" else "valid"
    return cfg.replace(padding=other, name=f"{cfg.name} ({other})")


def compare_work(
    a: UNetConfig, b: UNetConfig, view: str, render_svg: RenderSvg, started: float, report: Report, theme: str = LIGHT
) -> None:
    from unetviz.draw.graph import build_graph

    analyses = (analyze(a), analyze(b))
    labels = (a.name, b.name) if a.name != b.name else ("A", "B")
    comparison = compare(*analyses, labels=labels)
    diagrams = []
    for cfg, analysis in zip((a, b), analyses, strict=True):
        if view == PAPER:
            diagrams.append(paper_diagram(analysis, cfg, started, theme))
            continue
        graph = build_graph(analysis, view)
        diagrams.append(Diagram(view, graph, render_svg(graph), cfg, time.perf_counter() - started))
    layers = differing_layers(*analyses)
    differing = (differing_nodes(diagrams[0].graph, layers), differing_nodes(diagrams[1].graph, layers))
    seconds = time.perf_counter() - started
    report("compared", Compared(comparison, (diagrams[0], diagrams[1]), seconds, differing))


class CompareWindow(QMainWindow):
    compared = Signal(object)  # Compared: the newest comparison is on screen
    compare_failed = Signal(object)
    a_replaced = Signal(object)  # Swap: the UNetConfig the main window should show as A now
    exported = Signal(object)  # the Path of a report written
    export_failed = Signal(object)

    def __init__(
        self, a: UNetConfig, b: UNetConfig, render_svg: RenderSvg = default_render_svg, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("unetviz — compare")
        self.setObjectName("compare_window")
        self.config_a, self.config_b = a, b
        self.render_svg = render_svg
        self.result: Compared | None = None
        self.pool = QThreadPool(self)
        self.lane = Lane(self.pool, parent=self)
        self.lane.report.connect(self._on_report)
        self.lane.failed.connect(self._on_failed)
        self.exports = Lane(self.pool, latest_only=False, parent=self)  # every report asked for is written
        self.exports.report.connect(self._on_exported)
        self.exports.failed.connect(self._on_export_failed)

        self.view_name = "u"  # both sides are drawn in this view
        self.views = (DiagramView(), DiagramView())
        self.marks = (NodeMarks(self.views[0]), NodeMarks(self.views[1]))
        self.captions = (plain_label(), plain_label())  # config names: the user's text
        diagrams = QSplitter(Qt.Orientation.Horizontal)
        for caption, view in zip(self.captions, self.views, strict=True):
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setStyleSheet("font-weight: bold;")
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(caption)
            column.addWidget(view, 1)
            diagrams.addWidget(box)
        self._sync_views()

        self.table = QTableWidget(0, 3)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.differences = QListWidget()
        self.differences.setWordWrap(True)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.table)
        lower.addWidget(self.differences)
        lower.setSizes([700, 500])
        centre = QSplitter(Qt.Orientation.Vertical)
        centre.addWidget(diagrams)
        centre.addWidget(lower)
        centre.setSizes([520, 300])
        self.setCentralWidget(centre)

        self.form = ConfigForm(b)
        self.form.edited.connect(self._on_form_edited)
        self.form.invalid.connect(lambda error: self.status(f"B: {error}"))
        buttons = QHBoxLayout()
        self.form.invalid.connect(lambda _error: self._grey_b(True))
        self.commands = CompareActions(self)
        self.view_choice = self.commands.view_choice  # the toolbar's view box
        self.twin_button = QPushButton("B = A with the other padding")
        self.twin_button.setToolTip("valid vs same: the same UNet, convolutions padded or not")
        self.twin_button.clicked.connect(self.set_b_twin)
        self.clone_button = QPushButton("B = A")
        self.clone_button.clicked.connect(self.set_b_clone)
        self.load_button = QPushButton("Load B…")
        self.load_button.clicked.connect(self.load_b_dialog)
        for button in (self.twin_button, self.clone_button, self.load_button):
            buttons.addWidget(button)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("<b>B</b> (A is the main window's config)"))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        layout.addWidget(scroll, 1)
        dock = QDockWidget("Config B", self)
        dock.setObjectName("compare_b_dock")
        dock.setWidget(panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.request)
        self.theme = ThemeWatcher(self.views, self.request, parent=self)  # light or dark, as the main window
        self.resize(parent.size() if parent is not None else QSize(1400, 900))  # opens as large as the main window
        self.request()

    # --- configs -------------------------------------------------------------------------------------

    def set_a(self, cfg: UNetConfig) -> None:
        self.config_a = cfg
        self._debounce.start()

    def set_b(self, cfg: UNetConfig) -> None:
        with QSignalBlocker(self.form):
            self.form.set_config(cfg)
        self._on_form_edited(cfg)

    def set_b_twin(self) -> None:
        self.set_b(padding_twin(self.config_a))

    def set_b_clone(self) -> None:
        self.set_b(self.config_a.replace(name=f"{self.config_a.name} (B)"))

    def swap(self) -> None:
        """A becomes B and B becomes A; the main window is told, since A is its config."""
        if self.form.current_error() is not None:
            self.status("B has an invalid field: fix it before swapping")
            return
        a, b = self.config_a, self.config_b
        self.config_a = b
        self.set_b(a)
        self.a_replaced.emit(b)

    def set_view(self, view: str) -> None:
        """Draw both sides in `view` (one of APP_VIEWS)."""
        if view == self.view_name:
            return
        self.view_name = view
        self.commands.show_view(view)
        self.request()

    def _on_form_edited(self, cfg: UNetConfig, _text: str = "") -> None:
        self.config_b = cfg
        self._grey_b(False)
        self._debounce.start()

    def _grey_b(self, invalid: bool) -> None:
        """B's diagram and caption greyed while a field of B is invalid: they show the last valid B."""
        self.views[1].set_stale(invalid)
        self.marks[1].set_stale(invalid)
        self.captions[1].setEnabled(not invalid)

    def load_b_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load config B", "", "UNet config (*.json)")
        if path:
            self.load_b(Path(path))

    def load_b(self, path: Path) -> None:
        try:
            self.set_b(load_config(path))
        except ConfigError as error:
            self.status(f"B not loaded: {error}")

    # --- work ----------------------------------------------------------------------------------------

    def request(self) -> None:
        self._debounce.stop()
        self.status("comparing…")
        theme = current_theme()
        work = partial(compare_work, self.config_a, self.config_b, self.view_name, themed(self.render_svg, theme),
                       time.perf_counter(), theme=theme)  # fmt: skip
        self.lane.submit(work)

    def _on_report(self, _kind: str, payload: object) -> None:
        assert isinstance(payload, Compared)
        self.result = payload
        for caption, view, marks, diagram, label, differing in zip(
            self.captions, self.views, self.marks, payload.diagrams, payload.comparison.labels, payload.differing,
            strict=True,
        ):  # fmt: skip
            caption.setText(label)
            view.show_diagram(diagram)
            marks.show(differing)
        self._grey_b(self.form.current_error() is not None)  # an edit made B invalid while this was drawn
        self._fill_table(payload.comparison)
        self.differences.clear()
        self.differences.addItems([f"• {line}" for line in payload.comparison.differences])
        self.status(f"compared in {payload.seconds * 1000:.0f} ms")
        self.compared.emit(payload)

    def _on_failed(self, error: object) -> None:
        for view in self.views:
            view.set_stale(True)
        self.status(f"cannot compare: {error}")
        self.compare_failed.emit(error)

    def status(self, text: str) -> None:
        self.statusBar().showMessage(text)

    # --- the report ----------------------------------------------------------------------------------

    def export_report_dialog(self, fmt: str) -> None:
        kind, pattern = REPORT_FORMATS[fmt]
        path, _ = QFileDialog.getSaveFileName(self, f"Export the comparison as {kind}", "", f"{kind} ({pattern})")
        if path:
            self.export_report(Path(path), fmt)

    def export_report(self, path: Path, fmt: str) -> bool:
        """Write the comparison on screen as `fmt` (html, markdown) in the background; False if none is shown."""
        from unetviz.report.compare_report import render_comparison
        from unetviz.report.export import write_text

        if self.result is None:
            self.status("nothing to export yet: the comparison is still being drawn")
            return False
        comparison = self.result.comparison
        self.status(f"exporting {path.name}…")
        self.exports.submit(lambda report: report("exported", write_text(path, render_comparison(comparison, fmt))))
        return True

    def _on_exported(self, _kind: str, path: object) -> None:
        self.status(f"exported {path}")
        self.exported.emit(path)

    def _on_export_failed(self, error: object) -> None:
        self.status(f"export failed: {error}")
        self.export_failed.emit(error)

    def _fill_table(self, comparison: Comparison) -> None:
        self.table.setRowCount(len(comparison.rows))
        self.table.setColumnCount(1 + len(comparison.labels))
        self.table.setHorizontalHeaderLabels(["", *comparison.labels])
        bold = QFont()
        bold.setBold(True)
        theme = current_theme()
        differs = DIFFERS_DARK_BRUSH if theme == DARK else DIFFERS_BRUSH
        for row, entry in enumerate(comparison.rows):
            self.table.setItem(row, 0, QTableWidgetItem(entry.label))
            for column, value in enumerate(entry.values, start=1):
                item = QTableWidgetItem(value)
                if entry.differs:
                    item.setBackground(differs)
                    item.setForeground(DIFFERS_TEXT[theme])  # readable on it, light theme or dark
                    item.setFont(bold)
                    item.setToolTip("differs")
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in range(1, self.table.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._debounce.stop()
        self.lane.cancel()
        self.pool.waitForDone(10_000)  # a report being written is finished first
        event.accept()

    # --- the two views move together -----------------------------------------------------------------

    def _sync_views(self) -> None:
        for source, target in (self.views, tuple(reversed(self.views))):
            source.zoom_changed.connect(partial(self._follow_zoom, source, target))
            source.horizontalScrollBar().valueChanged.connect(target.horizontalScrollBar().setValue)
            source.verticalScrollBar().valueChanged.connect(target.verticalScrollBar().setValue)

    def _follow_zoom(self, source: DiagramView, target: DiagramView, zoom: float) -> None:
        if abs(target.zoom() - zoom) > 1e-6:
            target.follow(source)
