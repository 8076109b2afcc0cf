"""The stage table: effective values per level, typed cells, fills and resets, marks; and the acceptance run
(nnU-Net 3d_fullres, level 1's stride made isotropic, every view follows)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from unetviz.core.config import UNetConfig, load_preset, preset_names
from unetviz.gui.config_form import ConfigForm
from unetviz.gui.stage_values import COLUMN, parse_entry

from .conftest import MakeWindow, cell_text, set_cell, table_rows, wait_update


@pytest.fixture
def nnunet_form(qtbot: QtBot) -> Iterator[tuple[ConfigForm, list[UNetConfig]]]:
    form = ConfigForm(load_preset("nnunet-3d-fullres"))
    qtbot.addWidget(form)
    tester = QAbstractItemModelTester(form.stages.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    edits: list[UNetConfig] = []
    form.edited.connect(lambda cfg, _text: edits.append(cfg))
    yield form, edits
    del tester


def column_texts(form: ConfigForm, key: str) -> list[str]:
    return [cell_text(form, row, key) for row in range(form.stages.model.rowCount())]


def test_cells_show_effective_values(nnunet_form: tuple[ConfigForm, list[UNetConfig]]) -> None:
    form, _edits = nnunet_form
    assert form.stages.model.rowCount() == 6 and form.stages.model.columnCount() == 10
    assert column_texts(form, "width") == ["32", "64", "128", "256", "320", "320"]
    assert column_texts(form, "kernel") == ["1,3,3", "3", "3", "3", "3", "3"]
    assert column_texts(form, "stride") == ["—", "1,2,2", "2", "2", "2", "2"]
    # Defaults resolved: the up-conv's kernel is the stride, the decoder's kernel the level's encoder kernel.
    assert column_texts(form, "up_kernel") == ["1,2,2", "2", "2", "2", "2", "—"]
    assert column_texts(form, "dec_kernel") == ["1,3,3", "3", "3", "3", "3", "—"]
    model = form.stages.model
    assert model.index(0, 8).data(Qt.ItemDataRole.FontRole).italic()  # defaulted: decoder_kernel_size is null
    assert model.index(0, 1).data(Qt.ItemDataRole.FontRole) is None  # kernel_size is given
    assert not model.flags(form.stages.cell(0, "stride")) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(form.stages.cell(5, "dec_kernel")) & Qt.ItemFlag.ItemIsEditable
    assert model.flags(form.stages.cell(1, "stride")) & Qt.ItemFlag.ItemIsEditable


@pytest.mark.parametrize("text", ["2,2,2", "2×2×2", "2x2x2", "[2, 2, 2]", "2 2 2"])
def test_typed_stride_in_any_notation(nnunet_form: tuple[ConfigForm, list[UNetConfig]], text: str) -> None:
    form, edits = nnunet_form
    set_cell(form, 1, "stride", text)
    # 2 on every axis at every level is the default, which the config stores as null
    assert edits[-1].strides is None and edits[-1].plan.encoder[1].stride == (2, 2, 2)
    assert cell_text(form, 1, "stride") == "2"  # the same on every axis: shown as one number


def test_editing_a_defaulted_column_keeps_the_other_levels(nnunet_form: tuple[ConfigForm, list[UNetConfig]]) -> None:
    form, edits = nnunet_form
    set_cell(form, 2, "dec_kernel", "5")
    assert edits[-1].decoder_kernel_size == ((1, 3, 3), 3, 5, 3, 3)
    set_cell(form, 3, "up_kernel", "4")
    assert edits[-1].up_kernel_size == ((1, 2, 2), 2, 2, 4, 2)
    assert edits[-1].decoder_kernel_size == ((1, 3, 3), 3, 5, 3, 3)


def test_uniform_column_is_written_back_as_one_value(qtbot: QtBot) -> None:
    form = ConfigForm(load_preset("small"))
    qtbot.addWidget(form)
    edits: list[UNetConfig] = []
    form.edited.connect(lambda cfg, _text: edits.append(cfg))
    set_cell(form, 1, "kernel", "5")
    assert edits[-1].kernel_size == (3, 5, 3, 3)
    assert form.stages.model.fill_column(1, "kernel")
    assert edits[-1].kernel_size == 5
    set_cell(form, 2, "stride", "1,2")
    assert edits[-1].strides == (2, (1, 2), 2)
    set_cell(form, 2, "stride", "2")
    assert edits[-1].strides is None  # 2 everywhere is the default


def test_copy_row_and_reset(nnunet_form: tuple[ConfigForm, list[UNetConfig]], qtbot: QtBot) -> None:
    form, edits = nnunet_form
    form.stages.view.setCurrentIndex(form.stages.cell(1, "kernel"))
    qtbot.mouseClick(form.stages.copy_button, Qt.MouseButton.LeftButton)
    cfg = edits[-1]
    assert cfg.kernel_size == 3 and cfg.strides == ((1, 2, 2), (1, 2, 2), (1, 2, 2), (1, 2, 2), (1, 2, 2))
    assert cfg.widths == (64,) * 6 and cfg.convs_per_block == 2
    form.stages.view.setCurrentIndex(form.stages.cell(3, "stride"))
    qtbot.mouseClick(form.stages.reset_button, Qt.MouseButton.LeftButton)
    assert edits[-1].strides is None and column_texts(form, "stride")[1:] == ["2"] * 5
    form.stages.view.setCurrentIndex(form.stages.cell(3, "up_width"))
    set_cell(form, 3, "up_width", "99")
    qtbot.mouseClick(form.stages.fill_button, Qt.MouseButton.LeftButton)
    assert edits[-1].up_widths == (99,) * 5


def test_bad_text_marks_the_cell_and_keeps_the_config(nnunet_form: tuple[ConfigForm, list[UNetConfig]]) -> None:
    form, edits = nnunet_form
    errors: list[object] = []
    form.invalid.connect(errors.append)
    shown = len(edits)
    set_cell(form, 2, "stride", "two")
    assert len(edits) == shown and errors
    index = form.stages.cell(2, "stride")
    assert cell_text(form, 2, "stride") == "two"
    assert index.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert str(index.data(Qt.ItemDataRole.ToolTipRole)).startswith('strides: "two" is not allowed')
    assert "strides" in form.error_label.text()
    set_cell(form, 2, "stride", "17")  # parses, but the core allows strides up to 16
    assert len(edits) == shown and "strides" in str(errors[-1])
    assert form.stages.model.marked(2, "stride") is not None and form.stages.model.marked(3, "stride") is None
    set_cell(form, 2, "stride", "1,2,2")
    assert edits[-1].strides == ((1, 2, 2), (1, 2, 2), 2, 2, 2)
    assert form.stages.cell(2, "stride").data(Qt.ItemDataRole.BackgroundRole) is None
    assert form.current_error() is None


def test_parse_entry_names_the_field() -> None:
    assert parse_entry(COLUMN["kernel"], " 1 × 3 × 3 ") == (1, 3, 3)
    assert parse_entry(COLUMN["width"], "48") == 48
    for column, text in ((COLUMN["width"], "32,64"), (COLUMN["kernel"], ""), (COLUMN["kernel"], "3, x")):
        with pytest.raises(Exception, match=f"^{column.field}: "):
            parse_entry(column, text)


def test_values_that_do_not_apply_are_kept(nnunet_form: tuple[ConfigForm, list[UNetConfig]]) -> None:
    form, edits = nnunet_form
    set_cell(form, 1, "up_kernel", "4")
    assert edits[-1].up_kernel_size == ((1, 2, 2), 4, 2, 2, 2)
    form.combos["upsampling"].setCurrentText("nearest")
    assert edits[-1].up_kernel_size is None and cell_text(form, 1, "up_kernel") == "—"
    form.combos["upsampling"].setCurrentText("transpose")
    assert edits[-1].up_kernel_size == ((1, 2, 2), 4, 2, 2, 2)
    set_cell(form, 0, "first", "16")
    form.combos["block"].setCurrentText("residual")
    assert edits[-1].encoder_first_widths is None and cell_text(form, 0, "first") == "—"
    form.combos["block"].setCurrentText("plain")
    assert edits[-1].encoder_first_widths == (16, 64, 128, 256, 320, 320)


def test_depth_and_dims_reshape_the_lists(nnunet_form: tuple[ConfigForm, list[UNetConfig]]) -> None:
    form, edits = nnunet_form
    form.spins["depth"].setValue(4)
    cfg = edits[-1]
    assert cfg.depth == 4 and form.stages.model.rowCount() == 5
    assert cfg.widths == (32, 64, 128, 256, 320) and cfg.strides == ((1, 2, 2), 2, 2, 2)
    assert cfg.kernel_size == ((1, 3, 3), 3, 3, 3, 3)
    form.spins["depth"].setValue(6)
    assert edits[-1].widths == (32, 64, 128, 256, 320, 640, 1280) and edits[-1].strides == ((1, 2, 2), 2, 2, 2, 2, 2)
    form.dims.button(2).click()
    # Each per-axis entry keeps its in-plane value.
    assert edits[-1].dims == 2 and edits[-1].kernel_size == 3 and edits[-1].strides is None  # the defaults
    assert [s.kernel for s in edits[-1].plan.encoder] == [(3, 3)] * 7


def test_real_editor_commits_typed_text(nnunet_form: tuple[ConfigForm, list[UNetConfig]], qtbot: QtBot) -> None:
    form, edits = nnunet_form
    form.show()
    view = form.stages.view
    index = form.stages.cell(1, "stride")
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.viewport().findChild(QLineEdit)
    assert isinstance(editor, QLineEdit) and editor.text() == "1,2,2"
    editor.selectAll()
    qtbot.keyClicks(editor, "2×2×2")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(edits), timeout=5000)  # the delegate commits through a queued call
    assert edits[-1].strides is None and edits[-1].plan.encoder[1].stride == (2, 2, 2)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_reads_back_unchanged(qtbot: QtBot, name: str) -> None:
    form = ConfigForm(load_preset(name))
    qtbot.addWidget(form)
    tester = QAbstractItemModelTester(form.stages.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    assert form.read() == load_preset(name)
    other = load_preset("small" if name != "small" else "nnunet-resenc-m-3d")
    form.set_config(other)
    assert form.read() == other and form.stages.model.rowCount() == other.depth + 1
    del tester


def test_acceptance_nnunet_isotropic_stride_at_level_1(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("nnunet-3d-fullres"))
    assert window.analysis is not None and not window.analysis.warnings
    before_svg = window.diagram.diagram.svg if window.diagram.diagram is not None else b""
    rows = {row[1]: row for row in table_rows(window)}
    assert rows["enc1.conv1"][4] == "64 × 80×80×80"
    assert "warnings" not in window.summary.text()
    form = window.form
    assert cell_text(form, 1, "stride") == "1,2,2"
    set_cell(form, 1, "stride", "2,2,2")
    assert window.document.config.strides is None and window.document.config.plan.encoder[1].stride == (2, 2, 2)
    wait_update(qtbot, window)
    assert window.analysis.config == window.document.config
    rows = {row[1]: row for row in table_rows(window)}
    assert rows["enc1.conv1"][4] == "64 × 40×80×80"
    assert rows["enc1.conv1"][5].startswith("D: ⌊(80 − 3 + 2·1)/2⌋ + 1 = 40")
    assert rows["enc4.conv1"][4] == "320 × 5×10×10"
    assert window.analysis.warnings and "warnings" in window.summary.text()
    assert "does not divide D 5 evenly" in window.summary.text()
    assert window.diagram.diagram is not None and window.diagram.diagram.config == window.document.config
    assert window.diagram.diagram.svg != before_svg
    assert window.document.undo_stack.canUndo()
    window.document.undo_stack.undo()
    assert cell_text(form, 1, "stride") == "1,2,2" and window.document.config == load_preset("nnunet-3d-fullres")
