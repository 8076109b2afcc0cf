"""Inspect mode: the window shows an inspected PyTorch model, read-only, instead of the config.

The controller runs each inspection in a child process (gui/inspect_process.py) from a pool thread and draws
the result in the window's views: the diagram in every view, the layer table, the summary; exports take it. The
config panel says it is read-only and offers the matched config; any edit of the config, a preset, an opened
file or an undo goes back to the config. Nothing here runs on its own: only File → Inspect a model… (or a valid
size clicked in an inspected model's summary) starts an import, and the inspected model is never autosaved.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from unetviz.core.errors import ConfigError, RenderError
from unetviz.core.inspection import Inspection
from unetviz.core.records import Imported
from unetviz.gui.inspect_process import InspectCancelled, InspectFailed, InspectProcess
from unetviz.gui.inspect_request import InspectRequest
from unetviz.gui.text import plain_label
from unetviz.gui.theme import current_theme
from unetviz.gui.worker import Diagram, Lane, RenderSvg, Report, themed

if TYPE_CHECKING:
    from unetviz.gui.inspect_dialog import InspectDialog
    from unetviz.gui.main_window import MainWindow

STATUS_MS = 15_000
CONFIG_DOCK_TITLE = "Configuration"


def inspect_work(process: InspectProcess, request: InspectRequest, report: Report) -> None:
    report("inspection", process.run(request, partial(report, "progress")))


def draw_work(
    found: Inspection, view: str, render_svg: RenderSvg, started: float, report: Report, theme: str = "light"
) -> None:
    from unetviz.draw.graph import build_graph
    from unetviz.gui.paper_view import PAPER, paper_diagram

    if view == PAPER:
        report("diagram", paper_diagram(found, None, started, theme))
        return
    graph = build_graph(found, view)
    report("diagram", Diagram(view, graph, render_svg(graph), None, time.perf_counter() - started))


def one_line(error: object) -> str:
    if isinstance(error, (InspectFailed, ConfigError, RenderError)):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split())


class ReadOnlyBanner(QFrame):
    """At the top of the config panel while an inspected model is shown: what is shown, and the ways back."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("read_only_banner")
        self.setStyleSheet("#read_only_banner { background: #ebf8ff; border: 1px solid #90cdf4; border-radius: 3px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.title = plain_label("Read-only")
        self.title.setStyleSheet("font-weight: bold; color: #2c5282;")
        self.what = plain_label()  # the target is the user's text
        self.back_note = plain_label("The form below is still your config, not this model: editing it, or choosing "
                                     "a preset, goes back to it.")  # fmt: skip
        self.matched = plain_label()
        self.matched.setStyleSheet("color: #276749;")
        for label in (self.what, self.back_note, self.matched):
            label.setWordWrap(True)
        self.open_matched = QPushButton("Open as an editable config")
        self.open_matched.setToolTip("load the unetviz config this model is exactly, to edit, save and export it")
        self.back = QPushButton("Back to my config")
        self.again = QPushButton("Inspect again…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.back)
        buttons.addWidget(self.again)
        buttons.addStretch(1)
        for widget in (self.title, self.what, self.matched, self.open_matched, self.back_note):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.hide()

    def show_inspection(self, found: Inspection) -> None:
        self.what.setText(f"Showing an inspected model: {found.target}; its layers come from tracing it.")
        matched = found.matched
        self.matched.setText(f"It is exactly the unetviz config {matched.name}." if matched is not None else "")
        self.matched.setVisible(matched is not None)
        self.open_matched.setVisible(matched is not None)
        self.show()

    def text(self) -> str:
        shown = [self.title, self.what, self.matched, self.back_note]
        return " ".join(label.text() for label in shown if not label.isHidden())


class InspectController(QObject):
    progress = Signal(str)  # the child's stage: loading torch, importing, tracing
    inspected = Signal(object)  # the Inspection now in the table and summary (its diagram follows)
    drawn = Signal()  # its diagram is on screen, or drawing it failed
    failed = Signal(str)  # one line
    cancelled = Signal()
    left = Signal()  # back to the config: the views that showed the inspected model show the config again

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.shown: Inspection | None = None
        self.request: InspectRequest | None = None  # the newest asked for: the dialog starts from it
        self.cuda_available = False  # known once the trace process has looked (torch never loads here)
        self.dialog: InspectDialog | None = None
        self._process: InspectProcess | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)  # a run and a drawing: never behind the window's own updates
        self.runs = Lane(self.pool, parent=self)
        self.draws = Lane(self.pool, parent=self)
        self.runs.report.connect(self._on_run_report)
        self.runs.failed.connect(self._on_run_failed)
        self.draws.report.connect(self._on_drawn)
        self.draws.failed.connect(self._on_draw_failed)
        self.banner = ReadOnlyBanner()
        self.banner.back.clicked.connect(self.leave)
        self.banner.again.clicked.connect(self.open_dialog)
        self.banner.open_matched.clicked.connect(self.open_matched)
        self._wrap_config_panel()
        window.document.changed.connect(self._on_config_changed)
        window.form.edited.connect(self._on_form_edited)
        window.form.invalid.connect(self._on_form_edited)
        window.summary.shape_chosen.connect(self._inspect_at)
        window.summary.open_matched.connect(self.open_matched)
        window.worker.cuda_checked.connect(self._on_cuda_checked)

    def _wrap_config_panel(self) -> None:
        dock = self.window.docks[0]
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.banner)
        layout.addWidget(dock.widget(), 1)
        dock.setWidget(panel)

    @property
    def active(self) -> bool:
        """An inspected model is on screen (read-only)."""
        return self.shown is not None

    @property
    def running(self) -> bool:
        return self._process is not None

    def title(self) -> str:
        """The window title's subject while an inspected model is shown, else ""."""
        return f"inspected {self.shown.name} ({self.shown.target}), read-only" if self.shown is not None else ""

    # --- requests ------------------------------------------------------------------------------------

    def open_dialog(self) -> InspectDialog:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        cfg = self.window.document.config
        request = self.request or InspectRequest("", {}, (cfg.batch_size, cfg.in_channels, *cfg.input_size))
        if self.dialog is not None:
            self.dialog.deleteLater()
        from unetviz.gui.inspect_dialog import InspectDialog  # on first use: not on the start path

        self.dialog = InspectDialog(self, request, self.cuda_available, self.window)
        self.dialog.open()
        return self.dialog

    def inspect(self, request: InspectRequest) -> None:
        """Run `request` in a child process; the newest request wins (a run in flight is ended)."""
        self.cancel(quiet=True)
        self.request = request
        process = self._process = InspectProcess()
        self.runs.submit(partial(inspect_work, process, request))
        self.window.statusBar().showMessage(f"inspecting {request.target}…")

    def _inspect_at(self, shape: tuple[int, ...]) -> None:
        if self.shown is not None and self.request is not None:
            self.inspect(self.request.at_size(shape))

    def cancel(self, quiet: bool = False) -> None:
        """End the run in flight, if any: its child is killed and nothing it sends is shown."""
        process, self._process = self._process, None
        if process is None:
            return
        self.runs.cancel()
        process.cancel()
        if not quiet:
            self.window.statusBar().showMessage("inspection cancelled", STATUS_MS)
            self.cancelled.emit()

    def redraw(self) -> None:
        """Draw the shown inspection in the window's current view (a view switch)."""
        if self.shown is not None:
            theme = current_theme()
            work = partial(draw_work, self.shown, self.window.view_name, themed(self.window.worker.render_svg, theme),
                           time.perf_counter(), theme=theme)  # fmt: skip
            self.draws.submit(work)

    def open_matched(self) -> bool:
        """Load the config the shown model is exactly into the normal, editable flow."""
        found = self.shown
        if found is None or found.matched is None or not self.window.may_discard_changes():
            return False
        cfg = found.matched
        self.window.document.load(cfg, None)  # leaves inspect mode (the document changed)
        self.window.set_imported(Imported(cfg, f"the inspected model {found.target}", (), ()))
        self.window.statusBar().showMessage(f"opened {cfg.name}: the inspected model is exactly this config", 8000)
        return True

    def leave(self) -> None:
        """Back to the config: its analysis and drawing replace the inspected model's."""
        if self.shown is None:
            return
        self.cancel(quiet=True)
        self.draws.cancel()
        self.shown = None
        self.banner.hide()
        self.window.summary.set_inspection(None)
        for view in (self.window.diagram, self.window.table, self.window.summary):
            view.set_stale(True)  # until the config's own update arrives
        self._show_mode(False)
        self.left.emit()
        # After the edit that brought us here has reached the document: one update, of the config it made.
        QTimer.singleShot(0, self.window, self.window.request_update)

    def shutdown(self) -> None:
        self.cancel(quiet=True)
        self.draws.cancel()
        self.pool.waitForDone(10_000)

    # --- results -------------------------------------------------------------------------------------

    def _on_run_report(self, kind: str, payload: object) -> None:
        if kind == "progress":
            self.progress.emit(str(payload))
            self.window.statusBar().showMessage(f"inspecting: {payload}…")
        elif isinstance(payload, Inspection):
            self._show(payload)

    def _show(self, found: Inspection) -> None:
        if self.shown is None:
            self.window.worker.updates.cancel()  # a config update still under way would draw over it
        self._process = None
        self.shown = found
        window = self.window
        window.table.set_analysis(found)
        window.summary.set_inspection(found)
        for view in (window.table, window.summary):
            view.set_stale(False)
        self.banner.show_inspection(found)
        self._show_mode(True)
        how = f"{len(found.layers)} steps recorded on {found.device} in {found.seconds * 1000:.0f} ms"
        failed = f"; its forward pass fails at {found.failure}" if found.failure else ""
        window.statusBar().showMessage(f"inspected {found.target}: {how}{failed}", STATUS_MS)
        self.inspected.emit(found)
        self.redraw()

    def _show_mode(self, inspecting: bool) -> None:
        commands = self.window.commands
        for action in (commands.trace, commands.export_code, commands.export_plans):
            action.setEnabled(not inspecting)  # an inspection is its own trace, and is no config to write
        self.window.docks[0].setWindowTitle(
            f"{CONFIG_DOCK_TITLE} (read-only view)" if inspecting else CONFIG_DOCK_TITLE
        )
        self.window.update_title()

    def _on_run_failed(self, error: object) -> None:
        if isinstance(error, InspectCancelled):
            return
        self._process = None
        text = one_line(error)
        self.window.last_error = text
        self.failed.emit(text)
        if self.dialog is not None and self.dialog.isVisible():  # the dialog shows it beside the fields
            self.window.statusBar().showMessage(f"Cannot inspect the model: {text}", STATUS_MS)
        else:
            self.window.show_error("Cannot inspect the model", text)

    def _on_drawn(self, _kind: str, diagram: object) -> None:
        assert isinstance(diagram, Diagram)
        window = self.window
        if not window.diagram.show_diagram(diagram):
            window.show_error("Cannot show the diagram", "Qt could not read the SVG the renderer produced")
        window.diagram.set_stale(False)
        window.timing_label.setText(f"drawn in {diagram.seconds * 1000:.0f} ms")
        self.drawn.emit()
        window.update_finished.emit()

    def _on_draw_failed(self, error: object) -> None:
        self.window.diagram.set_stale(True)
        self.window.show_error("Cannot draw the diagram", one_line(error))
        self.drawn.emit()
        self.window.update_finished.emit()

    # --- the config's side ---------------------------------------------------------------------------

    def _on_config_changed(self, _cfg: object) -> None:
        self.leave()

    def _on_form_edited(self, *_args: object) -> None:
        self.leave()

    def _on_cuda_checked(self, available: bool) -> None:
        self.cuda_available = bool(available)
