"""The main window: config panel (left), diagram (centre), layers table (bottom), summary (right).

It wires views to the one ConfigDocument and to the worker; it computes nothing itself.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea, QWidget

from unetviz.core.analysis import Analysis
from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError, RenderError, TraceError
from unetviz.core.records import Imported
from unetviz.core.resources import resources_dir
from unetviz.gui.actions import WindowActions
from unetviz.gui.autosave import AUTOSAVE_NAME, Autosave
from unetviz.gui.config_form import ConfigForm
from unetviz.gui.detail_pane import DetailPane
from unetviz.gui.diagram_view import DiagramView
from unetviz.gui.document import ConfigDocument, changed_fields
from unetviz.gui.files import FileController, dropped_file
from unetviz.gui.inspect_mode import InspectController
from unetviz.gui.layer_table import LayerTable
from unetviz.gui.memory_panel import MemoryPanel
from unetviz.gui.settings import AppSettings
from unetviz.gui.summary_panel import SummaryPanel
from unetviz.gui.text import app_message
from unetviz.gui.theme import ThemeWatcher
from unetviz.gui.trace_progress import TraceProgress
from unetviz.gui.worker import Analysed, Diagram, Traced, Unanalysable, UpdateWorker

if TYPE_CHECKING:
    from unetviz.gui.compare_window import CompareWindow
    from unetviz.network.trace_records import TraceResult

DEBOUNCE_MS = 30  # coalesces a burst of keystrokes; a held spin arrow still draws as it goes (newest wins)
ERROR_STATUS_MS = 15_000
TRACES_KEPT = 16  # verdicts remembered per (config, device): a view switch or an undo shows one at once


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
        self.remember = remember  # write layout and last config to the settings on close, autosave edits
        self.view_name = "u"
        self.analysis: Analysis | None = None  # what the table and summary show, with its trace once known
        self.last_error = ""
        self._tracing: tuple[UNetConfig, str] | None = None  # the trace in flight
        self._traced: OrderedDict[tuple[UNetConfig, str], TraceResult] = OrderedDict()
        self._requested = cfg  # the config of the newest update request
        self._last_good: UNetConfig | None = None  # the newest config that analysed
        self._error_shown = ""  # the config error in the status bar: it goes once the config is valid
        self._draw_failing = False  # the diagram could not be drawn: told once, then in the status bar
        self._boxes: dict[tuple[str, str], QMessageBox] = {}  # open error boxes: the same one never twice
        self.asks_to_save = True  # False for SIGTERM: nobody is there to answer
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
        self.detail = DetailPane(self.table.model)  # the layers of what was clicked: a node, a bar or a row
        self.memory = MemoryPanel(cfg)  # training memory against a GPU's, planned off the GUI thread
        if auto_trace:  # and checked with torch in the trace process, as traces run by themselves
            self.memory.checker = self.worker.tracer.kept_for_backward
        self.imported: Imported | None = None
        self.setAcceptDrops(True)  # a config, plans file or bundle dropped on the window opens it
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
        # The diagram takes the full width right of the config (its labels readable at 1:1); the summary sits
        # beside the layers table under it.
        self.docks = [
            self._dock("config", "Configuration", form_scroll, Qt.DockWidgetArea.LeftDockWidgetArea),
            self._dock("summary", "Summary", self.summary, Qt.DockWidgetArea.BottomDockWidgetArea),
            self._dock("layers", "Layers", self.table, Qt.DockWidgetArea.BottomDockWidgetArea),
            self._dock("detail", "Detail", self.detail, Qt.DockWidgetArea.RightDockWidgetArea),
            self._dock("memory", "GPU memory", self.memory, Qt.DockWidgetArea.RightDockWidgetArea),
        ]
        self.splitDockWidget(self.docks[2], self.docks[1], Qt.Orientation.Horizontal)
        self.detail_dock = self.docks[3]
        self.tabifyDockWidget(self.docks[1], self.detail_dock)  # a tab beside the Summary: both keep their place
        self.tabifyDockWidget(self.detail_dock, self.docks[4])
        self.docks[1].raise_()
        self.resizeDocks([self.docks[0]], [380], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks[2], self.docks[1]], [480, 370], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks[2]], [240], Qt.Orientation.Vertical)
        self.files = FileController(self)
        self.inspector = InspectController(self)  # File → Inspect a model: shown read-only instead of the config
        self.commands = WindowActions(self)
        self.commands.fill_recent(settings.recent_files())
        self.busy_label, self.timing_label = QLabel(), QLabel()
        self.trace_progress = TraceProgress(self.worker, self.commands.cancel_trace)  # busy bar, time, Cancel
        self.statusBar().addPermanentWidget(self.trace_progress)
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.timing_label)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.request_update)
        self.autosave = Autosave(settings.folder / AUTOSAVE_NAME, parent=self)
        self._connect()
        self.theme = ThemeWatcher([self.diagram], self.request_update, parent=self)  # light or dark, as the system
        self.update_title()
        if remember:  # a session runs: until the clean close, the autosave is what a crash leaves behind
            self.autosave.changed(cfg)
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
        self.form.edited.connect(self._on_form_edited)
        self.form.invalid.connect(self._on_invalid)
        self.document.changed.connect(self._on_config_changed)
        if self.remember:
            self.document.changed.connect(self.autosave.changed)
            self.document.path_changed.connect(self.settings.set_last_path)  # Ctrl+S finds it after a restart
        self.document.dirty_changed.connect(self.setWindowModified)
        self.document.path_changed.connect(lambda _p: self.update_title())
        w = self.worker
        w.analysed.connect(self._on_analysed)
        w.rendered.connect(self._on_rendered)
        w.update_failed.connect(self._on_update_failed)
        w.unanalysable.connect(self._on_unanalysable)
        w.traced.connect(self._on_traced)
        w.trace_failed.connect(self._on_trace_failed)
        w.cuda_checked.connect(self.commands.set_cuda_available)
        w.exported.connect(lambda path: self.statusBar().showMessage(f"exported {path}", 8000))
        w.exported.connect(lambda path: self.settings.sync())
        w.export_failed.connect(lambda exc: self.show_error("Export failed", _message(exc)))
        w.busy_changed.connect(lambda text: self.busy_label.setText(f"{text}…" if text else ""))
        self.table.layers_selected.connect(self._on_layers_selected)
        self.table.layers_found.connect(self._highlight_layers)  # Ctrl+F: the filter's matches in the diagram
        self.diagram.node_clicked.connect(self._on_node_clicked)
        self.diagram.detailRequested.connect(self.show_detail)  # Enter on a node
        self.summary.size_chosen.connect(self._on_size_chosen)
        self.memory.follow(self.document, self.inspector, self.docks[4])

    # --- requests ------------------------------------------------------------------------------------

    def request_update(self) -> None:
        self._debounce.stop()
        if self.inspector.active:  # an inspected model is shown: it is drawn in the chosen view instead
            self.inspector.redraw()
            return
        self._requested = self.document.config
        self.worker.request_update(self._requested, self.view_name)

    def set_view(self, view: str) -> None:
        if view != self.view_name:
            self.view_name = view
            self.commands.view_actions[view].setChecked(True)
            self.request_update()

    def trace_now(self) -> None:
        """The Trace button: trace the shown analysis on the chosen device, even on cpu."""
        if self.analysis is not None and not self.inspector.active:
            self._start_trace(self.analysis, force=True)

    def cancel_trace(self) -> None:
        """Trace → Cancel: the running trace stops; its config can be traced again."""
        if self.worker.traces.busy:
            self.worker.cancel_trace()
            self._tracing = None
            self.summary.set_trace_status("cancelled (press Trace to run it again)")
            self.statusBar().showMessage("trace cancelled", ERROR_STATUS_MS)

    def _start_trace(self, analysis: Analysis, force: bool = False) -> None:
        if analysis.shapes.failure:  # a strict join of unequal sizes: reported by the analysis, not traced
            failed = next((layer.name for layer in analysis.layers if layer.error), "a join")
            self.summary.set_trace_status(f"not run: the forward pass would fail at {failed}")
            return
        device = self.commands.device.currentText()
        key = (analysis.config, device)
        if not force and (key in self._traced or key == self._tracing or device == "cpu"):
            return
        self._tracing = key
        if self.analysis is not None and self.analysis.trace is not None:  # never shown as current while a new one runs
            self._show_analysis(Analysis(self.analysis.shapes))
        self.summary.set_trace_status(self._trace_status(analysis.config))
        self.worker.request_trace(Analysis(analysis.shapes), device)

    def _trace_status(self, cfg: UNetConfig) -> str:
        """What the summary says while `cfg` has no verdict to show."""
        device = self.commands.device.currentText()
        if self._tracing == (cfg, device):
            first = "; the first one loads torch, a few seconds" if not self.worker.tracer.started else ""
            return f"tracing on {device}… (the previous result is hidden until it ends){first}"
        if self.auto_trace and device != "cpu":
            return "waiting for the diagram"
        return "not run (press Trace)"

    def _show_analysis(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.table.set_analysis(analysis)
        self.summary.set_analysis(analysis, self.summary.valid_sizes)

    # --- results -------------------------------------------------------------------------------------

    def open_compare(self, twin: bool = False) -> CompareWindow:
        """Compare mode: B starts as a copy of this config, or as its valid/same padding twin."""
        from unetviz.gui.compare_window import CompareWindow, padding_twin  # on first use: not on the start path

        a = self.document.config
        b = padding_twin(a) if twin else a.replace(name=f"{a.name} (B)")
        if self.compare_window is None:
            self.compare_window = CompareWindow(a, b, render_svg=self.worker.render_svg, parent=self)
            self.compare_window.setWindowIcon(app_icon())
            self.compare_window.a_replaced.connect(lambda cfg: self.document.edit(cfg, "Swap A and B"))
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
        self.form.mark_analysis_error(None)  # that error was the old config's; the new one is analysed soon
        self._show_error_status()
        self.update_title()
        self._debounce.start()

    def _on_form_edited(self, cfg: UNetConfig, text: str) -> None:
        self.document.edit(cfg, text or None)
        if cfg == self._last_good and self.form.current_error() is None:  # back to what is shown: nothing to redo
            self._set_stale(False)
        self._show_error_status()

    def _on_invalid(self, error: ConfigError) -> None:
        self._set_stale(True)
        self._show_error_status()

    def _show_error_status(self) -> None:
        """The form's error stays in the status bar while it lasts, and goes when the config is valid again."""
        error = self.form.current_error()
        text = app_message(str(error)) if error is not None else ""
        if text:
            if self.statusBar().currentMessage() != text:
                self.statusBar().showMessage(text)
        elif self._error_shown and self.statusBar().currentMessage() == self._error_shown:
            self.statusBar().clearMessage()
        self._error_shown = text

    def _on_analysed(self, analysed: Analysed) -> None:
        analysis = analysed.analysis
        known = self._traced.get((analysis.config, self.commands.device.currentText()))
        if known is not None:
            analysis = Analysis(analysis.shapes, known)
        self.analysis = analysis
        self._last_good = analysis.config
        self.diagram.layers = {layer.name: layer for layer in analysis.layers}  # the tooltips' formulas
        self.table.set_analysis(analysis)
        self.summary.set_trace_status(self._trace_status(analysis.config))
        self.summary.set_analysis(analysis, analysed.valid_sizes)
        self.form.mark_analysis_error(None)
        self._show_error_status()
        self._set_stale(self.form.current_error() is not None)

    def _on_rendered(self, diagram: Diagram) -> None:
        if not self.diagram.show_diagram(diagram):
            self.show_error("Cannot show the diagram", "Qt could not read the SVG the renderer produced")
        self.diagram.set_stale(self.form.current_error() is not None)
        self.timing_label.setText(f"updated in {diagram.seconds * 1000:.0f} ms")
        if self._draw_failing:
            self._draw_failing = False
            self.statusBar().showMessage("the diagram draws again", 5000)
        self.update_finished.emit()
        if self.auto_trace and self.analysis is not None and self.analysis.config == diagram.config:
            self._start_trace(self.analysis)

    def _on_unanalysable(self, failure: Unanalysable) -> None:
        """The config is valid field by field but cannot be analysed (the input collapses)."""
        error = self._blame_the_edit(failure.config, failure.error)
        self.form.mark_analysis_error(error)
        self.summary.show_failure(failure.config, app_message(str(error)), failure.valid_sizes)
        self._set_stale(True)
        self._show_error_status()
        self.update_finished.emit()

    def _blame_the_edit(self, cfg: UNetConfig, error: ConfigError) -> ConfigError:
        """Raising depth can make the input collapse: the field to fix is the one just changed, not the input."""
        changed = changed_fields(self._last_good, cfg) if self._last_good is not None else ()
        changed = tuple(f for f in changed if f != "name")  # "(edited)" comes with the first edit of a preset
        if len(changed) != 1 or changed[0] == error.field:
            return error
        field, value = changed[0], getattr(cfg, changed[0])
        shown = list(value) if isinstance(value, tuple) else value
        return ConfigError(field, value, error.allowed, f"{field}: {shown} does not fit the input: {error}")

    def _on_update_failed(self, error: Exception) -> None:
        if isinstance(error, ConfigError):  # the config did not analyse: as Unanalysable, without sizes
            self._on_unanalysable(Unanalysable(self._requested, error, []))
            return
        # A RenderError, or a bug: the table and summary stay; a box once, then the status bar until it draws.
        self.diagram.set_stale(True)
        if self._draw_failing:
            self.statusBar().showMessage(f"Cannot draw the diagram: {_message(error)}")
        else:
            self._draw_failing = True
            self.show_error("Cannot draw the diagram", _message(error))
        if self.auto_trace and self.analysis is not None and self.analysis.config == self._requested:
            self._start_trace(self.analysis)  # the sizes can still be traced without a drawing
        self.update_finished.emit()

    def _on_traced(self, traced: Traced) -> None:
        key = (traced.config, traced.device)
        self._traced[key] = traced.result
        while len(self._traced) > TRACES_KEPT:
            self._traced.popitem(last=False)
        if self._tracing == key:
            self._tracing = None
        if self.analysis is not None and self.analysis.config == traced.config and not self.inspector.active:
            self._show_analysis(Analysis(self.analysis.shapes, traced.result))
        self.trace_finished.emit()

    def _on_trace_failed(self, error: Exception) -> None:
        self._tracing = None  # let the same config be traced again once the cause is fixed
        self.summary.set_trace_status(f"failed: {_message(error)}")
        self.statusBar().showMessage(f"trace failed: {_message(error)}", ERROR_STATUS_MS)
        self.last_error = _message(error)
        self.trace_finished.emit()

    def _set_stale(self, stale: bool) -> None:
        for view in (self.diagram, self.table, self.summary, self.detail, self.memory):
            view.set_stale(stale)

    # --- selection link ------------------------------------------------------------------------------

    def _on_layers_selected(self, names: list[str]) -> None:
        self._highlight_layers(names)
        self.show_detail(names)

    def _highlight_layers(self, names: list[str]) -> None:
        graph = self.diagram.diagram.graph if self.diagram.diagram is not None else None
        node = graph.node_of_layer(names[0]) if graph is not None and names else None
        self.diagram.highlight(node.id if node is not None else None)

    def _on_node_clicked(self, node_id: str | None) -> None:
        self.diagram.highlight(node_id, scroll=False)
        if node_id is not None and self.diagram.diagram is not None:
            layers = list(self.diagram.diagram.graph.node(node_id).layers)
            self.table.select_layers(layers)
            self.show_detail(layers)

    def show_detail(self, names: list[str]) -> None:
        """The detail pane shows these layers, and comes to the front of its tab (unless the user closed it)."""
        self.detail.show_layers(names)
        if names and self.detail_dock.isVisible():
            self.detail_dock.raise_()

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

    def update_title(self) -> None:
        path = self.document.path
        where = f" ({path.name})" if path is not None else ""
        self.setWindowTitle(f"unetviz — {self.inspector.title() or self.document.config.name + where}[*]")

    def set_imported(self, imported: Imported | None) -> None:
        """What the open file was imported from (an nnU-Net plans file, a MONAI bundle), for the summary."""
        self.imported = imported
        self.summary.set_imported(imported)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.files.open_path(path)

    def show_error(self, title: str, message: str) -> None:
        """Shown once: a status line and a box that does not block the window (the same box never twice)."""
        message = app_message(message)  # the core's words (CLI flags, JSON) in the app's
        self.last_error = message
        self.statusBar().showMessage(f"{title}: {message}", ERROR_STATUS_MS)
        key = (title, message)
        if key in self._boxes:
            self._boxes[key].raise_()
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote what the user typed
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: self._boxes.pop(key, None))
        self._boxes[key] = box
        box.open()

    def error_boxes(self) -> list[QMessageBox]:
        return list(self._boxes.values())

    def ask_to_save(self) -> QMessageBox.StandardButton:
        buttons = QMessageBox.StandardButton
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"Save the changes to {self.document.config.name}?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the name is the user's text
        box.setDefaultButton(buttons.Save)
        return QMessageBox.StandardButton(box.exec())

    def may_discard_changes(self) -> bool:
        if not self.document.dirty or not self.asks_to_save:
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
            self.autosave.changed(self.document.config)
            self.autosave.close()
        self._debounce.stop()
        self.inspector.shutdown()  # a model being inspected: its process ends now
        if self.compare_window is not None:
            self.compare_window.close()
        self.worker.shutdown()
        event.accept()


def _message(error: object) -> str:
    if isinstance(error, (ConfigError, RenderError, TraceError)):
        return app_message(str(error))
    if isinstance(error, OSError):
        return f"{error.filename or ''}: {error.strerror or error}".lstrip(": ")
    return f"{type(error).__name__}: {error}"
