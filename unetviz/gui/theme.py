"""Light or dark, as the system says: the application's palette (which Qt sets from the platform's colour scheme,
QStyleHints.colorScheme()) decides; diagrams are drawn in the same theme and redrawn when it changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QGraphicsView

from unetviz.draw.theme import DARK, DARK_CANVAS, LIGHT

LIGHT_CANVAS = "#fbfbfb"  # around a light drawing; a dark one has its own page colour around it


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def current_theme() -> str:
    """The theme the application draws its windows in: "dark" or "light"."""
    return DARK if is_dark(QGuiApplication.palette()) else LIGHT


def canvas_colour(theme: str) -> QColor:
    return QColor(DARK_CANVAS if theme == DARK else LIGHT_CANVAS)


class ThemeWatcher(QObject):
    """Tells when the application turns light or dark (a new palette, or the system's colour scheme changed):
    the given views take the new canvas colour, then `redraw` runs."""

    changed = Signal(str)

    def __init__(self, views: Iterable[QGraphicsView], redraw: Callable[[], object], parent: QObject) -> None:
        super().__init__(parent)
        self.theme = current_theme()
        self._views = list(views)
        self._redraw = redraw
        self._paint_views()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.paletteChanged.connect(self.check)  # a signal, not an application-wide event filter: no cost per event
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._scheme_changed)

    def _scheme_changed(self) -> None:
        QTimer.singleShot(0, self.check)  # the platform's scheme changes first; its palette follows

    def check(self) -> None:
        theme = current_theme()
        if theme == self.theme:
            return
        self.theme = theme
        self._paint_views()
        self._redraw()
        self.changed.emit(theme)

    def _paint_views(self) -> None:
        for view in self._views:
            view.setBackgroundBrush(QBrush(canvas_colour(self.theme)))
