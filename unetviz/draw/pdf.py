"""SVG -> vector PDF with Qt (QSvgRenderer onto a QPdfWriter), for engines that cannot write PDF.

The one use of Qt outside gui/: it runs offscreen and needs no display.
"""

from __future__ import annotations

import os

from unetviz.core.errors import RenderError


def ensure_gui_application() -> None:
    """Fonts need a Gui application; offscreen needs no display. Made once, kept alive for later calls."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        ensure_gui_application.app = QGuiApplication([])  # type: ignore[attr-defined]


def svg_to_pdf(svg: bytes) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF
    from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter
    from PySide6.QtSvg import QSvgRenderer

    ensure_gui_application()
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise RenderError("the SVG could not be read to make a PDF")
    box = renderer.viewBoxF()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(72)  # one device pixel = one point, Graphviz's SVG unit
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QSizeF(box.width(), box.height()), QPageSize.Unit.Point),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    writer.setCreator("unetviz")
    painter = QPainter(writer)
    renderer.render(painter, QRectF(0, 0, box.width(), box.height()))
    painter.end()
    data = bytes(buffer.data().data())
    if not data.startswith(b"%PDF"):
        raise RenderError("Qt did not produce a PDF")
    return data
