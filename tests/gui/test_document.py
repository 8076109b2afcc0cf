"""Undo/redo of config changes, the unsaved-changes flag and the prompt on close."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_preset
from unetviz.gui.document import ConfigDocument
from unetviz.gui.main_window import MainWindow

from .conftest import MakeWindow, wait_update


def test_undo_redo_walks_config_snapshots(qtbot: QtBot) -> None:
    start = load_preset("small")
    document = ConfigDocument(start)
    seen: list[object] = []
    document.changed.connect(seen.append)
    document.edit(start.replace(depth=2, widths=None))
    document.edit(document.config.replace(depth=1))  # same field: merges with the step before
    document.edit(document.config.replace(kernel_size=5))
    assert document.undo_stack.count() == 2 and document.dirty
    document.undo_stack.undo()
    assert document.config == start.replace(depth=1)
    document.undo_stack.undo()
    assert document.config == start and not document.dirty
    document.undo_stack.redo()
    document.undo_stack.redo()
    assert document.config == start.replace(depth=1, kernel_size=5)
    assert seen[-1] == document.config and len(seen) == 7


def test_edit_back_to_start_leaves_no_step(qtbot: QtBot) -> None:
    start = load_preset("small")
    document = ConfigDocument(start)
    document.edit(start.replace(depth=2))
    document.edit(start)
    assert document.undo_stack.count() == 0 and not document.dirty


def test_undo_action_updates_form_and_views(qtbot: QtBot, window: MainWindow) -> None:
    window.form.spins["depth"].setValue(2)
    window.form.combos["norm"].setCurrentText("instance")
    wait_update(qtbot, window)
    assert window.isWindowModified()
    window.commands.undo.trigger()
    assert window.document.config.norm == "batch" and window.form.combos["norm"].currentText() == "batch"
    window.commands.undo.trigger()
    assert window.form.spins["depth"].value() == 3 and not window.isWindowModified()
    wait_update(qtbot, window)
    assert window.analysis is not None and window.analysis.config == load_preset("small")
    window.commands.redo.trigger()
    assert window.form.spins["depth"].value() == 2
    assert window.commands.undo.shortcut().toString() == "Ctrl+Z"
    assert window.commands.redo.shortcut().toString() == "Ctrl+Y"


@pytest.mark.parametrize(
    ("answer", "closes", "saved"),
    [
        (QMessageBox.StandardButton.Cancel, False, False),
        (QMessageBox.StandardButton.Discard, True, False),
        (QMessageBox.StandardButton.Save, True, True),
    ],
)
def test_unsaved_changes_prompt_on_close(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    answer: QMessageBox.StandardButton,
    closes: bool,
    saved: bool,
) -> None:
    window = make_window()
    window.files.save_to(tmp_path / "a.json")
    window.form.spins["depth"].setValue(2)
    asked: list[bool] = []

    def ask() -> QMessageBox.StandardButton:
        asked.append(True)
        return answer

    window.ask_to_save = ask  # type: ignore[method-assign]
    assert window.close() is closes
    assert asked == [True]
    assert ('"depth": 2' in (tmp_path / "a.json").read_text()) is saved
