"""The detail pane: every layer of the clicked node, bar or row, with its shapes, formula, params, mult-adds and
activation memory (float32 bytes of its output).

It reads the layers from the layer table's model, so it shows what the table shows (a config's analysis or an
inspected model) and follows each new analysis by itself.
"""

from __future__ import annotations

import math
from html import escape as _escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QWidget

from unetviz.core.records import Layer
from unetviz.core.shapes import BYTES_PER_VALUE
from unetviz.gui.layer_table import LayerTableModel
from unetviz.gui.text import rich_text_pane, unbroken
from unetviz.report.tables import human, shape_text

HINT = "Click a node, a bar or a layer row to see its layers here."
MAX_SHOWN = 200  # a whole layers chain selected: the first ones, and a line that says how many more


def escape(text: str) -> str:
    return _escape(text, quote=False)


def activation_bytes(layer: Layer) -> int:
    """The memory its output takes in float32."""
    return BYTES_PER_VALUE * math.prod(layer.out_shape)


class DetailPane(QScrollArea):
    def __init__(self, layers: LayerTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detail_pane")
        self._model = layers
        self.names: list[str] = []
        # every name and formula in it is escaped
        self.label = rich_text_pane(self, HINT, Qt.TextInteractionFlag.TextSelectableByMouse)
        layers.modelReset.connect(self._refresh)  # a new analysis: the same layers, with their new sizes

    def show_layers(self, names: list[str]) -> None:
        """Show these layers (a node's, a bar's, the selected rows'); an empty list shows the hint."""
        self.names = list(names)
        self._refresh()

    def set_stale(self, stale: bool) -> None:
        self.label.setEnabled(not stale)

    def text(self) -> str:
        return self.label.text()

    def layers(self) -> list[Layer]:
        """The shown layers that the current model has (an edit can remove some: depth 5 → 4)."""
        rows = (self._model.row_of(name) for name in self.names)
        return [self._model.layer_at(row) for row in rows if row is not None]

    def _refresh(self) -> None:
        layers = self.layers()
        if not layers:
            self.label.setText(f"<p style='color:#555'>{escape(HINT)}</p>")
            return
        parts = []
        if len(layers) > 1:
            total = (
                f"{len(layers)} layers · {sum(x.params for x in layers):,} params · "
                f"{sum(x.mult_adds for x in layers):,} mult-adds · "
                f"{human(sum(activation_bytes(x) for x in layers), 'B')} activations"
            )
            parts.append(f"<p style='margin:0 0 6px 0'><b>{escape(total)}</b></p>")
        parts += [self._layer_html(layer) for layer in layers[:MAX_SHOWN]]
        if len(layers) > MAX_SHOWN:
            parts.append(f"<p>… and {len(layers) - MAX_SHOWN} more layers (see the table)</p>")
        self.label.setText("".join(parts))

    def _layer_html(self, layer: Layer) -> str:
        rows = [
            ("input → output", f"{unbroken(shape_text(layer.in_shape))} → {unbroken(shape_text(layer.out_shape))}"),
            ("formula", layer.formula or "—"),
            ("params", f"{layer.params:,}"),
            ("mult-adds", f"{layer.mult_adds:,}" + (f" ({human(layer.mult_adds)})" if layer.mult_adds >= 1000 else "")),
            ("activation memory", f"{human(activation_bytes(layer), 'B')} (its float32 output)"),
        ]
        rows += [("warning", note) for note in self._model.notes_of(layer.name)]
        if layer.error:
            rows.append(("fails", layer.error))
        cells = "".join(
            f"<tr><td style='white-space:nowrap; color:#444'>{escape(key)}</td><td>{escape(value)}</td></tr>"
            for key, value in rows
        )
        return (
            f"<p style='margin:6px 0 0 0'><b>{escape(layer.name)}</b> <span style='color:#555'>"
            f"{escape(layer.type)}</span></p><table cellspacing='2'>{cells}</table>"
        )
