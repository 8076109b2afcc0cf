"""Working in the diagram: hover tooltips on nodes and edges, arrow keys between nodes, Enter for details, the
context menu, Ctrl+Shift+C (SVG and an image on the clipboard) and the drag out as an SVG file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication, QHelpEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QToolTip
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_preset
from unetviz.gui.diagram_clipboard import SVG_MIME, drag_mime
from unetviz.gui.main_window import MainWindow

from .conftest import MakeWindow


@pytest.fixture
def paper_net(make_window: MakeWindow) -> MainWindow:
    return make_window(load_preset("ronneberger2015"))


def edge_index(window: MainWindow, source: str, target: str) -> int:
    assert window.diagram.diagram is not None
    edges = window.diagram.diagram.graph.edges
    return next(i for i, e in enumerate(edges) if (e.source, e.target) == (source, target))


def test_a_node_tells_what_it_is_on_hover(qtbot: QtBot, paper_net: MainWindow) -> None:
    view = paper_net.diagram
    tip = view.tooltip_at(view.node_boxes["enc1"].center())
    assert "enc1" in tip and "128 × 280×280" in tip
    assert "enc1.pool (MaxPool2d)" in tip and "(284 − 3 + 2·0)/1 + 1 = 282" in tip  # its layers' formulas
    at = view.mapFromScene(view.node_boxes["enc1"].center())
    event = QHelpEvent(QHelpEvent.Type.ToolTip, at, view.viewport().mapToGlobal(at))
    QApplication.sendEvent(view.viewport(), event)
    assert "enc1.pool" in QToolTip.text()


def test_an_edge_tells_its_operation_and_formula(qtbot: QtBot, paper_net: MainWindow) -> None:
    view = paper_net.diagram
    pool = edge_index(paper_net, "enc0", "enc1")
    box = view.edge_boxes[pool]
    assert not view.node_boxes["enc0"].contains(box.center()) and not view.node_boxes["enc1"].contains(box.center())
    tip = view.tooltip_at(box.center())
    assert "max pool 2×2" in tip and "enc0 → enc1" in tip
    layers = paper_net.analysis.layers if paper_net.analysis is not None else []
    formula = next(layer.formula for layer in layers if layer.name == "enc1.pool")
    assert formula and formula in tip
    skip = edge_index(paper_net, "enc0", "dec0")
    assert "copy and crop" in view.tooltip_at(view.edge_boxes[skip].center())
    assert view.tooltip_at(view.drawing_rect.topLeft()) == ""  # empty space: no tip


def test_arrow_keys_move_the_selection_along_the_flow_and_between_levels(qtbot: QtBot, paper_net: MainWindow) -> None:
    view = paper_net.diagram
    view.setFocus()
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(view.node_boxes["enc0"].center())
    )
    assert view.highlighted == "enc0"
    moves = [(Qt.Key.Key_Down, "enc1"), (Qt.Key.Key_Down, "enc2"), (Qt.Key.Key_Right, "enc3"),
             (Qt.Key.Key_Left, "enc2"), (Qt.Key.Key_Up, "enc1")]  # fmt: skip
    for key, expected in moves:
        qtbot.keyClick(view, key)
        assert view.highlighted == expected, (key, view.highlighted)
        assert view.diagram is not None
        assert paper_net.table.selected_layers() == list(view.diagram.graph.node(expected).layers)
    for _ in range(20):  # along the flow to the end: the decoder climbs back, the output is last
        qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.highlighted == "head"
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.highlighted == "dec0"  # under the output in the U's right arm


def test_enter_requests_the_details_of_the_selected_node(qtbot: QtBot, paper_net: MainWindow) -> None:
    view = paper_net.diagram
    view.setFocus()
    view.highlight("dec2")
    with qtbot.waitSignal(view.detailRequested, timeout=1000) as signal:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert signal.args == [["dec2.up", "dec2.crop", "dec2.concat", "dec2.conv1", "dec2.relu1", "dec2.conv2",
                            "dec2.relu2"]]  # fmt: skip


def test_the_context_menu_offers_copy_export_fit_and_actual_size(
    qtbot: QtBot, paper_net: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    view = paper_net.diagram
    menu = view.context_menu()
    actions = {action.text().replace("&", ""): action for action in menu.actions()}
    assert list(actions) == ["Copy diagram as image", "Export diagram…", "Fit to window", "Actual size (1:1)"]
    actions["Actual size (1:1)"].trigger()
    assert view.zoom() == 1.0
    actions["Fit to window"].trigger()
    assert view.zoom() < 0.7
    QGuiApplication.clipboard().clear()
    actions["Copy diagram as image"].trigger()
    assert QGuiApplication.clipboard().mimeData().hasFormat(SVG_MIME)
    target = tmp_path / "u.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "SVG (*.svg)"))
    with qtbot.waitSignal(paper_net.worker.exported, timeout=15_000):
        actions["Export diagram…"].trigger()
    assert target.read_bytes().startswith(b"<?xml") or b"<svg" in target.read_bytes()
    at = view.viewport().rect().center()
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, view.mapToGlobal(at)))
    shown = [menu for menu in view.findChildren(QMenu) if menu.isVisible()]
    assert len(shown) == 1 and len(shown[0].actions()) == 4
    shown[0].close()


def test_ctrl_shift_c_puts_svg_and_an_image_on_the_clipboard(qtbot: QtBot, paper_net: MainWindow) -> None:
    assert paper_net.commands.copy_image.shortcut().toString() == "Ctrl+Shift+C"
    QGuiApplication.clipboard().clear()
    paper_net.commands.copy_image.trigger()
    data = QGuiApplication.clipboard().mimeData()
    assert paper_net.diagram.diagram is not None
    assert bytes(data.data(SVG_MIME).data()) == paper_net.diagram.diagram.svg
    assert data.hasImage()
    image = QGuiApplication.clipboard().image()
    assert not image.isNull() and image.width() >= 2 * 500  # twice the drawing's size: sharp at 2x
    assert image.pixelColor(2, 2).name() == "#ffffff"


def test_the_drag_out_carries_an_svg_file(paper_net: MainWindow) -> None:
    assert paper_net.diagram.diagram is not None
    svg = paper_net.diagram.diagram.svg
    data = drag_mime(svg, "ronneberger 2015 / u")
    urls = data.urls()
    assert len(urls) == 1 and urls[0].isLocalFile()
    path = Path(urls[0].toLocalFile())
    assert path.name == "ronneberger-2015-u.svg" and path.read_bytes() == svg
    assert bytes(data.data(SVG_MIME).data()) == svg


def test_a_click_still_selects_and_a_plain_drag_still_pans(qtbot: QtBot, paper_net: MainWindow) -> None:
    view = paper_net.diagram
    at: QPoint = view.mapFromScene(view.node_boxes["dec1"].center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert view.highlighted == "dec1"
