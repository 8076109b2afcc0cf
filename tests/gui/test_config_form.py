"""The config panel: every widget edits the config, and the table and summary follow after the worker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from unetviz.core.config import UNetConfig, load_preset
from unetviz.gui.config_form import ConfigForm
from unetviz.gui.main_window import MainWindow
from unetviz.gui.marks import is_invalid

from .conftest import MakeWindow, cell_text, set_cell, table_rows, wait_update

Edit = Callable[[MainWindow, QtBot], None]


def spin(field: str, value: int) -> Edit:
    return lambda w, _bot: w.form.spins[field].setValue(value)


def combo(field: str, value: str) -> Edit:
    return lambda w, _bot: w.form.combos[field].setCurrentText(value)


def column(window: MainWindow, name: str) -> list[str]:
    index = window.table.model.columns.index(name)
    return [row[index] for row in table_rows(window)]


def cell(row: int, key: str, text: str) -> Edit:
    return lambda w, _bot: set_cell(w.form, row, key, text)


def type_text(qtbot: QtBot, widget: object, text: str) -> None:
    widget.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(widget, text)


# (what to do, the field and value it sets, what the table or summary must then show), on the "small" preset:
# depth 3, base width 16, 128×128, same padding, batch norm, max pool, transpose, pad.
CASES: list[tuple[str, Edit, str, object, Callable[[MainWindow], bool]]] = [
    (
        "depth",
        spin("depth", 2),
        "depth",
        2,
        lambda w: (
            "bottleneck.conv1" in column(w, "Layer") and not any(n.startswith("enc2") for n in column(w, "Layer"))
        ),
    ),
    ("base_width", spin("base_width", 8), "base_width", 8, lambda w: column(w, "Output")[0] == "8 × 128×128"),
    ("in_channels", spin("in_channels", 3), "in_channels", 3, lambda w: column(w, "Input")[0] == "3 × 128×128"),
    ("num_classes", spin("num_classes", 5), "num_classes", 5, lambda w: column(w, "Output")[-1] == "5 × 128×128"),
    (
        "kernel_size",
        cell(0, "kernel", "5"),
        "kernel_size",
        (5, 3, 3, 3),
        lambda w: "(128 − 5 + 2·2)/1 + 1 = 128" in column(w, "Formula"),
    ),
    (
        "convs_per_block",
        cell(0, "convs", "3"),
        "convs_per_block",
        (3, 2, 2, 2),
        lambda w: "enc0.conv3" in column(w, "Layer"),
    ),
    ("batch_size", spin("batch_size", 4), "batch_size", 4, lambda w: "(batch 4)" in w.summary.text()),
    ("padding", combo("padding", "valid"), "padding", "valid", lambda w: column(w, "Output")[0] == "16 × 126×126"),
    ("norm", combo("norm", "none"), "norm", "none", lambda w: "BatchNorm2d" not in column(w, "Type")),
    ("pooling", combo("pooling", "avg"), "pooling", "avg", lambda w: "AvgPool2d" in column(w, "Type")),
    ("upsampling", combo("upsampling", "nearest"), "upsampling", "nearest", lambda w: "Upsample" in column(w, "Type")),
    ("merge", combo("merge", "crop"), "merge", "crop", lambda w: "dec0.crop" in column(w, "Layer")),
    ("name", lambda w, bot: type_text(bot, w.form.name, "mine"), "name", "mine", lambda w: "mine" in w.summary.text()),
    (
        "input H",
        lambda w, _bot: w.form.size_spins[1].setValue(64),
        "input_size",
        (64, 128),
        lambda w: column(w, "Input")[0] == "1 × 64×128",
    ),
    (
        "dims",
        lambda w, _bot: w.form.dims.button(3).click(),
        "input_size",
        (128, 128, 128),
        lambda w: column(w, "Type")[0] == "Conv3d",
    ),
    (
        "widths",
        cell(0, "width", "8"),
        "widths",
        (8, 32, 64, 128),
        lambda w: column(w, "Output")[0] == "8 × 128×128",
    ),
]


@pytest.mark.parametrize(("label", "edit", "field", "value", "shown"), CASES, ids=[c[0] for c in CASES])
def test_each_widget_edits_config_and_views_follow(
    qtbot: QtBot,
    make_window: MakeWindow,
    label: str,
    edit: Edit,
    field: str,
    value: object,
    shown: Callable[[MainWindow], bool],
) -> None:
    window = make_window()
    assert not shown(window), f"{label}: the check already holds before the edit"
    edit(window, qtbot)
    assert getattr(window.document.config, field) == value
    wait_update(qtbot, window)
    assert window.analysis is not None and window.analysis.config == window.document.config
    assert shown(window), f"{label}: table/summary did not follow"
    assert window.diagram.diagram is not None and window.diagram.diagram.config == window.document.config


def test_invalid_value_marks_widget_keeps_last_result_and_recovers(qtbot: QtBot, window: MainWindow) -> None:
    before = window.document.config
    kernel = window.form.stages.cell(1, "kernel")
    set_cell(window.form, 1, "kernel", "4")
    assert window.document.config == before  # the truth stays the last valid config
    assert window.form.stages.model.marked(1, "kernel") is not None
    assert window.form.stages.model.marked(0, "kernel") is None  # only the edited cell, not its column
    assert kernel.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert str(kernel.data(Qt.ItemDataRole.ToolTipRole)).startswith(
        "kernel_size: [3, 4, 3, 3] is not allowed; expected"
    )
    assert window.form.error_label.isVisibleTo(window.form) and "kernel_size" in window.form.error_label.text()
    assert not window.table.view.isEnabled()  # greyed, still on screen
    assert window.table.model.rowCount() > 0 and window.analysis is not None
    set_cell(window.form, 1, "kernel", "5")
    assert window.form.stages.model.marked(1, "kernel") is None
    assert kernel.data(Qt.ItemDataRole.BackgroundRole) is None and window.document.config.kernel_size == (3, 5, 3, 3)
    wait_update(qtbot, window)
    assert window.table.view.isEnabled()
    assert not window.form.error_label.isVisibleTo(window.form)


def test_analysis_error_marks_input_size(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("ronneberger2015"))
    shown = window.analysis
    window.form.size_spins[1].setValue(40)  # valid padding: a 40-pixel input collapses before the bottleneck
    wait_update(qtbot, window)
    error = window.form.current_error()
    assert error is not None and error.field == "input_size"
    assert all(is_invalid(s) for s in window.form.size_spins[1:])
    assert window.analysis is shown and not window.table.view.isEnabled()
    window.form.size_spins[1].setValue(572)
    wait_update(qtbot, window)
    assert window.form.current_error() is None and window.table.view.isEnabled()


def test_widths_follow_base_width_until_typed(qtbot: QtBot) -> None:
    form = ConfigForm(load_preset("small"))
    qtbot.addWidget(form)
    edits: list[UNetConfig] = []
    form.edited.connect(lambda cfg, _text: edits.append(cfg))
    form.spins["base_width"].setValue(8)
    assert [cell_text(form, row, "width") for row in range(4)] == ["8", "16", "32", "64"]
    assert edits[-1].widths is None
    set_cell(form, 3, "width", "640")
    assert edits[-1].widths == (8, 16, 32, 640)
    form.spins["depth"].setValue(4)  # typed widths are kept and extended by doubling
    assert edits[-1].widths == (8, 16, 32, 640, 1280) and edits[-1].depth == 4
    form.spins["base_width"].setValue(32)  # no longer followed
    assert edits[-1].widths == (8, 16, 32, 640, 1280)
    form.stages.view.setCurrentIndex(form.stages.cell(2, "width"))
    qtbot.mouseClick(form.stages.reset_button, Qt.MouseButton.LeftButton)  # the column back to its default
    assert edits[-1].widths is None
    assert [cell_text(form, row, "width") for row in range(5)] == ["32", "64", "128", "256", "512"]


def test_unreadable_widths_are_marked(qtbot: QtBot) -> None:
    form = ConfigForm(load_preset("small"))
    qtbot.addWidget(form)
    errors: list[object] = []
    form.invalid.connect(errors.append)
    set_cell(form, 1, "width", "16, x")
    assert errors and "widths" in str(errors[-1])
    assert form.stages.model.marked(1, "width") is not None
    assert cell_text(form, 1, "width") == "16, x"  # the typed text stays, to be corrected


def test_switching_to_2d_keeps_h_and_w(qtbot: QtBot) -> None:
    form = ConfigForm(load_preset("unet3d"))
    qtbot.addWidget(form)
    edits: list[UNetConfig] = []
    form.edited.connect(lambda cfg, _text: edits.append(cfg))
    assert form.size_spins[0].isVisibleTo(form)
    form.dims.button(2).click()
    assert edits[-1].dims == 2 and edits[-1].input_size == (128, 128)
    assert not form.size_spins[0].isVisibleTo(form)


def test_preset_picker_and_reset(qtbot: QtBot, window: MainWindow) -> None:
    window.form.preset.setCurrentText("unet3d")
    window.form.preset.activated.emit(window.form.preset.currentIndex())
    assert window.document.config == load_preset("unet3d")
    window.form.spins["depth"].setValue(2)
    window.form.reset_button.click()
    assert window.document.config == load_preset("unet3d")
    wait_update(qtbot, window)
    assert window.analysis is not None and window.analysis.config.dims == 3


def test_valid_size_link_applies_it(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("ronneberger2015"))
    assert "size:572:556" in window.summary.text()
    window.summary.label.linkActivated.emit("size:572:556")
    assert window.document.config.input_size == (556, 556)
    wait_update(qtbot, window)
    assert "556→372" in window.summary.text()
