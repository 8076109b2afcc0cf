"""The form's global fields: each widget sets its field; fields that do not apply are disabled, not reset;
the preset picker is grouped by source."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from unetviz.core.config import PRESET_SOURCES, UNetConfig, load_preset, preset_source
from unetviz.gui.config_form import ConfigForm
from unetviz.gui.preset_picker import HEADER_ROLE

Set = Callable[[ConfigForm], None]


def combo(field: str, text: str) -> Set:
    return lambda form: form.combos[field].setCurrentText(text)


CASES: list[tuple[str, Set, str, object]] = [
    ("block", combo("block", "residual"), "block", "residual"),
    ("decoder_block", combo("decoder_block", "residual"), "decoder_block", "residual"),
    ("norm", combo("norm", "group"), "norm", "group"),
    ("conv_bias false", combo("conv_bias", "false"), "conv_bias", False),
    ("conv_bias true", combo("conv_bias", "true"), "conv_bias", True),
    ("activation", combo("activation", "gelu"), "activation", "gelu"),
    ("pooling", combo("pooling", "conv"), "pooling", "conv"),
    ("merge", combo("merge", "strict"), "merge", "strict"),
    ("deep supervision", combo("deep_supervision", "every level"), "deep_supervision", True),
    ("deep supervision count", combo("deep_supervision", "2 heads"), "deep_supervision", 2),
    ("norm_groups", lambda f: f.spins["norm_groups"].setValue(4), "norm_groups", 4),
    ("stem_channels", lambda f: f.spins["stem_channels"].setValue(24), "stem_channels", 24),
    ("negative_slope", lambda f: f.floats["negative_slope"].setValue(0.2), "negative_slope", 0.2),
    ("dropout", lambda f: f.floats["dropout"].setValue(0.25), "dropout", 0.25),
    ("norm_affine", lambda f: f.checks["norm_affine"].setChecked(False), "norm_affine", False),
    ("shared_activation", lambda f: f.checks["shared_activation"].setChecked(True), "shared_activation", True),
]


@pytest.mark.parametrize(("label", "edit", "field", "value"), CASES, ids=[c[0] for c in CASES])
def test_each_global_widget_sets_its_field(qtbot: QtBot, label: str, edit: Set, field: str, value: object) -> None:
    form = ConfigForm(load_preset("small"))  # depth 3, base width 16, plain, batch norm, relu
    qtbot.addWidget(form)
    edits: list[UNetConfig] = []
    form.edited.connect(lambda cfg, _text: edits.append(cfg))
    assert getattr(form.read(), field) != value or type(getattr(form.read(), field)) is not type(value)
    edit(form)
    assert edits, f"{label}: no edit"
    assert getattr(edits[-1], field) == value and type(getattr(edits[-1], field)) is type(value)
    form.set_config(edits[-1])
    assert form.read() == edits[-1]  # and the widgets show it back


def test_fields_that_do_not_apply_are_disabled_and_kept(qtbot: QtBot) -> None:
    form = ConfigForm(load_preset("nnunet-3d-fullres"))
    qtbot.addWidget(form)
    edits: list[UNetConfig] = []
    form.edited.connect(lambda cfg, _text: edits.append(cfg))
    slope = form.floats["negative_slope"]
    assert slope.isEnabled() and not form.spins["norm_groups"].isEnabled()
    assert not form.combos["shortcut"].isEnabled() and not form.spins["stem_channels"].isEnabled()
    slope.setValue(0.2)
    form.combos["activation"].setCurrentText("relu")
    assert not slope.isEnabled() and not form.labels["negative_slope"].isEnabled()
    assert edits[-1].activation == "relu" and edits[-1].negative_slope == 0.2
    form.combos["activation"].setCurrentText("leaky_relu")
    assert slope.isEnabled() and edits[-1].negative_slope == 0.2
    form.combos["block"].setCurrentText("residual")
    assert form.combos["shortcut"].isEnabled() and form.spins["stem_channels"].isEnabled()
    assert form.stages.model.headerData(3, Qt.Orientation.Horizontal) == "enc\nBlocks"
    form.combos["norm"].setCurrentText("group")
    assert form.spins["norm_groups"].isEnabled() and edits[-1].norm == "group"


def test_tooltips_say_what_and_where_from(qtbot: QtBot) -> None:
    form = ConfigForm(load_preset("small"))
    qtbot.addWidget(form)
    assert "nnU-Net" in form.combos["shortcut"].toolTip() and "MONAI" in form.combos["shortcut"].toolTip()
    assert "LeakyReLU" in form.floats["negative_slope"].toolTip()
    assert "Pytorch-UNet" in form.combos["merge"].toolTip()


def test_preset_picker_is_grouped_by_source(qtbot: QtBot) -> None:
    form = ConfigForm(load_preset("small"))
    qtbot.addWidget(form)
    groups = form.preset.groups()
    assert list(groups) == [s for s in PRESET_SOURCES if s in groups] and len(groups) >= 4
    assert "nnunet-3d-fullres" in groups["nnU-Net"] and "monai-dynunet-3d" in groups["MONAI"]
    assert all(preset_source(name) == source for source, names in groups.items() for name in names)
    model = form.preset.model()
    headers = [row for row in range(form.preset.count()) if form.preset.itemData(row, HEADER_ROLE)]
    assert len(headers) == len(groups)
    assert all(not model.flags(model.index(row, 0)) & Qt.ItemFlag.ItemIsSelectable for row in headers)
    form.preset.set_preset("nnunet-3d-fullres")
    edits: list[UNetConfig] = []
    form.edited.connect(lambda cfg, _text: edits.append(cfg))
    form.preset.activated.emit(form.preset.currentIndex())
    assert edits[-1] == load_preset("nnunet-3d-fullres")
