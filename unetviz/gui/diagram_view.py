"""The diagram: the rendered SVG as a vector item — wheel zoom around the cursor, drag to pan, fit, 1:1.

Node boxes come from the SVG itself (each node is `<g id=NODE_ID class="node">`), so highlighting and
hit-testing follow whatever layout the renderer chose; the paper view, laid out by unetviz, brings its bars.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPen, QResizeEvent, QWheelEvent
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsTextItem,
    QGraphicsView,
    QWidget,
)

from unetviz.gui.paper_view import bar_boxes
from unetviz.gui.worker import Diagram

MIN_ZOOM, MAX_ZOOM = 0.05, 40.0
ZOOM_STEP = 1.25
CLICK_SLOP_PX = 4  # a press and release closer than this is a click, not a drag
MIN_HIT_PX = 8  # a thinner node (a paper figure's 3-unit input bar) is this wide on screen for the mouse
STALE_OPACITY = 0.35
LEGIBLE_ZOOM = 0.45  # below this a fitted drawing's 14 pt labels are too small to read


class DiagramView(QGraphicsView):
    node_clicked = Signal(object)  # a node id, or None for a click on empty space
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)  # zoom_by keeps its own anchor
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setBackgroundBrush(QBrush(QColor("#fbfbfb")))
        self.diagram: Diagram | None = None
        self.node_boxes: dict[str, QRectF] = {}
        self.highlighted: str | None = None
        self._item: QGraphicsSvgItem | None = None
        self._renderer: QSvgRenderer | None = None
        self._highlight = QGraphicsRectItem()
        self._highlight.setPen(QPen(QColor("#d69e2e"), 3))
        self._highlight.setBrush(QBrush(QColor(246, 224, 94, 70)))
        self._highlight.setZValue(10)
        self._highlight.hide()
        self.scene().addItem(self._highlight)
        self._placeholder: QGraphicsTextItem | None = self.scene().addText("drawing the diagram…")
        self._auto_fit = True  # until the user zooms or pans, the diagram follows the window size
        self._press: QPoint | None = None

    # --- content -------------------------------------------------------------------------------------

    def show_diagram(self, diagram: Diagram) -> bool:
        """Replace the drawing; False (and the old drawing kept) if Qt cannot read the SVG."""
        renderer = QSvgRenderer(QByteArray(diagram.svg), self)
        if not renderer.isValid():
            renderer.deleteLater()
            return False
        new_view = self.diagram is None or self.diagram.view != diagram.view
        if self._item is not None:
            self.scene().removeItem(self._item)
        if self._renderer is not None:
            self._renderer.deleteLater()
        if self._placeholder is not None:
            self.scene().removeItem(self._placeholder)
            self._placeholder = None
        item = QGraphicsSvgItem()
        item.setSharedRenderer(renderer)
        # Painting straight from the vectors keeps text sharp at every zoom (a cache would be a bitmap).
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        self.scene().addItem(item)
        self._item, self._renderer, self.diagram = item, renderer, diagram
        if diagram.figure is not None:  # the paper view: the figure's own bars, no look into the SVG
            self.node_boxes = _mapped_boxes(renderer, item.boundingRect(), bar_boxes(diagram.figure))
        else:
            self.node_boxes = _node_boxes(renderer, item.boundingRect(), [n.id for n in diagram.graph.nodes])
        margin = 24.0
        self.scene().setSceneRect(item.boundingRect().adjusted(-margin, -margin, margin, margin))
        if new_view:
            self._auto_fit = True
        if self._auto_fit:
            self._auto_view()
        self.highlight(self.highlighted, scroll=False)
        self.set_stale(False)
        return True

    def set_stale(self, stale: bool) -> None:
        if self._item is not None:
            self._item.setOpacity(STALE_OPACITY if stale else 1.0)

    def highlight(self, node_id: str | None, scroll: bool = True) -> None:
        self.highlighted = node_id
        box = self.node_boxes.get(node_id) if node_id is not None else None
        if box is None:
            self._highlight.hide()
            return
        # A paper bar's labels sit 2-3 units from it: its frame hugs the bar so as not to cover them.
        hugging = self.diagram is not None and self.diagram.figure is not None
        self._highlight.setPen(QPen(QColor("#d69e2e"), 1.5 if hugging else 3))
        pad = 1.0 if hugging else 4.0
        self._highlight.setRect(box.adjusted(-pad, -pad, pad, pad))
        self._highlight.show()
        if scroll:
            self.ensureVisible(box, 40, 40)

    def node_at(self, scene_pos: QPointF) -> str | None:
        """The smallest node box under the point (boxes can nest in a cluster); a box thinner than MIN_HIT_PX on
        screen counts as that wide about its centre."""
        least = MIN_HIT_PX / max(self.zoom(), 1e-9)
        hits = []
        for node, box in self.node_boxes.items():
            grow = max(0.0, (least - box.width()) / 2)
            if box.adjusted(-grow, 0, grow, 0).contains(scene_pos):
                hits.append((box.width() * box.height(), node))
        return min(hits)[1] if hits else None

    # --- zoom ----------------------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        if self._item is None:
            return
        self._auto_fit = True
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.zoom())

    def _auto_view(self) -> None:
        """Until the user zooms: the whole drawing, unless that shrinks a tall one (the layers chain) below
        legibility; then its full width from the top, and the user scrolls down."""
        self.fit()
        rect = self.scene().sceneRect()
        width_zoom = min(1.0, self.viewport().width() / max(rect.width(), 1.0))
        if self.zoom() < LEGIBLE_ZOOM and width_zoom > self.zoom() * 1.5:
            self.resetTransform()
            self.scale(width_zoom, width_zoom)
            self.centerOn(rect.center().x(), rect.top() + self.viewport().height() / width_zoom / 2)
            self._auto_fit = True
            self.zoom_changed.emit(self.zoom())

    def follow(self, other: DiagramView) -> None:
        """Take another view's zoom (compare mode); from then on this view keeps it, as if the user zoomed."""
        self._auto_fit = False
        self.setTransform(other.transform())  # emits nothing: no ping-pong between the two

    def actual_size(self) -> None:
        self._auto_fit = False
        self.resetTransform()
        self.zoom_changed.emit(self.zoom())

    def zoom_by(self, factor: float, at: QPoint | None = None) -> None:
        """Scale by `factor`, keeping the scene point under viewport position `at` (default: the centre) still."""
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        if target == self.zoom():
            return
        self._auto_fit = False
        at = at if at is not None else self.viewport().rect().center()
        fixed = self.mapToScene(at)
        self.scale(target / self.zoom(), target / self.zoom())
        # Move the scroll bars so that `fixed` is back under `at` (where the scene is larger than the view).
        drift = self.mapFromScene(fixed) - at
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + drift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + drift.y())
        self.zoom_changed.emit(self.zoom())

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    # --- events --------------------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP**steps, event.position().toPoint())  # around the cursor
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._auto_fit and self._item is not None:
            self._auto_view()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        moved = (event.position().toPoint() - self._press).manhattanLength()
        self._press = None
        if moved <= CLICK_SLOP_PX:
            self.node_clicked.emit(self.node_at(self.mapToScene(event.position().toPoint())))
        else:
            self._auto_fit = False


def _node_boxes(renderer: QSvgRenderer, item_rect: QRectF, node_ids: list[str]) -> dict[str, QRectF]:
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


def _mapped_boxes(
    renderer: QSvgRenderer, item_rect: QRectF, known: dict[str, tuple[float, float, float, float]]
) -> dict[str, QRectF]:
    """Boxes given in SVG user units (x, y, w, h), mapped from the viewBox onto the item as `_node_boxes` does."""
    view_box = renderer.viewBoxF()
    if view_box.isEmpty():
        return {}
    sx, sy = item_rect.width() / view_box.width(), item_rect.height() / view_box.height()
    return {
        node_id: QRectF((x - view_box.x()) * sx, (y - view_box.y()) * sy, w * sx, h * sy)
        for node_id, (x, y, w, h) in known.items()
    }
