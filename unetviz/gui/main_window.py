"""The main window: config panel (left), diagram (centre), layers table (bottom), summary (right).

It wires views to the one ConfigDocument and to the worker; it computes nothing itself.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea, QWidget

from unetviz.core.analysis import Analysis
from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError, RenderError, TraceError
from unetviz.core.resources import resources_dir
from unetviz.gui.actions import WindowActions
from unetviz.gui.compare_window import CompareWindow, padding_twin
from unetviz.gui.config_form import ConfigForm
from unetviz.gui.diagram_view import DiagramView
from unetviz.gui.document import ConfigDocument
from unetviz.gui.files import FileController
from unetviz.gui.layer_table import LayerTable
from unetviz.gui.settings import AppSettings
from unetviz.gui.summary_panel import SummaryPanel
from unetviz.gui.worker import Analysed, Diagram, Traced, UpdateWorker

DEBOUNCE_MS = 150
ERROR_STATUS_MS = 15_000


def app_icon() -> QIcon:
    return QIcon(str(resources_dir() / "icons" / "unetviz.svg"))


class MainWindow(QMainWindow):
    update_finished = Signal()  # the newest request's diagram is on screen, or its update failed
    trace_finished = Signal()  # a trace verdict (or its error) is on screen

    def __init__(
        self,
        cfg: UNetConfig,
        settings: AppSettings,
        worker: UpdateWorker | None = None,
        auto_trace: bool = True,
        remember: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.auto_trace = auto_trace  # traces start by themselves after each update (never on cpu)
        self.remember = remember  # write layout and last config to the settings on close
        self.view_name = "u"
        self.analysis: Analysis | None = None  # what the table and summary show, with its trace once known
        self.last_error = ""
        self._trace_key: tuple[UNetConfig, str] | None = None
        self.compare_window: CompareWindow | None = None
        self.document = ConfigDocument(cfg, parent=self)
        self.worker = worker if worker is not None else UpdateWorker(parent=self)
        self.worker.setParent(self)
        self.setWindowIcon(app_icon())
        self.setObjectName("main_window")

        self.form = ConfigForm(cfg)
        self.diagram = DiagramView()
        self.table = LayerTable()
        self.summary = SummaryPanel()
        self.setCentralWidget(self.diagram)
        form_scroll = QScrollArea()
        form_scroll.setWidgetResizable(True)
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the form fits its width
        form_scroll.setWidget(self.form)
        form_scroll.setMinimumWidth(
            self.form.minimumSizeHint().width() + form_scroll.verticalScrollBar().sizeHint().width() + 4
        )
        # The config dock runs the full height, so its most used fields and the stage table fit at 1280×800.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.docks = [
            self._dock("config", "Configuration", form_scroll, Qt.DockWidgetArea.LeftDockWidgetArea),
            self._dock("summary", "Summary", self.summary, Qt.DockWidgetArea.RightDockWidgetArea),
            self._dock("layers", "Layers", self.table, Qt.DockWidgetArea.BottomDockWidgetArea),
        ]
        self.resizeDocks(self.docks[:2], [380, 330], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks[2]], [240], Qt.Orientation.Vertical)
        self.files = FileController(self)
        self.commands = WindowActions(self)
        self.commands.fill_recent(settings.recent_files())
        self.busy_label, self.timing_label = QLabel(), QLabel()
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.timing_label)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.request_update)
        self._connect()
        self._update_title()
        self.request_update()
        if auto_trace:  # torch loads in the trace process while the first diagram is drawn here
            QTimer.singleShot(0, self.worker.tracer.warm_up)

    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{name}_dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        self.form.edited.connect(lambda cfg, text: self.document.edit(cfg, text or None))
        self.form.invalid.connect(self._on_invalid)
        self.document.changed.connect(self._on_config_changed)
        self.document.dirty_changed.connect(self.setWindowModified)
        self.document.path_changed.connect(lambda _p: self._update_title())
        w = self.worker
        w.analysed.connect(self._on_analysed)
        w.rendered.connect(self._on_rendered)
        w.update_failed.connect(self._on_update_failed)
        w.traced.connect(self._on_traced)
        w.trace_failed.connect(self._on_trace_failed)
        w.cuda_checked.connect(self.commands.set_cuda_available)
        w.exported.connect(lambda path: self.statusBar().showMessage(f"exported {path}", 8000))
        w.exported.connect(lambda path: self.settings.sync())
        w.export_failed.connect(lambda exc: self.show_error("Export failed", _message(exc)))
        w.busy_changed.connect(lambda text: self.busy_label.setText(f"{text}…" if text else ""))
        self.table.layers_selected.connect(self._on_layers_selected)
        self.diagram.node_clicked.connect(self._on_node_clicked)
        self.summary.size_chosen.connect(self._on_size_chosen)

    # --- requests ------------------------------------------------------------------------------------

    def request_update(self) -> None:
        self._debounce.stop()
        self.worker.request_update(self.document.config, self.view_name)

    def set_view(self, view: str) -> None:
        if view != self.view_name:
            self.view_name = view
            self.commands.view_actions[view].setChecked(True)
            self.request_update()

    def trace_now(self) -> None:
        """The Trace button: trace the shown analysis on the chosen device, even on cpu."""
        if self.analysis is not None:
            self._start_trace(self.analysis, force=True)

    def _start_trace(self, analysis: Analysis, force: bool = False) -> None:
        if analysis.shapes.failure:  # a strict join of unequal sizes: reported by the analysis, not traced
            failed = next((layer.name for layer in analysis.layers if layer.error), "a join")
            self.summary.set_trace_status(f"not run: the forward pass would fail at {failed}")
            return
        device = self.commands.device.currentText()
        key = (analysis.config, device)
        if not force and (key == self._trace_key or device == "cpu"):
            return
        self._trace_key = key
        first = "; the first one loads torch, a few seconds" if not self.worker.tracer.started else ""
        self.summary.set_trace_status(f"running on {device}…{first}")
        self.worker.request_trace(Analysis(analysis.shapes), device)

    # --- results -------------------------------------------------------------------------------------

    def open_compare(self, twin: bool = False) -> CompareWindow:
        """Compare mode: B starts as a copy of this config, or as its valid/same padding twin."""
        a = self.document.config
        b = padding_twin(a) if twin else a.replace(name=f"{a.name} (B)")
        if self.compare_window is None:
            self.compare_window = CompareWindow(a, b, render_svg=self.worker.render_svg, parent=self)
            self.compare_window.setWindowIcon(app_icon())
        else:
            self.compare_window.set_a(a)
            self.compare_window.set_b(b)
        self.compare_window.show()
        self.compare_window.raise_()
        self.compare_window.activateWindow()
        return self.compare_window

    def _on_config_changed(self, cfg: UNetConfig) -> None:
        if self.compare_window is not None:
            self.compare_window.set_a(cfg)
        self.form.set_config(cfg)
        self._update_title()
        self._debounce.start()

    def _on_invalid(self, error: ConfigError) -> None:
        self._set_stale(True)
        self.statusBar().showMessage(str(error), ERROR_STATUS_MS)

    def _on_analysed(self, analysed: Analysed) -> None:
        analysis = self.analysis = analysed.analysis
        self.table.set_analysis(analysis)
        self.summary.set_trace_status("not run (press Trace)" if not self.auto_trace else "waiting for the diagram")
        self.summary.set_analysis(analysis, analysed.valid_sizes)
        self.form.mark_analysis_error(None)
        self._set_stale(self.form.current_error() is not None)

    def _on_rendered(self, diagram: Diagram) -> None:
        if not self.diagram.show_diagram(diagram):
            self.show_error("Cannot show the diagram", "Qt could not read the SVG the renderer produced")
        self.diagram.set_stale(self.form.current_error() is not None)
        self.timing_label.setText(f"updated in {diagram.seconds * 1000:.0f} ms")
        self.update_finished.emit()
        if self.auto_trace and self.analysis is not None and self.analysis.config == diagram.config:
            self._start_trace(self.analysis)

    def _on_update_failed(self, error: Exception) -> None:
        if isinstance(error, ConfigError):
            self.form.mark_analysis_error(error)
            self._set_stale(True)
            self.statusBar().showMessage(str(error), ERROR_STATUS_MS)
        else:  # a RenderError, or a bug: the table and summary stay; the message is shown once
            self.diagram.set_stale(True)
            self.show_error("Cannot draw the diagram", _message(error))
        self.update_finished.emit()

    def _on_traced(self, traced: Traced) -> None:
        if self.analysis is not None and self.analysis.config == traced.config:
            self.analysis = Analysis(self.analysis.shapes, traced.result)
            self.table.set_analysis(self.analysis)
            self.summary.set_analysis(self.analysis, self.summary.valid_sizes)
        self.trace_finished.emit()

    def _on_trace_failed(self, error: Exception) -> None:
        self._trace_key = None  # let the same config be traced again once the cause is fixed
        self.summary.set_trace_status(f"failed: {_message(error)}")
        self.statusBar().showMessage(f"trace failed: {_message(error)}", ERROR_STATUS_MS)
        self.last_error = _message(error)
        self.trace_finished.emit()

    def _set_stale(self, stale: bool) -> None:
        for view in (self.diagram, self.table, self.summary):
            view.set_stale(stale)

    # --- selection link ------------------------------------------------------------------------------

    def _on_layers_selected(self, names: list[str]) -> None:
        graph = self.diagram.diagram.graph if self.diagram.diagram is not None else None
        node = graph.node_of_layer(names[0]) if graph is not None and names else None
        self.diagram.highlight(node.id if node is not None else None)

    def _on_node_clicked(self, node_id: str | None) -> None:
        self.diagram.highlight(node_id, scroll=False)
        if node_id is not None and self.diagram.diagram is not None:
            self.table.select_layers(list(self.diagram.diagram.graph.node(node_id).layers))

    def _on_size_chosen(self, near: int, size: int, axes: str = "") -> None:
        cfg = self.document.config
        names = ("D", "H", "W")[3 - cfg.dims :]
        chosen = set(axes.split(",")) if axes else set(names)
        sizes = tuple(size if s == near and a in chosen else s for a, s in zip(names, cfg.input_size, strict=True))
        try:
            self.document.edit(cfg.replace(input_size=sizes), f"Input size {size}")
        except ConfigError as exc:
            self.show_error("Cannot use that size", str(exc))

    # --- window --------------------------------------------------------------------------------------

    def _update_title(self) -> None:
        path = self.document.path
        where = f" ({path.name})" if path is not None else ""
        self.setWindowTitle(f"unetviz — {self.document.config.name}{where}[*]")

    def show_error(self, title: str, message: str) -> None:
        """Shown once: a status line and a box that does not block the window."""
        self.last_error = message
        self.statusBar().showMessage(f"{title}: {message}", ERROR_STATUS_MS)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_about(self) -> None:
        from unetviz import __doc__ as about

        QMessageBox.about(
            self,
            "About unetviz",
            f"<h3>unetviz 0.1.0</h3><p>{(about or '').splitlines()[0]}</p><p>Settings: {self.settings.path}</p>",
        )

    def ask_to_save(self) -> QMessageBox.StandardButton:
        buttons = QMessageBox.StandardButton
        return QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to {self.document.config.name}?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )

    def may_discard_changes(self) -> bool:
        if not self.document.dirty:
            return True
        answer = self.ask_to_save()
        if answer == QMessageBox.StandardButton.Save:
            return self.files.save()
        return answer == QMessageBox.StandardButton.Discard

    def restore_layout(self) -> None:
        geometry, state = self.settings.window_state()
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry()
            self.resize(min(1280, int(screen.width() * 0.9)), min(800, int(screen.height() * 0.9)))
        if state is not None:
            self.restoreState(state)

    def sizeHint(self) -> QSize:
        return QSize(1280, 800)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.may_discard_changes():
            event.ignore()
            return
        if self.remember:
            self.settings.set_window_state(self.saveGeometry(), self.saveState())
            self.settings.set_last_config(self.document.config)
            self.settings.sync()
        self._debounce.stop()
        if self.compare_window is not None:
            self.compare_window.close()
        self.worker.shutdown()
        event.accept()


def _message(error: object) -> str:
    if isinstance(error, (ConfigError, RenderError, TraceError)):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.filename or ''}: {error.strerror or error}".lstrip(": ")
    return f"{type(error).__name__}: {error}"
