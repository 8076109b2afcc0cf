"""The config panel: the one place that reads widgets into a UNetConfig and writes a UNetConfig into widgets.

Global fields are spin boxes, combo boxes and check boxes; per-stage fields live in the stage table, which is
one of the form's widgets. An edit that does not make a valid config marks its widget (or cell) with the
ConfigError message and emits `invalid`; the document (and so every view) keeps the last valid config until
the widgets are valid again. A field that does not apply (the slope of a plain ReLU) is hidden or disabled,
never reset.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from unetviz.core.config import MAX_INPUT_AXIS, UNetConfig, load_preset, preset_names
from unetviz.core.errors import ConfigError
from unetviz.gui.form_fields import (
    CHECKS,
    CHOICES,
    FLOATS,
    INTS,
    applicable,
    choice_text,
    choice_value,
    deep_supervision_items,
)
from unetviz.gui.marks import set_invalid
from unetviz.gui.preset_picker import PresetPicker
from unetviz.gui.stage_table import StageTable
from unetviz.gui.stage_values import STAGE_FIELD_NAMES
from unetviz.gui.text import app_message, plain_label, tooltip

AXES = ("D", "H", "W")
# Rows of the form: (group, rows), each row one or two fields side by side. The groups people use most come
# first, so that they are on screen at the default window size without scrolling.
LAYOUT: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("Model", (("in_channels", "num_classes"), ("depth", "base_width"))),
    ("Sampling", (("padding", "pooling"), ("upsampling", "merge"))),
)
LOWER_LAYOUT: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("Blocks", (("block", "decoder_block"), ("shortcut", "stem_channels"))),
    ("Layers", (("norm", "norm_groups"), ("norm_affine", "conv_bias"), ("activation", "negative_slope"),
                ("shared_activation", "dropout"), ("deep_supervision",))),
)  # fmt: skip


class ConfigForm(QWidget):
    edited = Signal(object, str)  # a valid UNetConfig, and the undo text for it
    invalid = Signal(object)  # the ConfigError of what the widgets show now

    def __init__(self, cfg: UNetConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spins: dict[str, QSpinBox] = {}
        self.floats: dict[str, QDoubleSpinBox] = {}
        self.combos: dict[str, QComboBox] = {}
        self.checks: dict[str, QCheckBox] = {}
        self.labels: dict[str, QLabel] = {}
        self.size_spins: list[QSpinBox] = []
        self._read_error: ConfigError | None = None
        self._emitted: UNetConfig | None = None  # the last config this form read and sent
        self._analysis_error: ConfigError | None = None
        self._writing = False
        self._shape = (cfg.depth, cfg.dims)  # the depth and dims the stage table's lists are for
        self._build(cfg)
        self.set_config(cfg)

    # --- building ------------------------------------------------------------------------------------

    def _build(self, cfg: UNetConfig) -> None:
        outer = QVBoxLayout(self)
        outer.setSpacing(4)
        preset_row = QHBoxLayout()
        self.preset = PresetPicker()
        _help(self.preset, "start from a shipped preset (undoable), grouped by where it comes from")
        self.preset.activated.connect(lambda _i: self._apply_preset("Preset"))
        self.reset_button = QPushButton("Reset")
        _help(self.reset_button, "back to the selected preset")
        self.reset_button.clicked.connect(lambda: self._apply_preset("Reset"))
        preset_row.addWidget(self.preset, 1)
        preset_row.addWidget(self.reset_button)
        outer.addLayout(preset_row)
        self.error_label = plain_label()  # it quotes what the user typed
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c53030;")
        self.error_label.hide()
        outer.addWidget(self.error_label)  # at the top: seen without scrolling

        model = self._group(outer, "Model")
        self.name = QLineEdit()
        _help(self.name, "shown in the title and the diagram")
        self.name.textEdited.connect(lambda _t: self._on_edit("name"))
        model.addRow("Name", self.name)
        self._rows(model, LAYOUT[0][1])
        model.addRow("Input", self._input_row())
        self._rows(self._group(outer, "Sampling"), LAYOUT[1][1])

        stages = self._group(outer, "Stages")
        self.stages = StageTable(cfg)
        self.stages.model.edited.connect(self._on_edit)
        stages.addRow(self.stages)
        for title, rows in LOWER_LAYOUT:
            self._rows(self._group(outer, title), rows)
        outer.addStretch(1)

    def _input_row(self) -> QLayout:
        row = QHBoxLayout()
        self.dims = QButtonGroup(self)
        for dims in (2, 3):
            button = QRadioButton(f"{dims}D")
            _help(button, f"{dims}D images; switching keeps H×W and copies H into D")
            self.dims.addButton(button, dims)
            row.addWidget(button)
        self.dims.idClicked.connect(self._on_dims)
        self.size_labels: list[QLabel] = []
        for axis in AXES:
            label, spin = QLabel(axis), QSpinBox()
            spin.setRange(1, MAX_INPUT_AXIS)
            _help(spin, f"input size along {axis}")
            _narrow(spin)
            spin.valueChanged.connect(lambda _v: self._on_edit())
            self.size_labels.append(label)
            self.size_spins.append(spin)
            row.addWidget(label)
            row.addWidget(spin, 1)
        row.addWidget(QLabel("×"))
        row.addWidget(self._field("batch_size"), 1)
        return row

    def _group(self, outer: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(6, 4, 6, 4)
        form.setVerticalSpacing(3)
        outer.addWidget(box)
        return form

    def _rows(self, form: QFormLayout, rows: tuple[tuple[str, ...], ...]) -> None:
        for fields in rows:
            first = self._field(fields[0])
            if len(fields) == 1:
                form.addRow(self._label(fields[0]), first)
                continue
            row = QHBoxLayout()
            row.addWidget(first, 1)
            row.addWidget(self._label(fields[1]))
            row.addWidget(self._field(fields[1]), 1)
            form.addRow(self._label(fields[0]), row)

    def _label(self, field: str) -> QLabel:
        spec = INTS.get(field) or FLOATS.get(field) or CHOICES.get(field) or CHECKS.get(field)
        assert spec is not None, field
        label = QLabel("" if field in CHECKS else spec[0])
        self.labels[field] = label
        return label

    def _field(self, field: str) -> QWidget:
        widget: QWidget
        if field in INTS:
            _label, low, high, tip = INTS[field]
            spin = self.spins[field] = QSpinBox()
            spin.setRange(low, high)
            if field == "stem_channels":
                spin.setSpecialValueText("none")
            spin.valueChanged.connect(lambda _v, field=field: self._on_edit(field))
            widget = spin
        elif field in FLOATS:
            _label, low_f, high_f, step, decimals, tip = FLOATS[field]
            box = self.floats[field] = QDoubleSpinBox()
            box.setDecimals(decimals)
            box.setRange(low_f, high_f)
            box.setSingleStep(step)
            box.valueChanged.connect(lambda _v: self._on_edit())
            widget = box
        elif field in CHECKS:
            text, tip = CHECKS[field]
            check = self.checks[field] = QCheckBox(text)
            check.toggled.connect(lambda _v: self._on_edit())
            widget = check
        else:
            _label, choices, tip = CHOICES[field]
            combo = self.combos[field] = QComboBox()
            combo.addItems(list(choices))
            combo.currentIndexChanged.connect(lambda _i: self._on_edit())
            widget = combo
        _help(widget, tip)
        if field not in CHECKS:
            _narrow(widget)
        return widget

    # --- config -> widgets ---------------------------------------------------------------------------

    def set_config(self, cfg: UNetConfig) -> None:
        """Show `cfg` (from the document: undo, open, preset); clears any mark the widgets had."""
        self._read_error = None
        if not self._shows(cfg):
            self._writing = True
            try:
                self._write(cfg)
            finally:
                self._writing = False
        self.stages.model.set_plan(cfg)
        self._show_applicable()
        self._show_error()

    def _shows(self, cfg: UNetConfig) -> bool:
        if cfg is self._emitted:  # the config this form just read and sent: the widgets show it
            return True
        try:
            return self.read() == cfg
        except ConfigError:
            return False

    def _write(self, cfg: UNetConfig) -> None:
        # The preset the config was made from, when its name says so ("ronneberger2015 (same)").
        based_on = [name for name in preset_names() if cfg.name.startswith(name)]
        if based_on:
            self.preset.set_preset(max(based_on, key=len))
        self.name.setText(cfg.name)
        for field, spin in self.spins.items():
            value = getattr(cfg, field)
            spin.setValue(0 if value is None else value)
        for field, box in self.floats.items():
            box.setValue(float(getattr(cfg, field)))
        for field, check in self.checks.items():
            check.setChecked(bool(getattr(cfg, field)))
        self._fill_deep_supervision(cfg.depth)
        for field, combo in self.combos.items():
            value = getattr(cfg, field)
            if field == "deep_supervision":
                combo.setCurrentIndex(_deep_supervision_index(combo, value))
            else:
                combo.setCurrentText(choice_text(field, value))
        self.dims.button(cfg.dims).setChecked(True)
        self._show_axes(cfg.dims)
        for spin, size in zip(self.size_spins[3 - cfg.dims :], cfg.input_size, strict=True):
            spin.setValue(size)
        self._shape = (cfg.depth, cfg.dims)
        self.stages.model.set_config(cfg)

    def _fill_deep_supervision(self, depth: int) -> None:
        combo = self.combos["deep_supervision"]
        items = deep_supervision_items(depth)
        if combo.count() == len(items):
            return
        kept = combo.currentData()
        combo.blockSignals(True)  # the form reads the combo once it is filled
        combo.clear()
        for text, value in items:
            combo.addItem(text, value)
        combo.setCurrentIndex(_deep_supervision_index(combo, kept if kept is not None else False))
        combo.blockSignals(False)

    def _show_axes(self, dims: int) -> None:
        self.size_labels[0].setVisible(dims == 3)
        self.size_spins[0].setVisible(dims == 3)

    def _show_applicable(self) -> None:
        try:
            fields = self._global_fields()
        except ConfigError:
            return
        for field, shown in applicable(fields).items():
            widget: QWidget = self.spins.get(field) or self.floats.get(field) or self.combos.get(field) \
                or self.checks[field]  # fmt: skip
            widget.setEnabled(shown)
            self.labels[field].setEnabled(shown)

    # --- widgets -> config ---------------------------------------------------------------------------

    def read(self) -> UNetConfig:
        """The config the widgets show; ConfigError naming the field if they do not make one."""
        fields = self._global_fields()
        fields.update(self.stages.model.fields(str(fields["upsampling"]), str(fields["block"])))
        return UNetConfig(**fields)

    def _global_fields(self) -> dict[str, Any]:
        dims = self.dims.checkedId()
        fields: dict[str, Any] = {
            "name": self.name.text().strip(),
            "dims": dims,
            "input_size": tuple(spin.value() for spin in self.size_spins[3 - dims :]),
        }
        fields.update({field: spin.value() for field, spin in self.spins.items()})
        fields["stem_channels"] = fields["stem_channels"] or None
        fields.update({field: box.value() for field, box in self.floats.items()})
        fields.update({field: check.isChecked() for field, check in self.checks.items()})
        for field, combo in self.combos.items():
            if field == "deep_supervision":
                fields[field] = combo.currentData()
            else:
                fields[field] = choice_value(field, combo.currentText())
        return fields

    def _on_dims(self, dims: int) -> None:
        # 2D→3D copies H into the new depth axis D; 3D→2D keeps H×W.
        if dims == 3:
            self.size_spins[0].setValue(self.size_spins[1].value())
        self._show_axes(dims)
        self._on_edit()

    def _on_edit(self, _field: str | None = None) -> None:
        if self._writing:
            return
        depth, dims = self.spins["depth"].value(), self.dims.checkedId()
        if (depth, dims) != self._shape:  # per-stage lists follow the new shape before they are read
            self.stages.model.follow_shape(depth, dims != self._shape[1])
            self._shape = (depth, dims)
            self._fill_deep_supervision(depth)
        self._show_applicable()
        try:
            cfg = self.read()
        except ConfigError as exc:
            self._read_error = exc
            self._show_error()
            self.invalid.emit(exc)
            return
        self._read_error = None
        if _field != "name":  # a name the user typed is theirs, even a preset's
            cfg = self._marked_edited(cfg)
        self.stages.model.set_plan(cfg)
        self._show_error()
        self._emitted = cfg
        self.edited.emit(cfg, "")

    def _marked_edited(self, cfg: UNetConfig) -> UNetConfig:
        marked = self.preset.edited_name(cfg)
        if marked != cfg.name:
            self.name.setText(marked)  # no textEdited: the form shows what it sends
        return cfg if marked == cfg.name else cfg.replace(name=marked)

    def _apply_preset(self, verb: str) -> None:
        name = self.preset.preset()
        cfg = load_preset(name)
        self.set_config(cfg)  # shown even when the document has it already (nothing else would clear a bad cell)
        self.edited.emit(cfg, f"{verb} {name}")

    # --- marking -------------------------------------------------------------------------------------

    def mark_analysis_error(self, error: ConfigError | None) -> None:
        """An error the analysis found in a config that is valid field by field (e.g. the input collapses)."""
        self._analysis_error = error
        self._show_error()

    def current_error(self) -> ConfigError | None:
        return self._read_error or self._analysis_error

    def field_label(self, field: str) -> str:
        """The field as the form names it: "Depth", "Input size", "the stage table's Widths"."""
        if field in ("input_size", "dims"):
            return "Input size" if field == "input_size" else "Input (2D/3D)"
        if field == "name":
            return "Name"
        if field in STAGE_FIELD_NAMES:
            return f"the Stages table's {field.replace('_', ' ')}"
        label = self.labels.get(field)
        return label.text() if label is not None and label.text() else field.replace("_", " ").capitalize()

    def widget_for(self, field: str) -> list[QWidget]:
        if field == "input_size":
            return list(self.size_spins)
        if field == "name":
            return [self.name]
        if field == "dims":
            return [b for b in self.dims.buttons()]
        if field in STAGE_FIELD_NAMES:
            return [self.stages.view]
        found = self.spins.get(field) or self.floats.get(field) or self.combos.get(field) or self.checks.get(field)
        return [found] if found is not None else []

    def _show_error(self) -> None:
        error = self.current_error()
        marked = set(self.widget_for(error.field)) if error is not None else set()
        self.stages.model.mark_error(error)
        for field in ("input_size", "name", "dims", *self.spins, *self.floats, *self.combos, *self.checks):
            for widget in self.widget_for(field):
                bad = widget in marked
                set_invalid(widget, bad)
                widget.setToolTip(tooltip(app_message(str(error))) if bad else str(widget.property("help") or ""))
        self.error_label.setText(app_message(str(error)) if error is not None else "")
        self.error_label.setVisible(error is not None)


def _deep_supervision_index(combo: QComboBox, value: bool | int) -> int:
    # True == 1 in Python: compare types too, so "every level" and "1 head" stay apart.
    for index in range(combo.count()):
        data = combo.itemData(index)
        if data == value and isinstance(data, bool) == isinstance(value, bool):
            return index
    return 0


def _narrow(widget: QWidget) -> None:
    """Narrow by default (a spin box up to 2^20 asks for room for seven digits): two fields share a row."""
    widget.setMinimumWidth(48)
    policy = widget.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    widget.setSizePolicy(policy)


def _help(widget: QWidget, text: str) -> None:
    """The widget's own tooltip, kept so it can come back after an error message replaced it."""
    widget.setProperty("help", text)
    widget.setToolTip(text)
