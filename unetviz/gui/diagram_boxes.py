"""Where things are in a rendered SVG, in the diagram's scene: node and edge boxes (by SVG id, or given in SVG
units by the paper figure) and the smallest font size the SVG sets (what the readable zoom is computed from)."""

from __future__ import annotations

import re

from PySide6.QtCore import QRectF
from PySide6.QtSvg import QSvgRenderer

FONT_SIZE = re.compile(rb"font-size[=:]\s*\"?([0-9]*\.?[0-9]+)")


def smallest_font(svg: bytes) -> float:
    """The smallest font size the SVG sets, in its own units (0 when it sets none)."""
    sizes = [float(size) for size in FONT_SIZE.findall(svg)]
    return min((size for size in sizes if size > 0), default=0.0)


def node_boxes(renderer: QSvgRenderer, item_rect: QRectF, node_ids: list[str]) -> dict[str, QRectF]:
    """Each node's box in item (= scene) coordinates: SVG user units mapped from the viewBox onto the item."""
    view_box = renderer.viewBoxF()
    if view_box.isEmpty():
        return {}
    sx, sy = item_rect.width() / view_box.width(), item_rect.height() / view_box.height()
    boxes = {}
    for node_id in node_ids:
        if not renderer.elementExists(node_id):
            continue
        # boundsOnElement leaves out the parents' transforms (Graphviz translates its top group).
        box = renderer.transformForElement(node_id).mapRect(renderer.boundsOnElement(node_id))
        boxes[node_id] = QRectF(
            (box.x() - view_box.x()) * sx, (box.y() - view_box.y()) * sy, box.width() * sx, box.height() * sy
        )
    return boxes


def mapped_boxes(
    renderer: QSvgRenderer, item_rect: QRectF, known: dict[str, tuple[float, float, float, float]]
) -> dict[str, QRectF]:
    """Boxes given in SVG user units (x, y, w, h), mapped from the viewBox onto the item as `node_boxes` does."""
    view_box = renderer.viewBoxF()
    if view_box.isEmpty():
        return {}
    sx, sy = item_rect.width() / view_box.width(), item_rect.height() / view_box.height()
    return {
        node_id: QRectF((x - view_box.x()) * sx, (y - view_box.y()) * sy, w * sx, h * sy)
        for node_id, (x, y, w, h) in known.items()
    }
