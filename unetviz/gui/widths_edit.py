"""The widths editor: shows base_width·2^i and follows base_width and depth until the user types widths."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget

from unetviz.core.errors import ConfigError
from unetviz.gui.marks import set_invalid

FOLLOWING_STYLE = "color: palette(placeholder-text); font-style: italic;"


def doubling(base_width: int, depth: int) -> tuple[int, ...]:
    return tuple(base_width * 2**i for i in range(depth + 1))


class WidthsEdit(QWidget):
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.line = QLineEdit()
        self.line.setProperty("help", "channels per level 0…depth, e.g. 64, 128, 256; grey while following base width")
        self.line.setToolTip(str(self.line.property("help")))
        self.line.textEdited.connect(self._on_typed)
        self.auto = QToolButton()
        self.auto.setText("auto")
        self.auto.setToolTip("follow base width again (base_width · 2^level)")
        self.auto.clicked.connect(self._on_auto)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.auto)
        self.following = True
        self.invalid = False
        self._shape = (4, 64)  # (depth, base_width) the followed widths come from

    def set_widths(self, explicit: tuple[int, ...] | None, depth: int, base_width: int) -> None:
        self.following = explicit is None
        self._shape = (depth, base_width)
        self._show(explicit if explicit is not None else doubling(base_width, depth))

    def set_invalid(self, invalid: bool) -> None:
        self.invalid = invalid
        self._restyle()

    def follow_shape(self, depth: int, base_width: int) -> None:
        """depth or base_width changed: recompute followed widths; cut or extend typed ones to depth + 1."""
        self._shape = (depth, base_width)
        if self.following:
            self._show(doubling(base_width, depth))
            return
        try:
            typed = self._parse()
        except ConfigError:
            return  # leave the unreadable text marked as it is
        if typed:
            while len(typed) < depth + 1:
                typed = (*typed, typed[-1] * 2)
            self._show(typed[: depth + 1])

    def widths(self) -> tuple[int, ...] | None:
        return None if self.following else self._parse()

    def _parse(self) -> tuple[int, ...]:
        text = self.line.text()
        parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise ConfigError("widths", text, "integers separated by commas, e.g. 64, 128, 256") from None

    def _show(self, widths: tuple[int, ...]) -> None:
        self.line.setText(", ".join(str(w) for w in widths))
        self.line.setCursorPosition(0)  # a long list shows its start, level 0, not its end
        self._restyle()

    def _restyle(self) -> None:
        self.auto.setEnabled(not self.following)
        self.line.setStyleSheet(FOLLOWING_STYLE if self.following and not self.invalid else "")
        set_invalid(self.line, self.invalid)

    def _on_typed(self, _text: str) -> None:
        if self.following:
            self.following = False
            self._restyle()
        self.edited.emit()

    def _on_auto(self) -> None:
        self.following = True
        self._show(doubling(self._shape[1], self._shape[0]))
        self.edited.emit()
