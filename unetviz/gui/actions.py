"""Menus, toolbar and shortcuts: every command of the window as one QAction, built in one place."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMenu, QMessageBox, QToolBar

from unetviz.core.config import preset_names
from unetviz.draw.graph import VIEWS
from unetviz.gui.paper_view import PAPER

if TYPE_CHECKING:
    from unetviz.gui.diagram_view import DiagramView
    from unetviz.gui.main_window import MainWindow

DEVICES = ("auto", "cuda", "cpu", "meta")
APP_VIEWS = (*VIEWS, PAPER)  # Alt+1 … Alt+4 in this order
VIEW_LABELS = {"u": "U shape", "blocks": "Blocks", "layers": "Layers", PAPER: "Paper"}
PAPER_TIP = ("the 2015 paper's Figure 1, laid out by unetviz: one bar per feature map; File → Export diagram "
             "writes it as SVG, PNG, PDF or TikZ (.tex)")  # fmt: skip
DEVICE_TIPS = {
    "auto": "CUDA when torch sees a GPU, else meta",
    "cuda": "run the model on the GPU: per-layer times and peak memory",
    "cpu": "run the model on the CPU (slow for large inputs; only on Trace)",
    "meta": "shapes only, no memory or compute",
}


class WindowActions:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        files, diagram = window.files, window.diagram
        stack = window.document.undo_stack

        self.open = self._action("&Open config…", files.open_dialog, QKeySequence.StandardKey.Open)
        self.inspect = self._action("&Inspect a model…", window.inspector.open_dialog, "Ctrl+I")
        self.inspect.setToolTip("import a PyTorch model you wrote (that runs its code) and show it, read-only")
        self.save = self._action("&Save config", files.save, QKeySequence.StandardKey.Save)
        self.save_as = self._action("Save config &As…", files.save_as, "Ctrl+Shift+S")
        self.export_diagram = self._action("&Export diagram…", files.export_diagram_dialog, "Ctrl+E")
        self.export_table = self._action("Export &table…", files.export_table_dialog, "Ctrl+Shift+E")
        self.export_code = self._action("Export PyTorch &code…", files.export_code_dialog)
        self.export_plans = self._action("Export to nnU-Net &plans…", files.export_plans_dialog)
        self.find = self._action("&Find layer…", window.table.focus_filter, QKeySequence.StandardKey.Find)
        self.find.setToolTip("filter the layers table and show the matching nodes in the diagram")
        self.quit = self._action("&Quit", window.close, QKeySequence.StandardKey.Quit)
        self.undo = stack.createUndoAction(window, "&Undo")
        self.undo.setShortcuts([QKeySequence("Ctrl+Z")])
        self.redo = stack.createRedoAction(window, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
        self.zoom_in, self.zoom_out, self.fit, self.actual_size = zoom_actions(window, diagram)
        self.copy_image = self._action("&Copy diagram as image", diagram.copy_image, "Ctrl+Shift+C")
        self.copy_image.setToolTip("SVG and PNG on the clipboard; Ctrl+drag the diagram to drop it as a file")
        diagram.context_actions = [self.copy_image, self.export_diagram, self.fit, self.actual_size]
        self.trace = self._action("&Trace", window.trace_now, "Ctrl+T")
        self.trace.setToolTip("run a dummy input through the real model and compare its sizes with the formulas")
        self.cancel_trace = self._action("&Cancel trace", window.cancel_trace, "Ctrl+.")
        self.cancel_trace.setToolTip("stop the running trace (a CPU trace of a large UNet can take minutes)")
        self.about = self._action("&About unetviz", self.show_about)
        self.compare = self._action("&Compare with a second config…", window.open_compare, "Ctrl+K")
        self.compare_padding = self._action(
            "Compare &valid vs same padding", partial(window.open_compare, twin=True), "Ctrl+Shift+K"
        )
        self.compare_padding.setToolTip("this UNet beside its twin with the other padding")

        self.views = QActionGroup(window)
        self.view_actions: dict[str, QAction] = {}
        for number, view in enumerate(APP_VIEWS, start=1):
            action = self._action(VIEW_LABELS[view], partial(window.set_view, view), f"Alt+{number}")
            if view == PAPER:
                action.setToolTip(PAPER_TIP)
            action.setCheckable(True)
            action.setChecked(view == window.view_name)
            self.views.addAction(action)
            self.view_actions[view] = action

        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        for i, device in enumerate(DEVICES):
            self.device.setItemData(i, DEVICE_TIPS[device], Qt.ItemDataRole.ToolTipRole)
        self.device.setToolTip("device for the trace")
        self.recent = QMenu("Open &recent", window)
        self._build_menus()
        self._build_toolbar()

    def _action(
        self, text: str, slot: Callable[[], object], shortcut: str | QKeySequence.StandardKey | None = None
    ) -> QAction:
        return make_action(self.window, text, slot, shortcut)

    def _build_menus(self) -> None:
        window = self.window
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        new_menu = file_menu.addMenu("&New from preset")
        for name in preset_names():
            _on_trigger(new_menu.addAction(name), partial(window.files.new_from_preset, name))
        file_menu.addActions([self.open])
        file_menu.addMenu(self.recent)
        file_menu.addAction(self.inspect)
        file_menu.addActions([self.save, self.save_as])
        file_menu.addSeparator()
        file_menu.addActions([self.export_diagram, self.export_table, self.export_code, self.export_plans])
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo, self.redo])
        edit_menu.addSeparator()
        edit_menu.addAction(self.copy_image)
        edit_menu.addAction(self.find)
        view_menu = bar.addMenu("&View")
        view_menu.addActions(list(self.view_actions.values()))
        view_menu.addSeparator()
        view_menu.addActions([self.zoom_in, self.zoom_out, self.fit, self.actual_size])
        view_menu.addSeparator()
        for dock in window.docks:
            view_menu.addAction(dock.toggleViewAction())
        trace_menu = bar.addMenu("&Trace")
        trace_menu.addActions([self.trace, self.cancel_trace])
        compare_menu = bar.addMenu("&Compare")
        compare_menu.addActions([self.compare_padding, self.compare])
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Toolbar", self.window)
        bar.setObjectName("toolbar")
        bar.setMovable(False)
        bar.addActions(list(self.view_actions.values()))
        bar.addSeparator()
        bar.addActions([self.fit, self.actual_size, self.zoom_out, self.zoom_in])
        bar.addSeparator()
        bar.addWidget(QLabel(" Device "))
        bar.addWidget(self.device)
        bar.addAction(self.trace)
        bar.addSeparator()
        bar.addAction(self.compare_padding)
        self.window.addToolBar(bar)
        self.toolbar = bar

    def fill_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        for path in paths:
            _on_trigger(self.recent.addAction(path), partial(self.window.files.open_path, path))
        self.recent.setEnabled(bool(paths))

    def show_about(self) -> None:
        from unetviz import __doc__ as about

        QMessageBox.about(
            self.window,
            "About unetviz",
            f"<h3>unetviz 0.1.0</h3><p>{escape((about or '').splitlines()[0])}</p>"
            f"<p>Settings: {escape(self.window.settings.path)}</p>",
        )

    def set_cuda_available(self, available: bool) -> None:
        item = self.device.model().item(DEVICES.index("cuda"))  # type: ignore[attr-defined]
        item.setEnabled(available)
        item.setToolTip(DEVICE_TIPS["cuda"] if available else "torch sees no GPU on this machine")
        if not available and self.device.currentText() == "cuda":
            self.device.setCurrentText("auto")


def _on_trigger(action: QAction, slot: Callable[[], object]) -> None:
    # triggered(bool) would hand `checked` to the slot as an extra argument.
    action.triggered.connect(lambda _checked=False: slot())


def make_action(parent: QObject, text: str, slot: Callable[[], object],
                shortcut: str | QKeySequence.StandardKey | None = None) -> QAction:  # fmt: skip
    """A menu/toolbar action calling `slot` (without triggered's `checked`), with an optional shortcut."""
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    _on_trigger(action, slot)
    return action


def zoom_actions(parent: QObject, view: DiagramView) -> tuple[QAction, QAction, QAction, QAction]:
    """Zoom in, zoom out, fit and 1:1 on `view`, with the same keys in every window that shows a diagram."""
    zoom_in = make_action(parent, "Zoom &in", view.zoom_in, "Ctrl+=")
    zoom_in.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
    return (zoom_in, make_action(parent, "Zoom &out", view.zoom_out, "Ctrl+-"),
            make_action(parent, "&Fit to window", view.fit, "Ctrl+0"),
            make_action(parent, "&Actual size (1:1)", view.actual_size, "Ctrl+1"))  # fmt: skip
