"""The compare window as a window to work in: menus and toolbar (report export, zoom, views, swap), the differing
nodes framed in both diagrams, B greyed while invalid, and its size taken from the main window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from unetviz.core.config import UNetConfig, load_preset
from unetviz.gui import compare_window as compare_module
from unetviz.gui.compare_window import CompareWindow
from unetviz.gui.main_window import MainWindow

from .conftest import MakeCompare, set_cell

TIMEOUT_MS = 15_000


def menu(window: CompareWindow, title: str) -> QMenu:
    found = next(action.menu() for action in window.menuBar().actions() if action.text() == title)
    assert isinstance(found, QMenu)
    return found


def test_menus_and_toolbar_hold_the_commands(make_compare: MakeCompare) -> None:
    small = load_preset("small")
    window = make_compare(small, small.replace(depth=2))
    c = window.commands
    assert menu(window, "&File").actions()[:2] == [c.export_html, c.export_markdown]
    assert {c.zoom_in, c.zoom_out, c.fit, c.actual_size} <= set(menu(window, "&View").actions())
    assert c.swap in menu(window, "&Compare").actions()
    assert {c.swap, c.export_html, c.export_markdown, c.zoom_in, c.zoom_out, c.fit} <= set(c.toolbar.actions())
    assert c.zoom_in.shortcut().toString() == "Ctrl+=" and c.swap.shortcut().toString() == "Ctrl+Shift+X"
    before = window.views[0].zoom()
    c.zoom_in.trigger()
    assert window.views[0].zoom() > before and window.views[1].zoom() == pytest.approx(window.views[0].zoom())


def test_view_actions_and_the_combo_box_agree(qtbot: QtBot, make_compare: MakeCompare) -> None:
    small = load_preset("small")
    window = make_compare(small, small.replace(depth=2))
    with qtbot.waitSignal(window.compared, timeout=TIMEOUT_MS):
        window.commands.view_actions["blocks"].trigger()
    assert window.view_name == "blocks" and window.commands.view_choice.currentData() == "blocks"
    assert all(view.diagram is not None and view.diagram.view == "blocks" for view in window.views)


def test_swap_swaps_a_and_b(qtbot: QtBot, make_compare: MakeCompare) -> None:
    small = load_preset("small")
    deeper = small.replace(depth=2, name="deeper")
    window = make_compare(small, deeper)
    told: list[UNetConfig] = []
    window.a_replaced.connect(told.append)
    with qtbot.waitSignal(window.compared, timeout=TIMEOUT_MS):
        window.commands.swap.trigger()
    assert window.config_a == deeper and window.config_b == small and window.form.read() == small
    assert told == [deeper]
    assert [caption.text() for caption in window.captions] == ["deeper", "small"]


def test_swap_in_the_app_makes_b_the_main_windows_config(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1100, 700)
    compare = window.open_compare()
    assert compare.size() == window.size()  # opens as large as the main window
    with qtbot.waitSignal(compare.compared, timeout=TIMEOUT_MS):
        pass
    compare.set_b(compare.config_b.replace(depth=2))
    with qtbot.waitSignal(compare.compared, timeout=TIMEOUT_MS):
        pass
    a, b = compare.config_a, compare.config_b
    compare.commands.swap.trigger()
    assert window.document.config == b and compare.config_b == a
    window.document.undo_stack.undo()  # one undoable step in the main window
    assert window.document.config == a
    compare.close()


@pytest.mark.parametrize(("fmt", "suffix", "first"), [("html", ".html", "<!DOCTYPE html>"), ("markdown", ".md", "| |")])
def test_export_writes_the_report(
    qtbot: QtBot, make_compare: MakeCompare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, suffix: str,
    first: str,
) -> None:  # fmt: skip
    small = load_preset("small")
    window = make_compare(small, small.replace(depth=2, name="deeper"))
    path = tmp_path / f"report{suffix}"
    monkeypatch.setattr(compare_module.QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(path), ""))
    action = window.commands.export_html if fmt == "html" else window.commands.export_markdown
    with qtbot.waitSignal(window.exported, timeout=TIMEOUT_MS) as written:
        action.trigger()
    assert written.args == [path]
    text = path.read_text(encoding="utf-8")
    assert text.startswith(first) and "small" in text and "deeper" in text
    if fmt == "html":
        assert text.count("<svg") == 2  # both diagrams


def test_differing_nodes_are_marked_in_both_diagrams(qtbot: QtBot, make_compare: MakeCompare) -> None:
    small = load_preset("small")
    window = make_compare(small, small.replace(num_classes=3, name="three classes"))
    assert [marks.nodes for marks in window.marks] == [frozenset({"head"}), frozenset({"head"})]
    for marks, view in zip(window.marks, window.views, strict=True):
        assert len(marks.items) == 1 and marks.items[0].scene() is view.scene()
        assert marks.items[0].rect().contains(view.node_boxes["head"])
    with qtbot.waitSignal(window.compared, timeout=TIMEOUT_MS):
        window.set_view("layers")
    assert [marks.nodes for marks in window.marks] == [frozenset({"head_conv"}), frozenset({"head_conv"})]
    with qtbot.waitSignal(window.compared, timeout=TIMEOUT_MS):
        window.clone_button.click()  # B = A: nothing differs, nothing is framed
    assert all(not marks.nodes and not marks.items for marks in window.marks)
    for view in window.views:  # the old frames left the scenes
        assert not [item for item in view.scene().items() if item.toolTip().startswith("differs")]


def test_b_is_greyed_while_it_is_invalid(qtbot: QtBot, make_compare: MakeCompare) -> None:
    small = load_preset("small")
    window = make_compare(small, small.replace(depth=2, name="deeper"))
    a_item, b_item = window.views[0]._item, window.views[1]._item
    assert a_item is not None and b_item is not None and b_item.opacity() == 1
    set_cell(window.form, 1, "kernel", "4")  # an even kernel: B's field is invalid
    assert window.form.current_error() is not None
    assert b_item.opacity() < 1 and a_item.opacity() == 1 and not window.captions[1].isEnabled()
    with qtbot.waitSignal(window.compared, timeout=TIMEOUT_MS):
        set_cell(window.form, 1, "kernel", "5")
    b_item = window.views[1]._item
    assert b_item is not None and b_item.opacity() == 1 and window.captions[1].isEnabled()
