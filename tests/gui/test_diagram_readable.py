"""The diagram is readable where it opens: at the default window sizes every label of the paper's net, in the
U and the Paper views, is at least 11 px tall on screen; Fit (Ctrl+0) shows the whole drawing in every view."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_preset
from unetviz.draw.render import to_dot
from unetviz.gui.actions import APP_VIEWS
from unetviz.gui.main_window import MainWindow

from .conftest import UPDATE_TIMEOUT_MS, MakeWindow

READABLE_PX = 11.0
GRAPHVIZ_DEFAULT_PT = 14.0  # the graph label's and a cluster's size when the DOT sets none
# the window the app opens on a 1280×800 screen (and the --screenshot default), and on a 1366×768 laptop
# (90% of the screen: restore_layout)
WINDOW_SIZES = [(1280, 800), (int(1366 * 0.9), int(768 * 0.9))]


def open_window(qtbot: QtBot, make_window: MakeWindow, size: tuple[int, int], view: str) -> MainWindow:
    window = make_window(load_preset("ronneberger2015"), wait=False)
    window.resize(*size)
    with qtbot.waitSignal(window.update_finished, timeout=UPDATE_TIMEOUT_MS):
        window.show()
    if view != "u":
        with qtbot.waitSignal(window.update_finished, timeout=UPDATE_TIMEOUT_MS):
            window.commands.view_actions[view].trigger()
    return window


def svg_item(window: MainWindow) -> QGraphicsSvgItem:
    items = [item for item in window.diagram.scene().items() if isinstance(item, QGraphicsSvgItem)]
    assert len(items) == 1
    return items[0]


def scene_units_per_svg_unit(window: MainWindow) -> float:
    item = svg_item(window)
    renderer = item.renderer()
    return item.boundingRect().width() / renderer.viewBoxF().width()


def smallest_label(window: MainWindow) -> float:
    """The smallest label's size in SVG units, from what was drawn: the DOT's font sizes, or the paper
    figure's texts (not from the SVG the view reads)."""
    diagram = window.diagram.diagram
    assert diagram is not None
    if diagram.figure is not None:
        return min(text.size for text in diagram.figure.texts)
    dot = to_dot(diagram.graph)
    sizes = [float(s) for s in re.findall(r'(?:POINT-SIZE="|fontsize=)([0-9.]+)', dot)]
    return min([*sizes, GRAPHVIZ_DEFAULT_PT])


@pytest.mark.parametrize("view", ["u", "paper"])
@pytest.mark.parametrize("size", WINDOW_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_label_is_readable_where_the_diagram_opens(
    qtbot: QtBot, make_window: MakeWindow, size: tuple[int, int], view: str
) -> None:
    window = open_window(qtbot, make_window, size, view)
    transform = window.diagram.transform()
    assert transform.m11() == pytest.approx(transform.m22())
    on_screen = transform.m11() * scene_units_per_svg_unit(window) * smallest_label(window)
    assert on_screen >= READABLE_PX, f"{view} at {size}: the smallest label is {on_screen:.1f} px"
    # readable, and not blown up either: the U fills the width at most 1.5×
    assert on_screen <= READABLE_PX * 1.6 + 1e-9 or view == "u"


def test_the_drawing_opens_at_its_top_and_scrolls(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = open_window(qtbot, make_window, WINDOW_SIZES[1], "u")
    view = window.diagram
    top = view.mapToScene(view.viewport().rect()).boundingRect().top()
    assert top <= view.drawing_rect.top() + 1  # the title and input are on screen
    assert view.verticalScrollBar().maximum() > 0  # the rest is a scroll away
    assert view.overview.isVisible()  # with the whole drawing in the corner
    assert view.horizontalScrollBar().maximum() == 0  # the U fills the width: no sideways scrolling


def items_on_screen(window: MainWindow) -> QRectF:
    view = window.diagram
    return view.mapFromScene(svg_item(window).sceneBoundingRect()).boundingRect().toRectF()


@pytest.mark.parametrize("view", APP_VIEWS)
def test_fit_shows_the_whole_drawing_in_every_view(qtbot: QtBot, make_window: MakeWindow, view: str) -> None:
    window = open_window(qtbot, make_window, (1280, 800), view)
    window.commands.fit.trigger()
    # the scroll bars of the zoom before go in Qt's next layout pass: the drawing fits once it has run
    qtbot.waitUntil(lambda: QRectF(window.diagram.viewport().rect()).contains(items_on_screen(window)), timeout=2000)
    port = QRectF(window.diagram.viewport().rect())
    assert port.contains(window.diagram.mapFromScene(window.diagram.scene().itemsBoundingRect()).boundingRect())
    assert window.diagram.horizontalScrollBar().maximum() == 0 and window.diagram.verticalScrollBar().maximum() == 0
    assert not window.diagram.overview.isVisible()
    window.resize(1100, 700)  # a fitted drawing stays fitted
    qtbot.waitUntil(lambda: QRectF(window.diagram.viewport().rect()).contains(items_on_screen(window)))
    assert window.diagram.horizontalScrollBar().maximum() == 0


def test_fit_after_a_view_switch_fits_the_new_drawing(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = open_window(qtbot, make_window, (1280, 800), "u")
    window.commands.fit.trigger()
    with qtbot.waitSignal(window.update_finished, timeout=UPDATE_TIMEOUT_MS):
        window.commands.view_actions["layers"].trigger()
    window.commands.fit.trigger()
    qtbot.waitUntil(lambda: QRectF(window.diagram.viewport().rect()).contains(items_on_screen(window)), timeout=2000)
    assert window.diagram.zoom() < 0.5  # the whole chain, not its width


def test_the_overview_shows_the_layers_chain_and_moves_the_view(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = open_window(qtbot, make_window, (1280, 800), "layers")
    view, overview = window.diagram, window.diagram.overview
    assert overview.isVisible() and overview.height() > overview.width()
    before = view.verticalScrollBar().value()
    bottom = QPoint(overview.width() // 2, overview.height() - 1)  # its lowest row: the chain's end
    qtbot.mouseClick(overview, Qt.MouseButton.LeftButton, pos=bottom)
    assert view.verticalScrollBar().value() > before
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.bottom() >= view.drawing_rect.bottom() - 1
    # the overview covers no part of the drawing for good: the scene reaches below it by its height
    assert view.sceneRect().bottom() >= view.drawing_rect.bottom() + overview.height() / view.zoom() - 1


def test_the_drawing_is_vector_and_crisp_at_pixel_ratio_two(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = open_window(qtbot, make_window, (1280, 800), "u")
    # cached in device pixels: redrawn from the vectors at each zoom, at the screen's resolution
    assert svg_item(window).cacheMode() == QGraphicsSvgItem.CacheMode.DeviceCoordinateCache
    pixmap = window.diagram.overview._pixmap
    assert pixmap is not None and pixmap.devicePixelRatio() == window.diagram.overview.devicePixelRatioF()
