"""The preset picker: a combo box of the shipped presets grouped by where they come from, under headers
that cannot be chosen (paper, Pytorch-UNet, nnU-Net, MONAI, examples)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QWidget

from unetviz.core.config import PRESET_SOURCES, UNetConfig, load_preset, preset_description, preset_names, preset_source

HEADER_ROLE = Qt.ItemDataRole.UserRole + 1
EDITED = " (edited)"  # an edited preset's name says so until the user names it


class PresetPicker(QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        model = QStandardItemModel(self)
        names = preset_names()
        self._presets: dict[str, UNetConfig | None] = dict.fromkeys(names)  # each loaded when first edited
        sources = {name: preset_source(name) for name in names}
        extra = sorted(set(sources.values()) - set(PRESET_SOURCES))  # a source the app does not know yet
        bold = QFont()
        bold.setBold(True)
        for source in (*PRESET_SOURCES, *extra):
            members = [name for name in names if sources[name] == source]
            if not members:
                continue
            header = QStandardItem(source)
            header.setFlags(Qt.ItemFlag.NoItemFlags)  # neither selectable nor enabled: a caption
            header.setData(True, HEADER_ROLE)
            header.setFont(bold)
            model.appendRow(header)
            for name in members:
                item = QStandardItem(name)
                item.setData(name, Qt.ItemDataRole.UserRole)
                item.setToolTip(preset_description(name))
                model.appendRow(item)
        self.setModel(model)
        self.setCurrentIndex(self.findData(names[0]) if names else -1)

    def groups(self) -> dict[str, list[str]]:
        """Each header's presets, in the order shown."""
        out: dict[str, list[str]] = {}
        current: list[str] = []
        for row in range(self.count()):
            if self.itemData(row, HEADER_ROLE):
                current = out.setdefault(self.itemText(row), [])
            else:
                current.append(self.itemData(row))
        return out

    def preset(self) -> str:
        return str(self.currentData())

    def set_preset(self, name: str) -> None:
        index = self.findData(name)
        if index >= 0:
            self.setCurrentIndex(index)

    def edited_name(self, cfg: UNetConfig) -> str:
        """The name an edit gives `cfg` (see `edited_name`), each preset read once."""
        base = cfg.name.removesuffix(EDITED)
        if base not in self._presets:
            return cfg.name
        preset = self._presets[base]
        if preset is None:
            preset = self._presets[base] = load_preset(base)
        return edited_name(cfg, preset)


def edited_name(cfg: UNetConfig, preset: UNetConfig) -> str:
    """The name `cfg`, a preset or an edit of it, goes by: "ronneberger2015 (edited)" once it differs from that
    preset, and the preset's own name again when the edits bring it back, so the title, the diagram and the export
    names never pass an edited preset off as the paper's. Any other name is the user's and stays."""
    if cfg.name.removesuffix(EDITED) != preset.name:
        return cfg.name
    return preset.name if cfg.replace(name=preset.name) == preset else preset.name + EDITED
