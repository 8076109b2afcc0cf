"""The layers table: one row per analysis layer, sortable and filterable; rows with a warning are marked.

Time and memory columns appear once a CUDA trace has timed each layer (TraceResult.layer_ms).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QStyle, QTableView, QVBoxLayout, QWidget

from unetviz.core.analysis import Analysis
from unetviz.core.inspection import Inspection
from unetviz.core.shapes import BYTES_PER_VALUE, Layer
from unetviz.gui.text import plain_label
from unetviz.report.tables import human, shape_text

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole
BASE_COLUMNS = ("#", "Layer", "Type", "Input", "Output", "Formula", "Params", "Mult-adds")
TRACE_COLUMNS = ("Time (ms)", "Output memory")
NUMERIC = {"#", "Params", "Mult-adds", *TRACE_COLUMNS}
WARNING_BRUSH = QBrush(QColor("#fff4d6"))
MISMATCH_BRUSH = QBrush(QColor("#fde2e2"))
RESIZE_SAMPLE_ROWS = 200
FIT_SAMPLE = 8  # the longest texts of a column measured to fit it (proportional fonts: not only the one longest)
LAYER_ATTRIBUTE = {"Layer": "name", "Type": "type", "Formula": "formula", "Params": "params", "Mult-adds": "mult_adds"}


class LayerTableModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._analysis: Analysis | Inspection | None = None
        self._layers: tuple[Layer, ...] = ()
        self._rows: dict[str, int] = {}  # layer name -> row: selecting n layers is O(n), not O(n·rows)
        self._warnings: dict[str, list[str]] = {}
        self._mismatched: set[str] = set()
        self._layer_ms: dict[str, float] = {}
        self._columns: tuple[str, ...] = BASE_COLUMNS

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def set_analysis(self, analysis: Analysis | Inspection) -> None:
        self.beginResetModel()
        self._analysis = analysis
        self._layers = analysis.layers
        self._rows = {layer.name: row for row, layer in enumerate(self._layers)}
        self._search: list[str] | None = None  # each row's cells as one lower-case string, made on first filter
        self._warnings = {}
        for warning in analysis.warnings:
            if warning.layer is not None:
                self._warnings.setdefault(warning.layer, []).append(warning.message)
        trace = analysis.trace
        self._mismatched = {m.layer for m in trace.mismatches} if trace is not None else set()
        self._layer_ms = dict(trace.layer_ms) if trace is not None else {}
        self._search = None
        self._columns = BASE_COLUMNS + (TRACE_COLUMNS if self._layer_ms else ())
        self.endResetModel()

    def column_name(self, column: int) -> str:
        return self._columns[column]

    def text_at(self, row: int, column: int) -> str:
        """The text a cell shows (DisplayRole), without a QModelIndex."""
        return self._text(row, self._layers[row], self._columns[column])

    def search_text(self, row: int) -> str:
        if self._search is None:
            columns = BASE_COLUMNS
            self._search = [
                "\t".join(self._text(r, layer, c) for c in columns).lower() for r, layer in enumerate(self._layers)
            ]
        return self._search[row]

    def layer_at(self, row: int) -> Layer:
        return self._layers[row]

    def row_of(self, layer_name: str) -> int | None:
        return self._rows.get(layer_name)

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
            notes = self.notes_of(layer.name)
            return "\n".join(notes) if notes else layer.formula
        if role == Qt.ItemDataRole.DecorationRole and column == "Layer" and self._is_marked(layer.name):
            from PySide6.QtWidgets import QApplication

            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return None

    def _is_marked(self, name: str) -> bool:
        return name in self._warnings or name in self._mismatched

    def notes_of(self, name: str) -> list[str]:
        """The warnings on this layer, and a trace's disagreement: what its row's tooltip says."""
        notes = list(self._warnings.get(name, []))
        if name in self._mismatched:
            notes.append("the traced model's output shape differs from the formula")
        return notes

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
        # Only the column asked for: the filter reads every cell of every row on each keystroke.
        if column == "#":
            return row + 1
        if column in ("Input", "Output"):
            return shape_text(layer.in_shape if column == "Input" else layer.out_shape)
        if column == "Time (ms)":
            return self._layer_ms.get(layer.name)
        if column == "Output memory":
            return BYTES_PER_VALUE * math.prod(layer.out_shape)
        return getattr(layer, LAYER_ATTRIBUTE[column])


class LayerFilter(QSortFilterProxyModel):
    """Case-insensitive substring filter over every cell, one string per row (Qt's asks for each cell)."""

    def __init__(self, model: LayerTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layers = model
        self._needle = ""
        self.setSourceModel(model)

    def set_needle(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        return not self._needle or self._needle in self._layers.search_text(source_row)


class LayerTable(QWidget):
    """Filter box over a sortable view of LayerTableModel; tells which layers the user selected, and which the
    filter found. Ctrl+C copies the selected rows as tab-separated text."""

    layers_selected = Signal(list)  # layer names, in execution order
    layers_found = Signal(list)  # the layers a non-empty filter matches, in execution order

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LayerTableModel(self)
        self.proxy = LayerFilter(self.model, self)
        self.proxy.setSortRole(SORT_ROLE)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter layers: name, type, shape, formula…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        # A filter that matches nothing says so, also when the model changed under it.
        self.empty_note = plain_label()
        self.empty_note.setStyleSheet("color: #975a16; padding: 2px;")
        self.empty_note.hide()
        for signal in (self.proxy.modelReset, self.proxy.layoutChanged, self.proxy.rowsInserted,
                       self.proxy.rowsRemoved, self.filter.textChanged):  # fmt: skip
            signal.connect(self._update_empty_note)
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
        # Sizing to contents reads a sample of rows, not all of a 1,000-layer model's.
        self.view.horizontalHeader().setResizeContentsPrecision(RESIZE_SAMPLE_ROWS)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.view.installEventFilter(self)  # Ctrl+C: the selected rows, not Qt's one current cell
        self._quiet = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.empty_note)
        layout.addWidget(self.view)

    def set_analysis(self, analysis: Analysis | Inspection) -> None:
        """Show a config's analysis, or an inspected model's layers (read-only either way)."""
        kept = self.selected_layers()
        self._quiet = True
        try:
            self.model.set_analysis(analysis)
            self.select_layers(kept, scroll=False)
        finally:
            self._quiet = False
        # After every change: a bigger input or width makes longer shapes and counts (1 × 572×572×572).
        self.fit_columns()

    def fit_columns(self) -> None:
        """Each column as wide as its widest text. Measured from the few longest strings of each column, not by
        Qt's sizing, which asks the model for every cell's size hint (40–70 ms for a 100–230-layer model on the
        GUI thread; this takes a few)."""
        model, view = self.model, self.view
        metrics = view.fontMetrics()
        header = view.horizontalHeader()
        pad = 10  # the cell's margins and focus frame, a little more than Qt's own sizing adds
        marked = any(model.has_warning(row) for row in range(model.rowCount()))
        for column in range(model.columnCount()):
            if header.sectionResizeMode(column) == QHeaderView.ResizeMode.Stretch:
                continue
            texts = [model.text_at(row, column) for row in range(model.rowCount())]
            longest = sorted(texts, key=len)[-FIT_SAMPLE:]
            title = str(model.headerData(column, Qt.Orientation.Horizontal))
            icon = view.iconSize().width() + 4 if marked and model.column_name(column) == "Layer" else 0
            cells = max((metrics.horizontalAdvance(text) for text in longest), default=0) + pad + icon
            header.resizeSection(
                column, max(cells, header.fontMetrics().horizontalAdvance(title) + 30)
            )  # room for the sort arrow

    def set_stale(self, stale: bool) -> None:
        self.view.setEnabled(not stale)

    def focus_filter(self) -> None:
        """Edit → Find (Ctrl+F): type into the filter; what it matches is found in the diagram too."""
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()
        if self.filter.text():
            self.layers_found.emit(self.found_layers())

    def found_layers(self) -> list[str]:
        """The layers the filter shows, in execution order."""
        rows = sorted(self.proxy.mapToSource(self.proxy.index(r, 0)).row() for r in range(self.proxy.rowCount()))
        return [self.model.layer_at(r).name for r in rows]

    def selected_text(self) -> str:
        """The selected rows as the view orders them, tab-separated under a header line ("" with none)."""
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        if not rows:
            return ""
        columns = range(self.proxy.columnCount())
        lines = ["\t".join(str(self.proxy.headerData(c, Qt.Orientation.Horizontal)) for c in columns)]
        lines += ["\t".join(str(self.proxy.index(r, c).data()) for c in columns) for r in rows]
        return "\n".join(lines) + "\n"

    def copy_selection(self) -> bool:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)
        return bool(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.matches(QKeySequence.StandardKey.Copy):
                self.copy_selection()
                return True
        return super().eventFilter(watched, event)

    def selected_layers(self) -> list[str]:
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.layer_at(r).name for r in rows if 0 <= r < self.model.rowCount()]

    def select_layers(self, names: list[str], scroll: bool = True) -> None:
        """Select these layers' rows (programmatically: no layers_selected signal)."""
        shown = set()
        for name in names:
            row = self.model.row_of(name)
            index = self.proxy.mapFromSource(self.model.index(row, 0)) if row is not None else QModelIndex()
            if index.isValid():
                shown.add(index.row())
        selection = QItemSelection()
        for first, last in _runs(sorted(shown)):  # one range per run of rows, not one per row
            selection.select(self.proxy.index(first, 0), self.proxy.index(last, 0))
        quiet, self._quiet = self._quiet, True
        try:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.view.selectionModel().select(selection, flags)
            if scroll and not selection.isEmpty():
                self.view.scrollTo(selection.indexes()[0])
        finally:
            self._quiet = quiet

    def _apply_filter(self, text: str) -> None:
        """Filter with the selection lifted off and put back once: a filter removes rows block by block, and
        each block was a selectionChanged that re-read the whole selection (O(rows²): seconds on 1,000 layers)."""
        kept = self.selected_layers()
        quiet, self._quiet = self._quiet, True
        try:
            self.view.selectionModel().clearSelection()
            self.proxy.set_needle(text)
            self.select_layers(kept, scroll=False)
        finally:
            self._quiet = quiet
        if (now := self.selected_layers()) != kept:
            self.layers_selected.emit(now)
        if text and self.proxy.rowCount():
            self.layers_found.emit(self.found_layers())

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if not self._quiet:
            self.layers_selected.emit(self.selected_layers())

    def _update_empty_note(self) -> None:
        text = self.filter.text()
        empty = bool(text) and self.proxy.rowCount() == 0 and self.model.rowCount() > 0
        if empty:
            self.empty_note.setText(
                f"no layer matches “{text}” in this model ({self.model.rowCount()} layers); clear the filter to see all"
            )
        self.empty_note.setVisible(empty)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
