"""The paper figure as SVG (and, through Qt's SVG renderer, PNG and PDF): bars, labels, arrows and legend.

Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), distinguishable by the common
colour-vision deficiencies; copies, residuals and heads also differ in dash, so greyscale keeps them apart."""

from __future__ import annotations

import html
import math

from unetviz.draw.paper_layout import Arrow, Bar, PaperFigure, Text
from unetviz.draw.text_metrics import FONT_FAMILY
from unetviz.draw.theme import DARK_INK, LIGHT, check_theme, recolour

# (colour, dash pattern, stroke width) per arrow kind
ARROW_STYLE = {
    "conv": ("#0072B2", "", 1.6),  # blue
    "strided": ("#56B4E9", "", 2.2),  # sky blue
    "pool": ("#D55E00", "", 2.2),  # vermillion
    "up": ("#009E73", "", 2.2),  # bluish green
    "copy": ("#666666", "5 3", 1.6),  # grey, dashed
    "residual": ("#E69F00", "2 2", 1.4),  # orange, dotted
    "head": ("#CC79A7", "", 2.0),  # reddish purple
    "side": ("#CC79A7", "6 2 2 2", 1.6),  # reddish purple, dash-dot
}
BAR_STYLE = {  # (fill, outline)
    "map": ("#9ecae1", "#08306b"),
    "input": ("#c6dbef", "#08306b"),
    "copy": ("#ffffff", "#08306b"),
    "output": ("#c6dbef", "#08306b"),
    "side": ("#ffffff", "#6a3d9a"),
}


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _bar(bar: Bar) -> str:
    fill, stroke = BAR_STYLE[bar.kind]
    title = html.escape(bar.layer or bar.kind)
    return (f'<rect x="{_n(bar.x)}" y="{_n(bar.y)}" width="{_n(bar.w)}" height="{_n(bar.h)}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1"><title>{title}</title></rect>')  # fmt: skip


HEAD_LENGTH = 6.0
HEAD_WIDTH = 5.0


def arrow_head(arrow: Arrow) -> tuple[tuple[float, float], ...]:
    """The head's triangle at the last point, along the last segment (drawn as a polygon, not an SVG marker:
    Qt's renderer ignores a marker's orientation)."""
    (x0, y0), (x1, y1) = arrow.points[-2], arrow.points[-1]
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    bx, by = x1 - ux * HEAD_LENGTH, y1 - uy * HEAD_LENGTH
    half = HEAD_WIDTH / 2
    return (x1, y1), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)


def _arrow(arrow: Arrow) -> str:
    colour, dash, width = ARROW_STYLE[arrow.kind]
    points = list(arrow.points)
    if arrow.head:  # the line stops inside the head, so that a thick line does not blunt its tip
        _tip, left, right = arrow_head(arrow)
        points[-1] = ((left[0] + right[0]) / 2, (left[1] + right[1]) / 2)
    line = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    out = (f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="{width}"{dashed} '
           f'class="arrow-{arrow.kind}"/>')  # fmt: skip
    if arrow.head:
        corners = " ".join(f"{_n(x)},{_n(y)}" for x, y in arrow_head(arrow))
        out += f'<polygon points="{corners}" fill="{colour}"/>'
    return out


def _text(text: Text) -> str:
    anchor = {"start": "start", "middle": "middle", "end": "end"}[text.anchor]
    turn = f' transform="rotate(-90 {_n(text.x)} {_n(text.y)})"' if text.rotated else ""
    return (f'<text x="{_n(text.x)}" y="{_n(text.y)}" font-size="{_n(text.size)}" text-anchor="{anchor}"{turn} '
            f'class="{text.role}">{html.escape(text.text)}</text>')  # fmt: skip


def to_svg(figure: PaperFigure, theme: str = LIGHT) -> str:
    """Deterministic SVG of `figure` (pixels, 1 px = 1 pt when printed at 72 dpi); `theme` "dark" recolours it."""
    check_theme(theme)
    behind = [_arrow(a) for a in figure.arrows if a.behind]
    body = behind + [_bar(b) for b in figure.bars] + [_arrow(a) for a in figure.arrows if not a.behind]
    body += [_text(t) for t in figure.texts]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(figure.width)}" height="{_n(figure.height)}" '
        f'viewBox="0 0 {_n(figure.width)} {_n(figure.height)}" font-family="{FONT_FAMILY}">\n'
        f"<!-- unetviz paper view: {html.escape(figure.title)} -->\n"
        # the page in units, not 100%: Qt's renderer reads 100% as 100 units
        f'<rect width="{_n(figure.width)}" height="{_n(figure.height)}" fill="white"/>\n'
        + "\n".join(body)
        + "\n</svg>\n"
    )
    if theme == LIGHT:
        return svg
    family = f'font-family="{FONT_FAMILY}"'  # the texts have no colour of their own: light ink
    return recolour(svg).replace(family, f'{family} fill="{DARK_INK}"', 1)


def for_qt(svg: str) -> str:
    """Qt's SVG renderer takes the first family of a list only if installed, and else its own default (wider):
    name the one the layout measured, which the system set-up installs (fonts-liberation)."""
    return svg.replace(f'font-family="{FONT_FAMILY}"', 'font-family="Liberation Sans"', 1)


def svg_to_png(svg: str, dpi: int = 150) -> bytes:
    """The SVG rasterised by Qt's SVG renderer (offscreen), at `dpi` (72 dpi: one pixel per SVG unit)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from unetviz.draw.pdf import ensure_gui_application

    ensure_gui_application()
    renderer = QSvgRenderer(QByteArray(for_qt(svg).encode("utf-8")))
    box = renderer.viewBoxF()
    scale = dpi / 72
    image = QImage(round(box.width() * scale), round(box.height() * scale), QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    renderer.render(painter, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs want bytes; PySide6 takes str
    return bytes(buffer.data().data())
