"""How a widget with an invalid value looks: a light red field, set through the palette so that spin box
arrows and combo box drop-downs keep the platform style (a style sheet border would replace it)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

INVALID_COLOUR = QColor("#ffd6d6")


def set_invalid(widget: QWidget, invalid: bool) -> None:
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    if not invalid:
        widget.setPalette(QPalette())  # back to the application's palette
        return
    palette = QPalette(widget.palette())
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Button):
        palette.setColor(role, INVALID_COLOUR)
    widget.setPalette(palette)


def is_invalid(widget: QWidget) -> bool:
    return bool(widget.property("invalid"))
