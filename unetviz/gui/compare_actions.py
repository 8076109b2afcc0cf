"""The compare window's menus, toolbar and shortcuts: export the report, zoom both diagrams, choose the view,
swap A and B, set B — each command one QAction, built in one place."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from unetviz.gui.actions import APP_VIEWS, VIEW_LABELS, make_action, zoom_actions

if TYPE_CHECKING:
    from unetviz.gui.compare_window import CompareWindow

REPORT_FORMATS = {"html": ("HTML page", "*.html"), "markdown": ("Markdown", "*.md")}


class CompareActions:
    def __init__(self, window: CompareWindow) -> None:
        self.window = window
        first = window.views[0]  # B's view follows A's zoom (compare_window._sync_views)
        export = window.export_report_dialog
        self.export_html = self._action("Export report as &HTML…", partial(export, "html"), "Ctrl+E")
        self.export_html.setToolTip("one page: the differences, the table and both diagrams")
        self.export_html.setIconText("HTML report…")  # the toolbar's shorter words
        self.export_markdown = self._action("Export report as &Markdown…", partial(export, "markdown"), "Ctrl+Shift+E")
        self.export_markdown.setIconText("Markdown report…")
        self.close = self._action("&Close", window.close, QKeySequence.StandardKey.Close)
        self.zoom_in, self.zoom_out, self.fit, self.actual_size = zoom_actions(window, first)
        self.swap = self._action("&Swap A and B", window.swap, "Ctrl+Shift+X")
        self.swap.setToolTip("B becomes the main window's config, and A becomes B")
        self.swap.setIconText("Swap A ⇄ B")
        self.padding_twin = self._action("B = A with the other &padding", window.set_b_twin)
        self.clone = self._action("B = &A", window.set_b_clone)
        self.load_b = self._action("&Load B…", window.load_b_dialog)

        self.views = QActionGroup(window)
        self.view_actions: dict[str, QAction] = {}
        for number, view in enumerate(APP_VIEWS, start=1):
            action = self._action(VIEW_LABELS[view], partial(window.set_view, view), f"Alt+{number}")
            action.setCheckable(True)
            action.setChecked(view == window.view_name)
            self.views.addAction(action)
            self.view_actions[view] = action
        self.view_choice = QComboBox()
        self.view_choice.setObjectName("compare_view")
        for name in APP_VIEWS:
            self.view_choice.addItem(VIEW_LABELS[name], name)
        self.view_choice.setToolTip("the view both diagrams are drawn in")
        self.view_choice.currentIndexChanged.connect(lambda index: window.set_view(APP_VIEWS[index]))
        self._build_menus()
        self.toolbar = self._build_toolbar()

    def _action(
        self, text: str, slot: Callable[[], object], shortcut: str | QKeySequence.StandardKey | None = None
    ) -> QAction:
        return make_action(self.window, text, slot, shortcut)

    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.export_html, self.export_markdown])
        file_menu.addSeparator()
        file_menu.addAction(self.close)
        view_menu = bar.addMenu("&View")
        view_menu.addActions(list(self.view_actions.values()))
        view_menu.addSeparator()
        view_menu.addActions([self.zoom_in, self.zoom_out, self.fit, self.actual_size])
        compare_menu = bar.addMenu("&Compare")
        compare_menu.addAction(self.swap)
        compare_menu.addSeparator()
        compare_menu.addActions([self.padding_twin, self.clone, self.load_b])

    def _build_toolbar(self) -> QToolBar:
        bar = QToolBar("Compare", self.window)
        bar.setObjectName("compare_toolbar")
        bar.setMovable(False)
        bar.addWidget(QLabel(" View "))
        bar.addWidget(self.view_choice)
        bar.addSeparator()
        bar.addActions([self.fit, self.actual_size, self.zoom_out, self.zoom_in])
        bar.addSeparator()
        bar.addAction(self.swap)
        bar.addSeparator()
        bar.addActions([self.export_html, self.export_markdown])
        self.window.addToolBar(bar)
        return bar

    def show_view(self, view: str) -> None:
        """Check the view's action and pick it in the combo box, without asking for it again."""
        self.view_actions[view].setChecked(True)
        self.view_choice.blockSignals(True)
        self.view_choice.setCurrentIndex(APP_VIEWS.index(view))
        self.view_choice.blockSignals(False)
