"""The diagram: the rendered SVG as a vector item — wheel zoom around the cursor, drag to pan, fit, 1:1; hover
tooltips, arrow keys between nodes, Enter for a node's details, a context menu, copy and drag out as an image.

It opens readable: at the zoom where its smallest label is READABLE_PX tall on screen (filling the width when
that is larger), scrolling where the drawing is bigger, with an overview in the corner; Fit shows it whole.
Node and edge boxes come from the SVG itself (`<g id=NODE_ID class="node">`, edges by `edge_id`), so
highlighting and hit-testing follow whatever layout the renderer chose; the paper view brings its bars.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QContextMenuEvent,
    QDrag,
    QGuiApplication,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsTextItem,
    QGraphicsView,
    QMenu,
    QToolTip,
    QWidget,
)

from unetviz.core.records import Layer
from unetviz.draw.render import edge_id
from unetviz.gui.diagram_boxes import mapped_boxes, node_boxes, smallest_font
from unetviz.gui.diagram_clipboard import DRAG_MODIFIER, drag_mime, image_mime
from unetviz.gui.diagram_navigation import is_arrow, next_node
from unetviz.gui.diagram_overview import CORNER_GAP_PX, DiagramOverview
from unetviz.gui.diagram_tips import edge_tip, node_tip
from unetviz.gui.paper_view import bar_boxes
from unetviz.gui.worker import Diagram

MIN_ZOOM, MAX_ZOOM = 0.05, 40.0
ZOOM_STEP = 1.25
CLICK_SLOP_PX = 4  # a press and release closer than this is a click, not a drag
MIN_HIT_PX = 8  # a thinner node (a paper figure's 3-unit input bar) is this wide on screen for the mouse
STALE_OPACITY = 0.35
READABLE_PX = 11.0  # the smallest label's height on screen when the diagram opens
MAX_OPEN_ZOOM = 1.5  # filling the width stops here: a small drawing in a wide window is not blown up
SCENE_MARGIN = 24.0
MIN_EDGE_HIT_PX = 10  # a straight edge's box is this thick on screen for the hover
READABLE, FIT, FREE = "readable", "fit", "free"  # the zoom modes: how a resize or a new drawing is shown


class DiagramView(QGraphicsView):
    node_clicked = Signal(object)  # a node id, or None for a click on empty space (or an arrow key's move)
    zoom_changed = Signal(float)
    detailRequested = Signal(list)  # Enter on a node: its layer names, for the detail pane

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
        self._mode = READABLE  # until the user zooms or pans, the diagram follows the window size
        self._press: QPoint | None = None
        self._edge_boxes: dict[int, QRectF] | None = None  # by the edge's index in the graph, found when needed
        self.layers: dict[str, Layer] = {}  # the analysis' layers by name, for the tooltips' formulas
        self.context_actions: list[QAction] = []  # the context menu's commands (gui/actions.py)
        self._smallest_label = 0.0  # in scene units
        self.drawing_rect = QRectF()  # the drawing and its margin; the scene rect adds room for the overview
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # arrow keys and Enter
        self.overview = DiagramOverview(self)
        self.horizontalScrollBar().valueChanged.connect(self.overview.update)
        self.verticalScrollBar().valueChanged.connect(self.overview.update)

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
        # A cache in device pixels is drawn anew from the vectors whenever the zoom changes, so text stays sharp at
        # every zoom; painting from the vectors on every repaint (NoCache) held the GUI thread 40 ms on a large
        # layers view, twice the heartbeat's budget with a new drawing in the same turn.
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.scene().addItem(item)
        self._item, self._renderer, self.diagram = item, renderer, diagram
        rect = item.boundingRect()
        if diagram.figure is not None:  # the paper view: the figure's own bars, no look into the SVG
            self.node_boxes = mapped_boxes(renderer, rect, bar_boxes(diagram.figure))
        else:
            self.node_boxes = node_boxes(renderer, rect, [n.id for n in diagram.graph.nodes])
        self._edge_boxes = None  # found on the first hover: a new drawing's work stays short on the GUI thread
        view_box = renderer.viewBoxF()
        self._smallest_label = smallest_font(diagram.svg) * rect.width() / max(view_box.width(), 1e-9)
        self.drawing_rect = rect.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN)
        self.scene().setSceneRect(self.drawing_rect)
        if new_view:
            self._mode = READABLE
        self.overview.set_drawing()
        self._apply_mode()
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

    def readable_zoom(self) -> float:
        """The zoom at which the drawing's smallest label is READABLE_PX tall on screen."""
        return READABLE_PX / self._smallest_label * (1 + 1e-9) if self._smallest_label > 0 else 1.0  # not 10.99…

    def label_px(self) -> float:
        """The smallest label's height on screen now, in pixels."""
        return self._smallest_label * self.zoom()

    def fit(self) -> None:
        """The whole drawing in the view (Ctrl+0); it stays fitted as the window resizes, until a zoom or pan."""
        self._mode = FIT
        self._apply_mode()

    def show_readable(self) -> None:
        """The view a drawing opens in (see the module's doc)."""
        self._mode = READABLE
        self._apply_mode()

    def _apply_mode(self) -> None:
        if self._item is None or self._mode == FREE:
            return
        rect = self.drawing_rect
        port = self.maximumViewportSize()  # the viewport without scroll bars
        whole = min(port.width() / rect.width(), port.height() / rect.height()) * 0.999
        if self._mode == FIT or whole >= self.readable_zoom():
            self._set_zoom(min(whole, MAX_OPEN_ZOOM) if self._mode == READABLE else whole)
            self.centerOn(rect.center())
        else:  # fill the width if that is readable, else readable; from the top (and the left), scrolling
            bar = self.verticalScrollBar().sizeHint().width()
            width_zoom = (port.width() - bar) / rect.width()
            zoom = max(self.readable_zoom(), min(width_zoom, MAX_OPEN_ZOOM))
            self._set_zoom(zoom)
            half_w, half_h = self.viewport().width() / zoom / 2, self.viewport().height() / zoom / 2
            x = rect.center().x() if rect.width() <= 2 * half_w else rect.left() + half_w
            self.centerOn(x, rect.top() + half_h)
        self.overview.place()
        self.zoom_changed.emit(self.zoom())

    def _set_zoom(self, zoom: float) -> None:
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self._make_room()

    def _make_room(self, zoom: float | None = None) -> None:
        """While the overview shows, the scene reaches below the drawing by its height: every part of the
        drawing can be scrolled clear of it. `zoom`: the one about to be set (default: the present one)."""
        port, zoom = self.maximumViewportSize(), zoom or self.zoom()
        drawing = self.drawing_rect
        too_big = drawing.width() * zoom > port.width() + 1 or drawing.height() * zoom > port.height() + 1
        room = (self.overview.height() + 2 * CORNER_GAP_PX) / zoom if too_big else 0.0
        wanted = drawing.adjusted(0, 0, 0, room)
        if wanted != self.sceneRect():
            self.scene().setSceneRect(wanted)

    def look_at(self, scene_point: QPointF) -> None:
        """Centre the view on a scene point (the overview's click); the view stays where the user put it."""
        self._mode = FREE
        self.centerOn(scene_point)
        self.overview.update()

    def follow(self, other: DiagramView) -> None:
        """Take another view's zoom (compare mode); from then on this view keeps it, as if the user zoomed."""
        self._mode = FREE
        self.setTransform(other.transform())  # emits nothing: no ping-pong between the two
        self._make_room()
        self.overview.place()

    def actual_size(self) -> None:
        self._mode = FREE
        self._make_room(1.0)
        self.resetTransform()
        self.overview.place()
        self.zoom_changed.emit(self.zoom())

    def zoom_by(self, factor: float, at: QPoint | None = None) -> None:
        """Scale by `factor`, keeping the scene point under viewport position `at` (default: the centre) still."""
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        if target == self.zoom():
            return
        self._mode = FREE
        at = at if at is not None else self.viewport().rect().center()
        fixed = self.mapToScene(at)
        self._make_room(target)  # before the scale: a later change of the scene rect would move the view
        self.scale(target / self.zoom(), target / self.zoom())
        # Move the scroll bars so that `fixed` is back under `at` (where the scene is larger than the view).
        drift = self.mapFromScene(fixed) - at
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + drift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + drift.y())
        self.overview.place()
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
        # also the viewport's resize (scroll bars come and go): QAbstractScrollArea sends it here
        super().resizeEvent(event)
        self._apply_mode()
        self.overview.place()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and event.modifiers() & DRAG_MODIFIER and self.diagram:
            self.drag_out()
            event.accept()
            return
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
            self._mode = FREE
            self.overview.place()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if is_arrow(key) and self.diagram is not None and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            order = [node.id for node in self.diagram.graph.nodes]
            target = next_node(order, self.node_boxes, self.highlighted, key)
            if target is not None:
                self.highlight(target)
                self.node_clicked.emit(target)  # the window selects its layer rows, as for a click
            event.accept()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.diagram is not None and self.highlighted:
            self.detailRequested.emit(list(self.diagram.graph.node(self.highlighted).layers))
            event.accept()
            return
        super().keyPressEvent(event)

    # --- tooltips, context menu, clipboard, drag out -------------------------------------------------

    @property
    def edge_boxes(self) -> dict[int, QRectF]:
        """Each edge's box in the scene, by its index in the graph (looked up in the SVG on first use)."""
        if self._edge_boxes is None:
            self._edge_boxes = {}
            if self.diagram is not None and self._renderer is not None and self._item is not None:
                ids = [edge_id(i) for i in range(len(self.diagram.graph.edges))]
                found = node_boxes(self._renderer, self._item.boundingRect(), ids)
                self._edge_boxes = {i: found[name] for i, name in enumerate(ids) if name in found}
        return self._edge_boxes

    def edge_at(self, scene_pos: QPointF) -> int | None:
        """The edge (its index in the graph) whose box, the smallest, holds the point."""
        least = MIN_EDGE_HIT_PX / max(self.zoom(), 1e-9)
        hits = []
        for index, box in self.edge_boxes.items():
            grow_x, grow_y = max(0.0, (least - box.width()) / 2), max(0.0, (least - box.height()) / 2)
            if box.adjusted(-grow_x, -grow_y, grow_x, grow_y).contains(scene_pos):
                hits.append((box.width() * box.height(), index))
        return min(hits)[1] if hits else None

    def tooltip_at(self, scene_pos: QPointF) -> str:
        """What hovering there shows: the node's tip, else the edge's, else nothing."""
        if self.diagram is None:
            return ""
        graph = self.diagram.graph
        node = self.node_at(scene_pos)
        if node is not None:
            return node_tip(graph.node(node), self.layers)
        edge = self.edge_at(scene_pos)
        return edge_tip(graph.edges[edge], graph, self.layers) if edge is not None else ""

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(self.mapToScene(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.addActions(self.context_actions)
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())  # not exec(): no nested event loop
        event.accept()

    def copy_image(self) -> None:
        """Ctrl+Shift+C: the diagram on the clipboard as SVG (image/svg+xml) and as an image."""
        if self.diagram is not None:
            QGuiApplication.clipboard().setMimeData(image_mime(self.diagram.svg))

    def drag_out(self) -> None:
        """Ctrl+drag: the diagram as an SVG file, dropped into a file manager or another program."""
        if self.diagram is None:
            return
        drag = QDrag(self)
        drag.setMimeData(drag_mime(self.diagram.svg, self.diagram.graph.title or self.diagram.view))
        drag.exec(Qt.DropAction.CopyAction)

    def render_scene(self, painter: QPainter, target: QRectF) -> None:
        """The drawing alone (no highlight) into `target`, which stands for the scene rect (the overview)."""
        if self._renderer is None or self._item is None:
            return
        scene, item = self.drawing_rect, self._item.boundingRect()
        sx, sy = target.width() / scene.width(), target.height() / scene.height()
        self._renderer.render(painter, QRectF(target.x() + (item.x() - scene.x()) * sx,
                                              target.y() + (item.y() - scene.y()) * sy,
                                              item.width() * sx, item.height() * sy))  # fmt: skip
