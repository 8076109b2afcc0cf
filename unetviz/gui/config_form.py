"""The config panel: the one place that reads widgets into a UNetConfig and writes a UNetConfig into widgets.

An edit that does not make a valid config marks its widget with the ConfigError message and emits `invalid`;
the document (and so every view) keeps the last valid config until the widgets are valid again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from unetviz.core.config import (
    MAX_CHANNELS,
    MAX_DEPTH,
    MAX_INPUT_AXIS,
    MERGES,
    NORMS,
    PADDINGS,
    POOLINGS,
    UPSAMPLINGS,
    UNetConfig,
    load_preset,
    preset_description,
    preset_names,
)
from unetviz.core.errors import ConfigError
from unetviz.gui.marks import set_invalid
from unetviz.gui.widths_edit import WidthsEdit

AXES = ("D", "H", "W")

_INTS: dict[str, tuple[str, int, int, str]] = {
    "in_channels": ("Input channels", 1, MAX_CHANNELS, "channels of the input image (1 grey, 3 RGB)"),
    "num_classes": ("Classes", 1, MAX_CHANNELS, "output channels of the 1×1 head"),
    "depth": ("Depth", 1, MAX_DEPTH, "number of poolings; the U has depth + 1 levels"),
    "base_width": ("Base width", 1, MAX_CHANNELS, "channels at level 0; doubled at each level below"),
    # Even sizes are allowed here so that typing one shows why it is not allowed.
    "kernel_size": ("Kernel size", 1, 99, "an odd convolution kernel size"),
    "convs_per_block": ("Convs per block", 1, 16, "convolutions (+ norm + ReLU) in each block"),
    "batch_size": ("Batch size", 1, 1 << 16, "batch of the dummy input; scales mult-adds and memory"),
}
_CHOICES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "padding": ("Padding", PADDINGS, "same keeps the size; valid loses kernel_size − 1 per conv (the 2015 paper)"),
    "norm": ("Normalisation", NORMS, "after each convolution"),
    "pooling": ("Pooling", POOLINGS, "2× down-sampling between levels"),
    "upsampling": ("Up-sampling", UPSAMPLINGS, "transpose: learned 2×2 up-conv; bilinear/nearest halve widths"),
    "merge": ("Skip merge", MERGES, "crop the skip (2015 paper) or pad the up-sampled map (Pytorch-UNet)"),
}


class ConfigForm(QWidget):
    edited = Signal(object, str)  # a valid UNetConfig, and the undo text for it
    invalid = Signal(object)  # the ConfigError of what the widgets show now

    def __init__(self, cfg: UNetConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spins: dict[str, QSpinBox] = {}
        self.combos: dict[str, QComboBox] = {}
        self.size_spins: list[QSpinBox] = []
        self._read_error: ConfigError | None = None
        self._analysis_error: ConfigError | None = None
        self._writing = False
        self._build()
        self.set_config(cfg)

    # --- building ------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        preset_row = QHBoxLayout()
        self.preset = QComboBox()
        for name in preset_names():
            self.preset.addItem(name)
            self.preset.setItemData(self.preset.count() - 1, preset_description(name), Qt.ItemDataRole.ToolTipRole)
        _help(self.preset, "start from a shipped preset (undoable)")
        self.preset.activated.connect(lambda _i: self._apply_preset("Preset"))
        self.reset_button = QPushButton("Reset")
        _help(self.reset_button, "back to the selected preset")
        self.reset_button.clicked.connect(lambda: self._apply_preset("Reset"))
        preset_row.addWidget(self.preset, 1)
        preset_row.addWidget(self.reset_button)
        outer.addLayout(preset_row)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c53030;")
        self.error_label.hide()
        outer.addWidget(self.error_label)  # at the top: seen without scrolling

        model = self._group(outer, "Model")
        self.name = QLineEdit()
        _help(self.name, "shown in the title and the diagram")
        self.name.textEdited.connect(lambda _t: self._on_edit())
        model.addRow("Name", self.name)
        for field in ("in_channels", "num_classes", "depth", "base_width"):
            model.addRow(_INTS[field][0], self._spin(field))
        self.widths = WidthsEdit()
        self.widths.edited.connect(self._on_edit)
        model.addRow("Widths", self.widths)

        data = self._group(outer, "Input")
        dims_row = QHBoxLayout()
        self.dims = QButtonGroup(self)
        for dims in (2, 3):
            button = QRadioButton(f"{dims}D")
            _help(button, f"{dims}D images; switching keeps H×W and copies H into D")
            self.dims.addButton(button, dims)
            dims_row.addWidget(button)
        dims_row.addStretch(1)
        self.dims.idClicked.connect(self._on_dims)
        data.addRow("Dimensions", dims_row)
        size_row = QHBoxLayout()
        self.size_labels: list[QLabel] = []
        for axis in AXES:
            label, spin = QLabel(axis), QSpinBox()
            spin.setRange(1, MAX_INPUT_AXIS)
            _help(spin, f"input size along {axis}")
            spin.valueChanged.connect(lambda _v: self._on_edit())
            self.size_labels.append(label)
            self.size_spins.append(spin)
            size_row.addWidget(label)
            size_row.addWidget(spin, 1)
        data.addRow("Input size", size_row)
        data.addRow(_INTS["batch_size"][0], self._spin("batch_size"))

        blocks = self._group(outer, "Blocks")
        for field in ("kernel_size", "convs_per_block"):
            blocks.addRow(_INTS[field][0], self._spin(field))
        for field in _CHOICES:
            blocks.addRow(_CHOICES[field][0], self._combo(field))

        outer.addStretch(1)

    def _group(self, outer: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addWidget(box)
        return form

    def _spin(self, field: str) -> QSpinBox:
        _label, low, high, tip = _INTS[field]
        spin = QSpinBox()
        spin.setRange(low, high)
        _help(spin, tip)
        if field == "kernel_size":
            spin.setSingleStep(2)
        spin.valueChanged.connect(lambda _v, field=field: self._on_edit(field))
        self.spins[field] = spin
        return spin

    def _combo(self, field: str) -> QComboBox:
        _label, choices, tip = _CHOICES[field]
        combo = QComboBox()
        combo.addItems(list(choices))
        _help(combo, tip)
        combo.currentIndexChanged.connect(lambda _i: self._on_edit())
        self.combos[field] = combo
        return combo

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
        self._show_error()

    def _shows(self, cfg: UNetConfig) -> bool:
        try:
            return self.read() == cfg
        except ConfigError:
            return False

    def _write(self, cfg: UNetConfig) -> None:
        # The preset the config was made from, when its name says so ("ronneberger2015 (same)").
        based_on = [name for name in preset_names() if cfg.name.startswith(name)]
        if based_on:
            self.preset.setCurrentText(max(based_on, key=len))
        self.name.setText(cfg.name)
        for field, spin in self.spins.items():
            spin.setValue(getattr(cfg, field))
        for field, combo in self.combos.items():
            combo.setCurrentText(getattr(cfg, field))
        button = self.dims.button(cfg.dims)
        button.setChecked(True)
        self._show_axes(cfg.dims)
        for spin, size in zip(self.size_spins[3 - cfg.dims :], cfg.input_size, strict=True):
            spin.setValue(size)
        self.widths.set_widths(cfg.widths, cfg.depth, cfg.base_width)

    def _show_axes(self, dims: int) -> None:
        for label, spin in zip(self.size_labels[:1], self.size_spins[:1], strict=True):
            label.setVisible(dims == 3)
            spin.setVisible(dims == 3)

    # --- widgets -> config ---------------------------------------------------------------------------

    def read(self) -> UNetConfig:
        """The config the widgets show; ConfigError naming the field if they do not make one."""
        dims = self.dims.checkedId()
        fields: dict[str, object] = {
            "name": self.name.text().strip(),
            "dims": dims,
            "input_size": tuple(spin.value() for spin in self.size_spins[3 - dims :]),
            "widths": self.widths.widths(),
        }
        fields.update({field: spin.value() for field, spin in self.spins.items()})
        fields.update({field: combo.currentText() for field, combo in self.combos.items()})
        return UNetConfig(**fields)  # type: ignore[arg-type]

    def _on_dims(self, dims: int) -> None:
        # 2D→3D copies H into the new depth axis D; 3D→2D keeps H×W.
        if dims == 3:
            self.size_spins[0].setValue(self.size_spins[1].value())
        self._show_axes(dims)
        self._on_edit()

    def _on_edit(self, field: str | None = None) -> None:
        if self._writing:
            return
        if field in ("depth", "base_width"):
            self.widths.follow_shape(self.spins["depth"].value(), self.spins["base_width"].value())
        try:
            cfg = self.read()
        except ConfigError as exc:
            self._read_error = exc
            self._show_error()
            self.invalid.emit(exc)
            return
        self._read_error = None
        self._show_error()
        self.edited.emit(cfg, "")

    def _apply_preset(self, verb: str) -> None:
        name = self.preset.currentText()
        self.edited.emit(load_preset(name), f"{verb} {name}")

    # --- marking -------------------------------------------------------------------------------------

    def mark_analysis_error(self, error: ConfigError | None) -> None:
        """An error the analysis found in a config that is valid field by field (e.g. the input collapses)."""
        self._analysis_error = error
        self._show_error()

    def current_error(self) -> ConfigError | None:
        return self._read_error or self._analysis_error

    def widget_for(self, field: str) -> list[QWidget]:
        if field == "input_size":
            return list(self.size_spins)
        if field == "widths":
            return [self.widths.line]
        if field == "name":
            return [self.name]
        if field == "dims":
            return [b for b in self.dims.buttons()]
        found: QWidget | None = self.spins.get(field) or self.combos.get(field)
        return [found] if found is not None else []

    def _show_error(self) -> None:
        error = self.current_error()
        marked = set(self.widget_for(error.field)) if error is not None else set()
        for field in ("input_size", "widths", "name", "dims", *self.spins, *self.combos):
            for widget in self.widget_for(field):
                bad = widget in marked
                if widget is self.widths.line:
                    self.widths.set_invalid(bad)
                else:
                    set_invalid(widget, bad)
                widget.setToolTip(str(error) if bad else str(widget.property("help") or ""))
        self.error_label.setText(str(error) if error is not None else "")
        self.error_label.setVisible(error is not None)


def _help(widget: QWidget, text: str) -> None:
    """The widget's own tooltip, kept so it can come back after an error message replaced it."""
    widget.setProperty("help", text)
    widget.setToolTip(text)
