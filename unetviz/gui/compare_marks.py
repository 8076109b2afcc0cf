"""Compare mode's marks: the nodes whose layers differ between A and B — a layer's shapes or parameters, or a layer
only one side has — framed in both diagrams, so the eye goes where the two UNets part."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

if TYPE_CHECKING:
    from unetviz.core.analysis import Analysis
    from unetviz.core.records import Layer
    from unetviz.draw.graph import Graph
    from unetviz.gui.diagram_view import DiagramView

MARK_COLOUR = QColor("#e8590c")  # orange: seen on the light and the dark canvas, unlike the diagram's own colours
MARK_FILL = QColor(232, 89, 12, 40)
MARK_PAD = 3.0
STALE_OPACITY = 0.35


def _signature(layer: Layer) -> tuple[object, ...]:
    return layer.type, layer.in_shape, layer.out_shape, layer.params


def differing_layers(a: Analysis, b: Analysis) -> frozenset[str]:
    """Names of the layers that differ between `a` and `b`, matched by name; a layer on one side only differs."""
    mine = {layer.name: _signature(layer) for layer in a.layers}
    theirs = {layer.name: _signature(layer) for layer in b.layers}
    return frozenset(name for name in mine.keys() | theirs.keys() if mine.get(name) != theirs.get(name))


def differing_nodes(graph: Graph, layers: frozenset[str]) -> frozenset[str]:
    """The graph's nodes that stand for at least one of `layers`."""
    return frozenset(node.id for node in graph.nodes if layers.intersection(node.layers))


class NodeMarks:
    """Frames over one view's differing nodes, in the view's scene; replaced with each new drawing."""

    def __init__(self, view: DiagramView) -> None:
        self.view = view
        self.nodes: frozenset[str] = frozenset()
        self.items: list[QGraphicsRectItem] = []

    def show(self, nodes: frozenset[str]) -> None:
        """Frame `nodes` in the drawing the view shows now (its node boxes)."""
        self.clear()
        self.nodes = nodes
        pen = QPen(MARK_COLOUR, 2.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)  # as thick at every zoom
        for node in sorted(nodes):
            box = self.view.node_boxes.get(node)
            if box is None:
                continue
            item = QGraphicsRectItem(box.adjusted(-MARK_PAD, -MARK_PAD, MARK_PAD, MARK_PAD))
            item.setPen(pen)
            item.setBrush(QBrush(MARK_FILL))
            item.setZValue(5)  # over the drawing, under the selection's highlight
            item.setToolTip("differs from the other side (shapes or parameters)")
            self.view.scene().addItem(item)
            self.items.append(item)

    def set_stale(self, stale: bool) -> None:
        for item in self.items:
            item.setOpacity(STALE_OPACITY if stale else 1.0)

    def clear(self) -> None:
        for item in self.items:
            self.view.scene().removeItem(item)
        self.items.clear()
        self.nodes = frozenset()
