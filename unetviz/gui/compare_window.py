"""Compare mode: a second config beside the first — two diagrams in step (U shape, Blocks, Layers or Paper), the
level table with the differing cells marked, and the differences in words. Work runs in a Lane; the newest
request wins."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
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
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from unetviz.core.analysis import analyze
from unetviz.core.config import UNetConfig, load_config
from unetviz.core.errors import ConfigError
from unetviz.gui.actions import APP_VIEWS, VIEW_LABELS
from unetviz.gui.config_form import ConfigForm
from unetviz.gui.diagram_view import DiagramView
from unetviz.gui.paper_view import PAPER, paper_diagram
from unetviz.gui.text import plain_label
from unetviz.gui.worker import Diagram, Lane, RenderSvg, Report, default_render_svg
from unetviz.report.compare import Comparison, compare

DEBOUNCE_MS = 30  # coalesces a burst of keystrokes; a held spin arrow still draws as it goes (newest wins)
DIFFERS_BRUSH = QBrush(QColor("#fff3cd"))


@dataclass(frozen=True)
class Compared:
    comparison: Comparison
    diagrams: tuple[Diagram, Diagram]
    seconds: float


def padding_twin(cfg: UNetConfig) -> UNetConfig:
    """The same UNet with the other padding: the question users bring most."""
    other = "same" if cfg.padding == "valid" else "valid"
    return cfg.replace(padding=other, name=f"{cfg.name} ({other})")


def compare_work(
    a: UNetConfig, b: UNetConfig, view: str, render_svg: RenderSvg, started: float, report: Report
) -> None:
    from unetviz.draw.graph import build_graph

    analyses = (analyze(a), analyze(b))
    labels = (a.name, b.name) if a.name != b.name else ("A", "B")
    comparison = compare(*analyses, labels=labels)
    diagrams = []
    for cfg, analysis in zip((a, b), analyses, strict=True):
        if view == PAPER:
            diagrams.append(paper_diagram(analysis, cfg, started))
            continue
        graph = build_graph(analysis, view)
        diagrams.append(Diagram(view, graph, render_svg(graph), cfg, time.perf_counter() - started))
    report("compared", Compared(comparison, (diagrams[0], diagrams[1]), time.perf_counter() - started))


class CompareWindow(QMainWindow):
    compared = Signal(object)  # Compared: the newest comparison is on screen
    compare_failed = Signal(object)

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

        self.view_name = "u"  # both sides are drawn in this view
        self.view_choice = QComboBox()
        self.view_choice.setObjectName("compare_view")
        for name in APP_VIEWS:
            self.view_choice.addItem(VIEW_LABELS[name], name)
        self.view_choice.setToolTip("the view both diagrams are drawn in")
        self.view_choice.currentIndexChanged.connect(lambda index: self.set_view(APP_VIEWS[index]))
        bar = QToolBar("View", self)
        bar.setObjectName("compare_toolbar")
        bar.setMovable(False)
        bar.addWidget(QLabel(" View "))
        bar.addWidget(self.view_choice)
        self.addToolBar(bar)

        self.views = (DiagramView(), DiagramView())
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
        self.twin_button = QPushButton("B = A with the other padding")
        self.twin_button.setToolTip("valid vs same: the same UNet, convolutions padded or not")
        self.twin_button.clicked.connect(lambda: self.set_b(padding_twin(self.config_a)))
        self.clone_button = QPushButton("B = A")
        self.clone_button.clicked.connect(lambda: self.set_b(self.config_a.replace(name=f"{self.config_a.name} (B)")))
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
        self.resize(1400, 900)
        self.request()

    # --- configs -------------------------------------------------------------------------------------

    def set_a(self, cfg: UNetConfig) -> None:
        self.config_a = cfg
        self._debounce.start()

    def set_b(self, cfg: UNetConfig) -> None:
        with QSignalBlocker(self.form):
            self.form.set_config(cfg)
        self._on_form_edited(cfg)

    def set_view(self, view: str) -> None:
        """Draw both sides in `view` (one of APP_VIEWS)."""
        if view == self.view_name:
            return
        self.view_name = view
        with QSignalBlocker(self.view_choice):
            self.view_choice.setCurrentIndex(APP_VIEWS.index(view))
        self.request()

    def _on_form_edited(self, cfg: UNetConfig, _text: str = "") -> None:
        self.config_b = cfg
        self._debounce.start()

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
        work = partial(compare_work, self.config_a, self.config_b, self.view_name, self.render_svg, time.perf_counter())
        self.lane.submit(work)

    def _on_report(self, _kind: str, payload: object) -> None:
        assert isinstance(payload, Compared)
        self.result = payload
        for caption, view, diagram, label in zip(
            self.captions, self.views, payload.diagrams, payload.comparison.labels, strict=True
        ):
            caption.setText(label)
            view.show_diagram(diagram)
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

    def _fill_table(self, comparison: Comparison) -> None:
        self.table.setRowCount(len(comparison.rows))
        self.table.setColumnCount(1 + len(comparison.labels))
        self.table.setHorizontalHeaderLabels(["", *comparison.labels])
        bold = QFont()
        bold.setBold(True)
        for row, entry in enumerate(comparison.rows):
            self.table.setItem(row, 0, QTableWidgetItem(entry.label))
            for column, value in enumerate(entry.values, start=1):
                item = QTableWidgetItem(value)
                if entry.differs:
                    item.setBackground(DIFFERS_BRUSH)
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
        self.pool.waitForDone(10_000)
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
