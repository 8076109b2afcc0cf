"""The diagram as data for other programs: on the clipboard (SVG and a PNG image) and dragged out to a file
manager (an SVG file in a temporary folder, as a file URL, with the SVG itself as mime data too)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, QRectF, QSize, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from unetviz.report.export import write_bytes

SVG_MIME = "image/svg+xml"
IMAGE_SCALE = 2.0  # the copied image has twice the drawing's pixels: sharp on a 2x screen and in print
MAX_IMAGE_PIXELS = 40_000_000  # a huge layers chain is copied smaller rather than not at all


def diagram_image(svg: bytes, scale: float = IMAGE_SCALE) -> QImage:
    """The SVG drawn on white at `scale` × its own size."""
    renderer = QSvgRenderer(QByteArray(svg))
    size = renderer.defaultSize()
    pixels = max(size.width() * size.height(), 1) * scale * scale
    if pixels > MAX_IMAGE_PIXELS:
        scale *= (MAX_IMAGE_PIXELS / pixels) ** 0.5
    image = QImage(QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale))),
                   QImage.Format.Format_ARGB32_Premultiplied)  # fmt: skip
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    renderer.render(painter, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    return image


def image_mime(svg: bytes) -> QMimeData:
    """SVG (image/svg+xml) and a bitmap (Qt offers it as image/png and the platform's image types)."""
    data = QMimeData()
    data.setData(SVG_MIME, QByteArray(svg))
    data.setImageData(diagram_image(svg))
    return data


def drag_mime(svg: bytes, name: str) -> QMimeData:
    """What a drag out carries: the SVG written to a file in a fresh temporary folder (a file manager copies
    the URL), and the SVG bytes for programs that take the data itself."""
    folder = Path(tempfile.mkdtemp(prefix="unetviz-drag-"))
    path = folder / f"{file_stem(name)}.svg"
    write_bytes(path, svg)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    data.setData(SVG_MIME, QByteArray(svg))
    data.setText(str(path))
    return data


def file_stem(name: str) -> str:
    """A file name from a diagram's title: letters, digits, dot, dash and underscore only."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return stem[:80] or "diagram"


DRAG_MODIFIER = Qt.KeyboardModifier.ControlModifier  # Ctrl+drag drags the diagram out; a plain drag pans
