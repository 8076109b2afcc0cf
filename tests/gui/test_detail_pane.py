"""The detail pane: a node, a bar or a row shows every layer it holds, with shapes, formula and numbers."""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from unetviz.core.analysis import analyze
from unetviz.core.config import load_preset
from unetviz.gui.detail_pane import HINT, DetailPane
from unetviz.gui.layer_table import LayerTableModel
from unetviz.gui.main_window import MainWindow
from unetviz.report.export import paper_figure
from unetviz.report.tables import human, shape_text

from .conftest import UPDATE_TIMEOUT_MS, MakeWindow, wait_update

Mode = QAbstractItemModelTester.FailureReportingMode


def shown(pane: DetailPane) -> str:
    """The pane's text with its no-break spaces (a shape wraps as one word) read as spaces."""
    return pane.text().replace("\u00a0", " ")


def node_centre(window: MainWindow, node_id: str) -> QPoint:
    return window.diagram.mapFromScene(window.diagram.node_boxes[node_id].center())


def test_pane_shows_each_layer_with_its_numbers(qtbot: QtBot) -> None:
    model = LayerTableModel()
    QAbstractItemModelTester(model, Mode.Fatal)
    pane = DetailPane(model)
    qtbot.addWidget(pane)
    analysis = analyze(load_preset("ronneberger2015"))
    model.set_analysis(analysis)
    assert HINT in shown(pane)
    pane.show_layers(["enc0.conv1", "enc0.relu1"])
    text = shown(pane)
    conv = next(layer for layer in analysis.layers if layer.name == "enc0.conv1")
    assert "enc0.conv1" in text and "enc0.relu1" in text and "Conv2d" in text
    assert f"{shape_text(conv.in_shape)} → {shape_text(conv.out_shape)}" in text  # 1 × 572×572 → 64 × 570×570
    assert "572 − 3 + 2·0" in conv.formula and conv.formula.split(" = ")[0].split("(")[1] in text
    assert "640" in text and f"{conv.mult_adds:,}" in text  # 64·(9+1) params; 187,142,400 mult-adds
    assert human(4 * math.prod(conv.out_shape), "B") in text  # float32 bytes of 64×570×570
    assert "2 layers" in text  # a node of several layers: their totals first


def test_pane_follows_a_new_analysis_and_drops_layers_that_went(qtbot: QtBot) -> None:
    model = LayerTableModel()
    pane = DetailPane(model)
    qtbot.addWidget(pane)
    model.set_analysis(analyze(load_preset("small")))
    pane.show_layers(["enc0.conv1", "enc3.conv1"])  # small has depth 3: no enc3 yet
    assert "enc3.conv1" not in shown(pane) and "enc0.conv1" in shown(pane)
    model.set_analysis(analyze(load_preset("small").replace(input_size=(64, 64), depth=4)))
    assert "enc3.conv1" in shown(pane) and "1 × 64×64" in shown(pane)


def test_clicking_a_node_shows_its_layers(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("ronneberger2015"))
    assert window.detail.visibleRegion().isEmpty()  # a tab behind the Summary until something is clicked
    assert not window.summary.visibleRegion().isEmpty()
    qtbot.mouseClick(window.diagram.viewport(), Qt.MouseButton.LeftButton, pos=node_centre(window, "dec1"))
    assert window.diagram.diagram is not None
    layers = window.diagram.diagram.graph.node("dec1").layers
    assert window.detail.names == list(layers) and len(layers) > 3
    assert all(name in shown(window.detail) for name in layers)
    qtbot.waitUntil(lambda: not window.detail.visibleRegion().isEmpty())  # brought to the front of its tab


def test_clicking_a_row_shows_that_layer_and_an_edit_updates_it(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("small"))
    table = window.table
    row = table.model.row_of("enc1.pool")
    assert row is not None
    rect = table.view.visualRect(table.proxy.mapFromSource(table.model.index(row, 1)))
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.detail.names == ["enc1.pool"]
    assert "16 × 128×128 → 16 × 64×64" in shown(window.detail)
    window.form.size_spins[1].setValue(64)
    wait_update(qtbot, window)
    assert "16 × 64×128 → 16 × 32×64" in shown(window.detail)


def test_clicking_a_paper_bar_shows_its_layers(qtbot: QtBot, make_window: MakeWindow) -> None:
    cfg = load_preset("ronneberger2015")
    window = make_window(cfg)
    with qtbot.waitSignal(window.update_finished, timeout=UPDATE_TIMEOUT_MS):
        window.set_view("paper")
    figure = paper_figure(analyze(cfg))
    index = next(i for i, bar in enumerate(figure.bars) if bar.layer == "enc2.conv1")
    bar = figure.bars[index]
    point = window.diagram.mapFromScene(QPointF(bar.centre, bar.y + bar.h / 2))
    qtbot.mouseClick(window.diagram.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.detail.names == ["enc2.conv1", "enc2.relu1"]
    assert "128 × 140×140 → 256 × 138×138" in shown(window.detail)


def test_enter_on_a_node_shows_its_layers(qtbot: QtBot, make_window: MakeWindow) -> None:
    """The diagram's Enter (detailRequested) reaches the pane: the two branches' work, joined at merge."""
    window = make_window(load_preset("ronneberger2015"))
    view = window.diagram
    view.setFocus()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=node_centre(window, "enc0"))
    window.detail.show_layers([])
    assert "enc0.conv1" not in shown(window.detail)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "enc0.conv1" in shown(window.detail), timeout=UPDATE_TIMEOUT_MS)
