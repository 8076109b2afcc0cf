"""The diagram: node boxes from the SVG, table↔diagram selection, zoom and pan, the three views."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_preset
from unetviz.gui.diagram_view import ZOOM_STEP
from unetviz.gui.main_window import MainWindow

from .conftest import MakeWindow, set_cell, wait_update


def node_centre(window: MainWindow, node_id: str) -> QPoint:
    return window.diagram.mapFromScene(window.diagram.node_boxes[node_id].center())


def test_every_node_has_a_box_inside_the_drawing(window: MainWindow) -> None:
    diagram = window.diagram.diagram
    assert diagram is not None
    ids = [n.id for n in diagram.graph.nodes]
    assert sorted(window.diagram.node_boxes) == sorted(ids)
    drawing = window.diagram.scene().sceneRect()
    for box in window.diagram.node_boxes.values():
        assert drawing.contains(box) and box.width() > 10 and box.height() > 10
    # Graphviz draws the encoder above the bottleneck: y grows downwards in scene coordinates.
    assert window.diagram.node_boxes["enc0"].center().y() < window.diagram.node_boxes["bottleneck"].center().y()


def test_selecting_a_row_highlights_its_node(qtbot: QtBot, window: MainWindow) -> None:
    table = window.table
    row = table.model.row_of("enc1.conv2")
    assert row is not None
    table.view.selectRow(table.proxy.mapFromSource(table.model.index(row, 0)).row())
    assert window.diagram.highlighted == "enc1"
    assert window.diagram._highlight.isVisible()
    assert window.diagram._highlight.rect().contains(window.diagram.node_boxes["enc1"])


def test_clicking_a_node_selects_its_rows(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.mouseClick(window.diagram.viewport(), Qt.MouseButton.LeftButton, pos=node_centre(window, "dec1"))
    assert window.diagram.highlighted == "dec1"
    assert window.diagram.diagram is not None
    assert window.table.selected_layers() == list(window.diagram.diagram.graph.node("dec1").layers)
    assert "dec1.conv1" in window.table.selected_layers()


def test_layers_view_links_single_layers(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.update_finished, timeout=15_000):
        window.commands.view_actions["layers"].trigger()
    assert window.diagram.diagram is not None and window.diagram.diagram.view == "layers"
    graph = window.diagram.diagram.graph
    node = graph.node_of_layer("enc2.pool")
    assert node is not None and node.layers == ("enc2.pool",)
    qtbot.mouseClick(window.diagram.viewport(), Qt.MouseButton.LeftButton, pos=node_centre(window, node.id))
    window.diagram.ensureVisible(window.diagram.node_boxes[node.id])
    assert window.table.selected_layers() == ["enc2.pool"]


def test_zoom_fit_and_actual_size(qtbot: QtBot, window: MainWindow) -> None:
    view = window.diagram
    window.commands.fit.trigger()
    fitted = view.zoom()
    window.commands.zoom_in.trigger()
    assert abs(view.zoom() - fitted * ZOOM_STEP) < 1e-9
    window.commands.zoom_out.trigger()
    window.commands.zoom_out.trigger()
    assert abs(view.zoom() - fitted / ZOOM_STEP) < 1e-9
    window.commands.actual_size.trigger()
    assert view.zoom() == 1.0
    window.commands.fit.trigger()
    assert abs(view.zoom() - fitted) < 1e-6
    assert view.transform().m11() == view.transform().m22()  # aspect kept
    assert window.commands.fit.shortcut().toString() == "Ctrl+0"


def test_wheel_zooms_around_the_cursor(qtbot: QtBot, window: MainWindow) -> None:
    view = window.diagram
    view.zoom_by(2.0)  # larger than the viewport both ways: a scene that fits is centred, not anchored
    view.centerOn(view.node_boxes["enc1"].center())
    cursor = node_centre(window, "enc1") + QPoint(7, 5)
    before = view.mapToScene(cursor)
    zoom = view.zoom()
    event = QWheelEvent(
        QPointF(cursor), QPointF(view.viewport().mapToGlobal(cursor)), QPoint(0, 0), QPoint(0, 240),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(view.viewport(), event)
    assert abs(view.zoom() - zoom * ZOOM_STEP**2) < 1e-9
    after = view.mapToScene(cursor)
    assert abs(after.x() - before.x()) < 1 and abs(after.y() - before.y()) < 1


def test_drag_pans_without_selecting(qtbot: QtBot, window: MainWindow) -> None:
    view = window.diagram
    window.commands.zoom_in.trigger()
    window.commands.zoom_in.trigger()
    start = view.viewport().rect().center()
    scroll = (view.horizontalScrollBar().value(), view.verticalScrollBar().value())
    clicked: list[object] = []
    view.node_clicked.connect(clicked.append)
    end = start + QPoint(-60, -50)

    def mouse(kind: QEvent.Type, at: QPoint, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        global_at = QPointF(view.viewport().mapToGlobal(at))
        event = QMouseEvent(kind, QPointF(at), global_at, button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(view.viewport(), event)

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    mouse(QEvent.Type.MouseButtonPress, start, left, left)
    mouse(QEvent.Type.MouseMove, start + QPoint(-30, -25), none, left)
    mouse(QEvent.Type.MouseMove, end, none, left)
    mouse(QEvent.Type.MouseButtonRelease, end, left, none)
    assert (view.horizontalScrollBar().value(), view.verticalScrollBar().value()) != scroll
    assert clicked == []


def test_3d_diagram_and_stale_greying(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("unet3d"))
    assert window.diagram.diagram is not None and "64×128×128" in window.diagram.diagram.svg.decode()
    set_cell(window.form, 0, "kernel", "4")
    assert window.diagram._item is not None and window.diagram._item.opacity() < 1
    set_cell(window.form, 0, "kernel", "5")
    wait_update(qtbot, window)
    assert window.diagram._item is not None and window.diagram._item.opacity() == 1
