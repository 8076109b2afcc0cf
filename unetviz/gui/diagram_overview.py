"""The diagram's overview: the whole drawing, small, in a corner of the view, with a frame round the part on
screen; a click or a drag there moves the view. Shown only while the drawing does not fit (the long layers
chain, a readable zoom that scrolls). Drawn once per drawing into a pixmap at the screen's pixel ratio."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from unetviz.gui.diagram_view import DiagramView

LONG_SIDE_PX = 150  # the overview's longer side
SHORT_SIDE_MIN_PX = 40
CORNER_GAP_PX = 8


class DiagramOverview(QWidget):
    def __init__(self, view: DiagramView) -> None:
        super().__init__(view.viewport())
        self.view = view
        self._pixmap: QPixmap | None = None
        self._scene_rect = QRectF()
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("overview: click or drag to move the view")
        self.hide()

    def set_drawing(self) -> None:
        """Draw the scene anew (a new SVG) at the overview's size."""
        self._scene_rect = self.view.drawing_rect
        self._pixmap = None
        if self._scene_rect.isEmpty():
            return
        size = _fitted(self._scene_rect.size().toSize())
        self.setFixedSize(size)
        ratio = self.devicePixelRatioF()  # crisp on a 2x screen
        pixmap = QPixmap(size * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(QColor("#ffffff"))
        painter = QPainter(pixmap)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.view.render_scene(painter, QRectF(0, 0, size.width(), size.height()))
        painter.end()
        self._pixmap = pixmap
        self.place()

    def place(self) -> None:
        """In the viewport's bottom-right corner; visible while the drawing is larger than the viewport."""
        if self._pixmap is None:
            self.hide()
            return
        port = self.view.viewport().rect()
        self.move(port.right() - self.width() - CORNER_GAP_PX, port.bottom() - self.height() - CORNER_GAP_PX)
        on_screen = self.view.mapFromScene(self._scene_rect).boundingRect()
        too_big = on_screen.width() > port.width() + 2 or on_screen.height() > port.height() + 2
        fits_beside = port.width() > 2 * self.width() and port.height() > self.height() + 2 * CORNER_GAP_PX
        self.setVisible(too_big and fits_beside)
        self.update()

    def visible_part(self) -> QRectF:
        """The part of the scene on screen, in overview pixels."""
        shown = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        return self._to_overview(shown.intersected(self._scene_rect))

    def _to_overview(self, rect: QRectF) -> QRectF:
        sx = self.width() / max(self._scene_rect.width(), 1e-9)
        sy = self.height() / max(self._scene_rect.height(), 1e-9)
        return QRectF((rect.x() - self._scene_rect.x()) * sx, (rect.y() - self._scene_rect.y()) * sy,
                      rect.width() * sx, rect.height() * sy)  # fmt: skip

    def to_scene(self, at: QPointF) -> QPointF:
        return QPointF(self._scene_rect.x() + at.x() * self._scene_rect.width() / max(self.width(), 1),
                       self._scene_rect.y() + at.y() * self._scene_rect.height() / max(self.height(), 1))  # fmt: skip

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._pixmap is None:
            return
        painter = QPainter(self)
        painter.setOpacity(0.92)
        painter.drawPixmap(0, 0, self._pixmap)
        painter.setOpacity(1.0)
        painter.setPen(QPen(QColor("#888888"), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.setPen(QPen(QColor("#d69e2e"), 2))
        painter.fillRect(self.visible_part(), QColor(246, 224, 94, 60))
        painter.drawRect(self.visible_part().adjusted(1, 1, -1, -1))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.view.look_at(self.to_scene(event.position()))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.view.look_at(self.to_scene(event.position()))
        event.accept()


def _fitted(scene: QSize) -> QSize:
    long_side = max(scene.width(), scene.height(), 1)
    scale = LONG_SIDE_PX / long_side
    width = max(SHORT_SIDE_MIN_PX, round(scene.width() * scale))
    height = max(SHORT_SIDE_MIN_PX, round(scene.height() * scale))
    return QSize(min(width, LONG_SIDE_PX), min(height, LONG_SIDE_PX))
