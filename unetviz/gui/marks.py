"""How a widget with an invalid value looks: a red field, set through the palette so that spin box arrows and
combo box drop-downs keep the platform style (a style sheet border would replace it). Light red with dark text
in a light theme, deep red with light text in a dark one: readable in both."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QWidget

from unetviz.gui.theme import is_dark

INVALID_COLOUR = QColor("#ffd6d6")  # light theme: the field
INVALID_TEXT = QColor("#1a1a1a")
INVALID_DARK_COLOUR = QColor("#7a1f1f")  # dark theme: the field
INVALID_DARK_TEXT = QColor("#ffffff")


def invalid_colours(palette: QPalette | None = None) -> tuple[QColor, QColor]:
    """(field, text) colours of an invalid value under `palette` (default: the application's)."""
    dark = is_dark(palette if palette is not None else QGuiApplication.palette())
    return (INVALID_DARK_COLOUR, INVALID_DARK_TEXT) if dark else (INVALID_COLOUR, INVALID_TEXT)


def set_invalid(widget: QWidget, invalid: bool) -> None:
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    if not invalid:
        widget.setPalette(QPalette())  # back to the application's palette
        return
    palette = QPalette(widget.palette())
    field, text = invalid_colours(palette)
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Button):
        palette.setColor(role, field)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(role, text)
    widget.setPalette(palette)


def is_invalid(widget: QWidget) -> bool:
    return bool(widget.property("invalid"))
