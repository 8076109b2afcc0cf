"""The stage table: one row per level 0…depth, one column per per-stage field, each cell its effective value.

It is one of the config form's widgets: the form writes a config into it and reads the per-stage fields back
(`fields`); a typed cell, a fill or a reset only changes what the table shows and emits `edited`, and the form
turns that into a new config. Defaulted cells are grey and italic; text that does not parse stays in its cell,
marked, with the ConfigError as its tooltip.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError
from unetviz.core.plan import StagePlan
from unetviz.gui.marks import invalid_colours
from unetviz.gui.stage_values import (
    COLUMN,
    COLUMNS,
    NOT_APPLICABLE,
    StageColumn,
    applies,
    effective,
    entry_text,
    explicit,
    fit_stages,
    parse_entry,
    stage_fields,
    with_entries,
)
from unetviz.gui.text import tooltip
from unetviz.gui.theme import current_theme

Index = QModelIndex | QPersistentModelIndex
DEFAULT_BRUSH = QBrush(QColor("#707070"))  # a default's grey italic, light theme
DEFAULT_DARK_BRUSH = QBrush(QColor("#a8a8a8"))  # the same on a dark palette (contrast ≥ 4.5 on #2b2b2b)
# Only fields that may be null have a default to go back to (kernel_size and convs_per_block are always set).
RESETTABLE = {"widths", "strides", "encoder_first_widths", "decoder_convs_per_block", "up_kernel_size",
              "up_widths", "decoder_kernel_size", "decoder_widths"}  # fmt: skip


class StageTableModel(QAbstractTableModel):
    edited = Signal()  # the per-stage fields changed; the form reads them

    def __init__(self, cfg: UNetConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: StagePlan = cfg.plan  # the last valid config's: effective values of defaulted cells
        self._fields: dict[str, Any] = stage_fields(cfg)
        self._depth = cfg.depth
        self._bad: dict[tuple[int, str], tuple[str, ConfigError]] = {}
        self._error: ConfigError | None = None  # a config error naming one of the table's fields
        self._last_cell: tuple[int, str] | None = None

    # --- the form's side -----------------------------------------------------------------------------

    def set_config(self, cfg: UNetConfig) -> None:
        """Show `cfg`'s per-stage fields; forgets unparsed text."""
        self.beginResetModel()
        self._plan, self._fields, self._depth = cfg.plan, stage_fields(cfg), cfg.depth
        self._bad.clear()
        self.endResetModel()

    def set_plan(self, cfg: UNetConfig) -> None:
        """The form read a valid config: defaults, headers and what applies follow it."""
        if self._plan == cfg.plan:
            return  # the same network: the cells already show it (the form sets the plan it just read)
        self._plan = cfg.plan
        self._emit_all()

    def follow_shape(self, depth: int, dims_changed: bool) -> None:
        """depth or dims changed: per-stage lists are cut, extended or reduced to their in-plane values."""
        self.beginResetModel()
        self._fields = fit_stages(self._fields, self._depth, depth, dims_changed)
        self._depth = depth
        self._bad = {cell: bad for cell, bad in self._bad.items() if cell[0] <= depth}
        self.endResetModel()

    def fields(self, upsampling: str, block: str) -> dict[str, Any]:
        """The per-stage fields shown; fields that do not apply read as null but keep their values here."""
        if self._bad:
            raise next(iter(self._bad.values()))[1]
        out = dict(self._fields)
        if upsampling != "transpose":
            out["up_kernel_size"] = out["up_widths"] = None
        if block != "plain":
            out["encoder_first_widths"] = None
        return out

    def mark_error(self, error: ConfigError | None) -> None:
        """Mark the cells of the field `error` names: the last edited cell if it is of that field, else the column."""
        error = error if error is not None and any(c.field == error.field for c in COLUMNS) else None
        if error is None and self._error is None:
            return  # nothing was marked, nothing is: no repaint (every edit clears the marks)
        self._error = error
        self._emit_all()

    def marked(self, row: int, key: str) -> ConfigError | None:
        if (row, key) in self._bad:
            return self._bad[(row, key)][1]
        error = self._error
        if error is None or COLUMN[key].field != error.field:
            return None
        last = self._last_cell
        if last is not None and COLUMN[last[1]].field == error.field and last[0] != row:
            return None
        return error

    # --- fills ---------------------------------------------------------------------------------------

    def fill_column(self, row: int, key: str) -> bool:
        """Every level of the column takes this cell's value."""
        column = COLUMN[key]
        if not self._editable(row, column) or (row, key) in self._bad:
            return False
        value = self._entry(row, column)
        rows = range(column.offset, self._depth if column.decoder else self._depth + 1)
        return self._set_entries(column, dict.fromkeys(rows, value), row)

    def copy_row(self, row: int) -> bool:
        """Every level takes this level's values, column by column, where the field is given: a defaulted one
        stays defaulted (its values follow other fields, e.g. the up-conv kernel follows each level's stride)."""
        changed = False
        for column in COLUMNS:
            given = self._fields[column.field] is not None
            if given and self._editable(row, column) and (row, column.key) not in self._bad:
                value = self._entry(row, column)
                rows = range(column.offset, self._depth if column.decoder else self._depth + 1)
                changed |= self._set_entries(column, dict.fromkeys(rows, value), row, emit=False)
        if changed:
            self.edited.emit()
        return changed

    def reset_column(self, key: str) -> bool:
        """Back to the default (null): the column follows the other fields again."""
        column = COLUMN[key]
        if column.field not in RESETTABLE:
            return False
        self._bad = {cell: bad for cell, bad in self._bad.items() if cell[1] != key}
        self._fields[column.field] = None
        self._emit_all()
        self.edited.emit()
        return True

    # --- Qt's model interface ------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._depth + 1

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            column = COLUMNS[section]
            if role == Qt.ItemDataRole.DisplayRole:
                residual = self._plan.config.block == "residual"
                return "enc\nBlocks" if column.key == "convs" and residual else column.header
            if role == Qt.ItemDataRole.ToolTipRole:
                return column.tip
        if orientation == Qt.Orientation.Vertical and 0 <= section <= self._depth:
            if role == Qt.ItemDataRole.DisplayRole:
                return str(section)
            if role == Qt.ItemDataRole.ToolTipRole:
                return "the bottleneck" if section == self._depth else f"level {section}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._editable(index.row(), COLUMNS[index.column()]):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() <= self._depth:
            return None
        row, column = index.row(), COLUMNS[index.column()]
        bad = self._bad.get((row, column.key))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if bad is not None:
                return bad[0]
            if not self._editable(row, column):
                return NOT_APPLICABLE if role == Qt.ItemDataRole.DisplayRole else ""
            return entry_text(self._entry(row, column))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        error = self.marked(row, column.key)
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole) and error is not None:
            return QBrush(invalid_colours()[role == Qt.ItemDataRole.ForegroundRole])  # readable light or dark
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(str(error)) if error is not None else column.tip
        defaulted = bad is None and self._fields[column.field] is None
        if role == Qt.ItemDataRole.ForegroundRole and (defaulted or not self._editable(row, column)):
            return DEFAULT_DARK_BRUSH if current_theme() == "dark" else DEFAULT_BRUSH
        if role == Qt.ItemDataRole.FontRole and defaulted:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, column = index.row(), COLUMNS[index.column()]
        if not self._editable(row, column):
            return False
        text = str(value)
        try:
            entry = parse_entry(column, text)
        except ConfigError as exc:
            self._bad[(row, column.key)] = (text, exc)
            self._last_cell = (row, column.key)
            self.dataChanged.emit(index, index)
            self.edited.emit()
            return True
        self._bad.pop((row, column.key), None)
        self._set_entries(column, {row: entry}, row)
        return True

    # --- inside --------------------------------------------------------------------------------------

    def _editable(self, row: int, column: StageColumn) -> bool:
        return row <= self._depth and applies(column, row, self._plan.config, self._depth)

    def _entry(self, row: int, column: StageColumn) -> Any:
        value = self._fields[column.field]
        if explicit(column, row, value):
            entry = value[row - column.offset]
            return entry[0] if isinstance(entry, tuple) and len(set(entry)) == 1 else entry
        if isinstance(value, int):
            return value
        last = self._plan.config.depth - (1 if column.decoder else 0)
        return effective(column, min(row, last), self._plan)

    def _set_entries(self, column: StageColumn, entries: dict[int, Any], row: int, emit: bool = True) -> bool:
        fields = with_entries(self._fields, self._plan, column, entries, self._depth)
        self._last_cell = (row, column.key)
        if fields == self._fields:
            self._emit_all()  # a bad cell may have been cleared
            return False
        self._fields = fields
        self._emit_all()
        if emit:
            self.edited.emit()
        return True

    def _emit_all(self) -> None:
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)


class StageTable(QWidget):
    """The view: every row visible (no vertical scroll), a context menu and buttons to fill or reset."""

    def __init__(self, cfg: UNetConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = StageTableModel(cfg, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        font = self.view.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)  # ten columns fit the config dock's width
        self.view.setFont(font)
        self.view.horizontalHeader().setFont(font)
        self.view.verticalHeader().setDefaultSectionSize(20)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # Sized by `_fit` from the texts (Qt's ResizeToContents asks every cell again on every change)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.horizontalHeader().setMinimumSectionSize(28)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        # Fitting asks both headers for their size hints (a few ms each): many changes in one turn of the event
        # loop (a preset load, a mark) fit once, on the next turn.
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit)
        self.model.modelReset.connect(self._fit_timer.start)
        self.model.dataChanged.connect(lambda *_args: self._fit_timer.start())
        self.fill_button = _button("Fill column", "every level of the selected cell's column takes its value")
        self.copy_button = _button("Copy row", "every level takes the selected level's values")
        self.reset_button = _button("Default", "the selected cell's column back to its default (it follows the others)")
        self.fill_button.clicked.connect(lambda: self._on_current(self.model.fill_column))
        self.copy_button.clicked.connect(lambda: self._on_current(lambda row, _key: self.model.copy_row(row)))
        self.reset_button.clicked.connect(lambda: self._on_current(lambda _row, key: self.model.reset_column(key)))
        buttons = QHBoxLayout()
        for button in (self.fill_button, self.copy_button, self.reset_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        self._fit()

    def cell(self, row: int, key: str) -> QModelIndex:
        return self.model.index(row, [c.key for c in COLUMNS].index(key))

    def _fit(self) -> None:
        view = self.view
        metrics = view.fontMetrics()
        header = view.horizontalHeader()
        head_metrics = header.fontMetrics()
        for column in range(self.model.columnCount()):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal) or "")
            texts = [str(self.model.index(row, column).data() or "") for row in range(self.model.rowCount())]
            width = max([metrics.horizontalAdvance(text) + 12 for text in texts]
                        + [head_metrics.horizontalAdvance(line) + 10 for line in title.split("\n")])  # fmt: skip
            header.resizeSection(column, max(width, header.minimumSectionSize()))
        height = view.horizontalHeader().sizeHint().height() + 2 * view.frameWidth()
        height += view.verticalHeader().defaultSectionSize() * self.model.rowCount()
        view.setFixedHeight(height)
        # As wide as its columns: the config dock grows to show them all, never a sideways scroll bar.
        width = view.horizontalHeader().length() + view.verticalHeader().width() + 2 * view.frameWidth()
        view.setMinimumWidth(width)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_timer.start()

    def _on_current(self, action: Any) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            action(index.row(), COLUMNS[index.column()].key)

    def _menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        row, column = index.row(), COLUMNS[index.column()]
        menu = QMenu(self)
        text = str(index.data())
        fill = menu.addAction(f"Fill column with {text}", lambda: self.model.fill_column(row, column.key))
        fill.setEnabled(bool(index.flags() & Qt.ItemFlag.ItemIsEditable))
        menu.addAction(f"Copy level {row} to all levels", lambda: self.model.copy_row(row))
        reset = menu.addAction(f"{column.header}: back to default", lambda: self.model.reset_column(column.key))
        reset.setEnabled(column.field in RESETTABLE)
        menu.popup(self.view.viewport().mapToGlobal(pos))


def _button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    return button
