"""Compare mode: two diagrams in step, differing cells marked, the valid/same twin in one click."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from tests.gui.conftest import MakeCompare, MakeWindow
from unetviz.core.config import load_preset
from unetviz.gui.compare_window import DIFFERS_BRUSH, CompareWindow, padding_twin

TIMEOUT_MS = 15_000


def cell(window: CompareWindow, row: int, column: int) -> QTableWidgetItem:
    item = window.table.item(row, column)
    assert item is not None
    return item


def row_of(window: CompareWindow, label: str) -> int:
    return next(r for r in range(window.table.rowCount()) if cell(window, r, 0).text() == label)


def cell_texts(window: CompareWindow, label: str) -> list[str]:
    row = row_of(window, label)
    return [cell(window, row, c).text() for c in range(1, window.table.columnCount())]


def test_twin_button_compares_valid_with_same(qtbot: QtBot, make_compare: MakeCompare) -> None:
    paper = load_preset("ronneberger2015")
    window = make_compare(paper, paper)
    assert cell_texts(window, "output") == ["2 × 388×388", "2 × 388×388"]
    with qtbot.waitSignal(window.compared, timeout=TIMEOUT_MS):
        window.twin_button.click()
    assert window.config_b.padding == "same"
    assert cell_texts(window, "output") == ["2 × 388×388", "2 × 560×560"]  # crop skips at 572: two odd pools
    assert cell_texts(window, "level 0 skip") == ["crop 88+88", "crop 6+6"]
    assert cell_texts(window, "parameters") == ["31,030,658", "31,030,658"]
    texts = [window.differences.item(i).text() for i in range(window.differences.count())]
    assert any("valid convolutions lose 184 pixels per axis" in t for t in texts)
    assert window.form.read().padding == "same"


def test_differing_cells_are_marked_and_equal_ones_not(make_compare: MakeCompare) -> None:
    window = make_compare(load_preset("milesial"), load_preset("milesial-bilinear"))
    assert cell(window, row_of(window, "parameters"), 1).background() == DIFFERS_BRUSH
    assert cell(window, row_of(window, "output"), 1).background() != DIFFERS_BRUSH
    assert [window.captions[0].text(), window.captions[1].text()] == ["milesial", "milesial-bilinear"]


def test_editing_b_in_its_form_recompares(qtbot: QtBot, make_compare: MakeCompare) -> None:
    small = load_preset("small")
    window = make_compare(small, small.replace(name="small B"))
    with qtbot.waitSignal(window.compared, timeout=TIMEOUT_MS):
        window.form.spins["depth"].setValue(2)
    assert window.config_b.depth == 2
    assert cell_texts(window, "level 3 encoder")[1] == "—"


def test_the_two_diagrams_zoom_and_scroll_together(make_compare: MakeCompare) -> None:
    paper = load_preset("ronneberger2015")
    window = make_compare(paper, padding_twin(paper))
    left, right = window.views
    left.zoom_by(3.0)
    assert right.zoom() == pytest.approx(left.zoom())
    left.verticalScrollBar().setValue(left.verticalScrollBar().maximum() // 2)
    assert right.verticalScrollBar().value() == left.verticalScrollBar().value()


def test_bad_b_file_is_a_status_line_and_the_window_lives(make_compare: MakeCompare, tmp_path: Path) -> None:
    window = make_compare(load_preset("small"), load_preset("small"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    window.load_b(bad)
    assert "B not loaded" in window.statusBar().currentMessage()
    assert window.config_b == load_preset("small")


def test_main_window_opens_compare_mode_and_feeds_it_a(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("ronneberger2015"))
    window.commands.compare_padding.trigger()
    compare = window.compare_window
    assert compare is not None
    qtbot.waitUntil(lambda: compare.result is not None, timeout=TIMEOUT_MS)
    assert (compare.config_a.padding, compare.config_b.padding) == ("valid", "same")
    with qtbot.waitSignal(compare.compared, timeout=TIMEOUT_MS):
        window.form.spins["depth"].setValue(3)
    assert compare.config_a.depth == 3
    assert cell_texts(compare, "level 4 encoder")[0] == "—"
