"""The layers table model under Qt's own checker, sorting, filtering, warnings and trace columns."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from unetviz.core.analysis import Analysis, analyze
from unetviz.core.config import load_preset
from unetviz.gui.layer_table import SORT_ROLE, TRACE_COLUMNS, WARNING_BRUSH, LayerTable, LayerTableModel
from unetviz.network.trace import Mismatch, TraceResult

Mode = QAbstractItemModelTester.FailureReportingMode


def fake_cuda_trace(analysis: Analysis, mismatched: str | None = None) -> Analysis:
    names = [layer.name for layer in analysis.layers]
    mismatches = (Mismatch(mismatched, (1, 2), (1, 3)),) if mismatched else ()
    trace = TraceResult(
        "cuda", {}, mismatches, analysis.shapes.total_params, 0.01,
        layer_ms={n: 0.5 + i for i, n in enumerate(names)}, peak_memory_bytes=1 << 20,
    )  # fmt: skip
    return Analysis(analysis.shapes, trace)


def test_model_passes_qt_model_tester(qtbot: QtBot, qtlog: Any) -> None:  # pytest-qt's capture is private
    model = LayerTableModel()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    testers = [QAbstractItemModelTester(m, Mode.Warning) for m in (model, proxy)]
    proxy.sort(6, Qt.SortOrder.DescendingOrder)
    for name in ("small", "ronneberger2015", "unet3d"):
        analysis = analyze(load_preset(name))
        model.set_analysis(analysis)
        model.set_analysis(fake_cuda_trace(analysis, analysis.layers[3].name))
        proxy.setFilterFixedString("conv")
        proxy.setFilterFixedString("")
    failures = [r.message for r in qtlog.records if "FAIL" in r.message]
    assert failures == [] and len(testers) == 2


def test_columns_values_and_trace_columns(qtbot: QtBot) -> None:
    model = LayerTableModel()
    analysis = analyze(load_preset("ronneberger2015"))
    model.set_analysis(analysis)
    assert model.columnCount() == 8 and model.rowCount() == len(analysis.layers)
    first = [model.index(0, c).data() for c in range(model.columnCount())]
    assert first == ["1", "enc0.conv1", "Conv2d", "1 × 572×572", "64 × 570×570", "(572 − 3 + 2·0)/1 + 1 = 570",
                     "640", "187,142,400"]  # fmt: skip
    assert model.index(0, 6).data(SORT_ROLE) == 640
    model.set_analysis(fake_cuda_trace(analysis))
    assert model.columns[-2:] == TRACE_COLUMNS
    assert model.index(1, 8).data() == "1.500"
    assert model.index(0, 9).data() == "83.17 MB"  # 64·570·570 float32 values


def test_sort_and_filter(qtbot: QtBot) -> None:
    table = LayerTable()
    qtbot.addWidget(table)
    analysis = analyze(load_preset("ronneberger2015"))
    table.set_analysis(analysis)
    table.view.sortByColumn(6, Qt.SortOrder.DescendingOrder)
    top = table.proxy.index(0, 1).data()
    assert top == max(analysis.layers, key=lambda layer: layer.params).name
    table.filter.setText("POOL")
    names = [table.proxy.index(r, 1).data() for r in range(table.proxy.rowCount())]
    assert names and all("pool" in n for n in names)
    assert len(names) == analysis.config.depth


def test_warning_rows_are_marked(qtbot: QtBot) -> None:
    model = LayerTableModel()
    analysis = analyze(load_preset("ronneberger2015"))
    model.set_analysis(analysis)
    warned = {w.layer for w in analysis.warnings if w.layer}
    assert warned == {"dec0.crop", "dec1.crop", "dec2.crop", "dec3.crop"}
    for row in range(model.rowCount()):
        name = model.layer_at(row).name
        background = model.index(row, 1).data(Qt.ItemDataRole.BackgroundRole)
        assert (background == WARNING_BRUSH) is (name in warned), name
        assert (model.index(row, 1).data(Qt.ItemDataRole.DecorationRole) is not None) is (name in warned)
    crop = model.row_of("dec3.crop")
    assert crop is not None and "skip cropped" in model.index(crop, 2).data(Qt.ItemDataRole.ToolTipRole)


@pytest.mark.parametrize("keep", ["enc1.conv2"])
def test_selection_survives_an_update(qtbot: QtBot, keep: str) -> None:
    table = LayerTable()
    qtbot.addWidget(table)
    table.set_analysis(analyze(load_preset("small")))
    table.select_layers([keep])
    table.set_analysis(analyze(load_preset("small").replace(kernel_size=5)))
    assert table.selected_layers() == [keep]
