"""The layers table: one row per analysis layer, sortable and filterable; rows with a warning are marked.

Time and memory columns appear once a CUDA trace has timed each layer (TraceResult.layer_ms).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QStyle, QTableView, QVBoxLayout, QWidget

from unetviz.core.analysis import Analysis
from unetviz.core.shapes import BYTES_PER_VALUE, Layer
from unetviz.report.tables import human, shape_text

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole
BASE_COLUMNS = ("#", "Layer", "Type", "Input", "Output", "Formula", "Params", "Mult-adds")
TRACE_COLUMNS = ("Time (ms)", "Output memory")
NUMERIC = {"#", "Params", "Mult-adds", *TRACE_COLUMNS}
WARNING_BRUSH = QBrush(QColor("#fff4d6"))
MISMATCH_BRUSH = QBrush(QColor("#fde2e2"))


class LayerTableModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._analysis: Analysis | None = None
        self._layers: tuple[Layer, ...] = ()
        self._warnings: dict[str, list[str]] = {}
        self._mismatched: set[str] = set()
        self._layer_ms: dict[str, float] = {}
        self._columns: tuple[str, ...] = BASE_COLUMNS

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def set_analysis(self, analysis: Analysis) -> None:
        self.beginResetModel()
        self._analysis = analysis
        self._layers = analysis.layers
        self._warnings = {}
        for warning in analysis.warnings:
            if warning.layer is not None:
                self._warnings.setdefault(warning.layer, []).append(warning.message)
        trace = analysis.trace
        self._mismatched = {m.layer for m in trace.mismatches} if trace is not None else set()
        self._layer_ms = dict(trace.layer_ms) if trace is not None else {}
        self._columns = BASE_COLUMNS + (TRACE_COLUMNS if self._layer_ms else ())
        self.endResetModel()

    def layer_at(self, row: int) -> Layer:
        return self._layers[row]

    def row_of(self, layer_name: str) -> int | None:
        return next((i for i, layer in enumerate(self._layers) if layer.name == layer_name), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._layers)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section] if 0 <= section < len(self._columns) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._layers):
            return None
        layer = self._layers[index.row()]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(index.row(), layer, column)
        if role == SORT_ROLE:
            return self._sort_value(index.row(), layer, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            if layer.name in self._mismatched:
                return MISMATCH_BRUSH
            if layer.name in self._warnings:
                return WARNING_BRUSH
        if role == Qt.ItemDataRole.ToolTipRole:
            notes = list(self._warnings.get(layer.name, []))
            if layer.name in self._mismatched:
                notes.append("the traced model's output shape differs from the formula")
            return "\n".join(notes) if notes else layer.formula
        if role == Qt.ItemDataRole.DecorationRole and column == "Layer" and self._is_marked(layer.name):
            from PySide6.QtWidgets import QApplication

            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return None

    def _is_marked(self, name: str) -> bool:
        return name in self._warnings or name in self._mismatched

    def has_warning(self, row: int) -> bool:
        return self._is_marked(self._layers[row].name)

    def _text(self, row: int, layer: Layer, column: str) -> str:
        value = self._sort_value(row, layer, column)
        if column == "Time (ms)":
            return f"{value:.3f}" if value is not None else ""
        if column == "Output memory":
            return human(float(value), "B")
        if column in ("Params", "Mult-adds"):
            return f"{value:,}"
        return str(value)

    def _sort_value(self, row: int, layer: Layer, column: str) -> Any:
        values: dict[str, Any] = {
            "#": row + 1,
            "Layer": layer.name,
            "Type": layer.type,
            "Input": shape_text(layer.in_shape),
            "Output": shape_text(layer.out_shape),
            "Formula": layer.formula,
            "Params": layer.params,
            "Mult-adds": layer.mult_adds,
        }
        if column in values:
            return values[column]
        if column == "Time (ms)":
            return self._layer_ms.get(layer.name)
        return BYTES_PER_VALUE * math.prod(layer.out_shape)


class LayerTable(QWidget):
    """Filter box over a sortable view of LayerTableModel; tells which layers the user selected."""

    layers_selected = Signal(list)  # layer names, in execution order

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LayerTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter layers: name, type, shape, formula…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The formula takes the spare width: numbers stay next to their headers.
        self.view.horizontalHeader().setSectionResizeMode(BASE_COLUMNS.index("Formula"), QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self._quiet = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.view)

    def set_analysis(self, analysis: Analysis) -> None:
        kept = self.selected_layers()
        before = self.model._analysis
        # Shapes get longer with another dims or preset (1 × 80×160×160 after 1 × 128×128): fit them again.
        first = before is None or (before.config.dims, before.config.name) != (
            analysis.config.dims,
            analysis.config.name,
        )
        self._quiet = True
        try:
            self.model.set_analysis(analysis)
            self.select_layers(kept, scroll=False)
        finally:
            self._quiet = False
        if first or self.model.columnCount() != len(BASE_COLUMNS):
            self.view.resizeColumnsToContents()

    def set_stale(self, stale: bool) -> None:
        self.view.setEnabled(not stale)

    def selected_layers(self) -> list[str]:
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.layer_at(r).name for r in rows if 0 <= r < self.model.rowCount()]

    def select_layers(self, names: list[str], scroll: bool = True) -> None:
        """Select these layers' rows (programmatically: no layers_selected signal)."""
        selection = QItemSelection()
        for name in names:
            row = self.model.row_of(name)
            if row is None:
                continue
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                selection.select(index, index)
        quiet, self._quiet = self._quiet, True
        try:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.view.selectionModel().select(selection, flags)
            if scroll and not selection.isEmpty():
                self.view.scrollTo(selection.indexes()[0])
        finally:
            self._quiet = quiet

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if not self._quiet:
            self.layers_selected.emit(self.selected_layers())
