"""The form, the layers table and the summary at work: what is on screen at the default size, the table's copy,
find and fit, an edited preset's name, the app's own words, the file link after a restart, .txt tables."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_config, load_preset
from unetviz.gui.app import open_window
from unetviz.gui.files import TABLE_FILTERS
from unetviz.gui.main_window import MainWindow
from unetviz.gui.settings import AppSettings
from unetviz.gui.text import app_message
from unetviz.report.tables import render_table

from .conftest import MakeWindow, wait_update

EXPORT_TIMEOUT_MS = 20_000
Mode = QAbstractItemModelTester.FailureReportingMode


def inside_viewport(window: MainWindow, widget: QWidget) -> bool:
    """Whether the whole widget is on screen in the config dock's scroll area, without scrolling."""
    viewport = window.form.parentWidget()
    assert viewport is not None
    top_left = widget.mapTo(viewport, QPoint(0, 0))
    bottom_right = widget.mapTo(viewport, QPoint(widget.width() - 1, widget.height() - 1))
    return viewport.rect().contains(top_left) and viewport.rect().contains(bottom_right)


# --- the form and the summary at the default window size -------------------------------------------------


@pytest.mark.parametrize("preset", ["ronneberger2015", "unet3d"])
def test_the_fields_that_shape_the_u_are_on_screen_at_1280x800(
    qtbot: QtBot, make_window: MakeWindow, preset: str
) -> None:
    window = make_window(load_preset(preset))
    form = window.form
    for field in ("padding", "upsampling", "merge", "pooling"):
        assert inside_viewport(window, form.combos[field]), field
    assert inside_viewport(window, form.stages.view)
    for button in (form.stages.fill_button, form.stages.copy_button, form.stages.reset_button, form.reset_button):
        assert inside_viewport(window, button), button.text()  # never clipped on the right
    viewport = form.parentWidget()
    assert viewport is not None and form.width() <= viewport.width()  # no sideways scrolling, 3D form included


def test_summary_stays_readable_at_1066x666(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("ronneberger2015"))
    window.resize(1066, 666)
    qtbot.waitUntil(lambda: window.width() == 1066)
    wait_width = window.summary.fontMetrics().horizontalAdvance("1 × 572×572 → 2 × 388×388")
    assert window.summary.viewport().width() >= wait_width  # the sizes line reads on one line
    assert window.summary.horizontalScrollBar().maximum() == 0


# --- the layers table ---------------------------------------------------------------------------------------


def test_columns_fit_their_text_after_every_change(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("unet3d").replace(input_size=(16, 16, 16), base_width=4))
    QAbstractItemModelTester(window.table.model, Mode.Fatal)
    form, table = window.form, window.table
    for spin in form.size_spins:
        spin.setValue(572)
    form.spins["base_width"].setValue(512)
    wait_update(qtbot, window)
    model, header, metrics = table.model, table.view.horizontalHeader(), table.view.fontMetrics()
    assert model.text_at(0, model.columns.index("Input")) == "1 × 572×572×572"
    for name in ("Input", "Output", "Params", "Mult-adds"):
        column = model.columns.index(name)
        widest = max(metrics.horizontalAdvance(model.text_at(row, column)) for row in range(model.rowCount()))
        assert header.sectionSize(column) >= widest + 4, name  # no "1 × …", no cut counts


def test_ctrl_c_copies_the_selected_rows_with_a_header(qtbot: QtBot, window: MainWindow) -> None:
    table = window.table
    table.select_layers(["enc0.conv1", "enc0.norm1"])
    table.view.setFocus()
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(table.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].split("\t") == list(table.model.columns)
    assert [line.split("\t")[1] for line in lines[1:]] == ["enc0.conv1", "enc0.norm1"]
    assert lines[1].split("\t")[3:5] == ["1 × 128×128", "16 × 128×128"]


def test_a_filter_that_matches_nothing_says_so(qtbot: QtBot, window: MainWindow) -> None:
    window.table.filter.setText("zzz-no-such-layer")
    assert window.table.empty_note.isVisible()
    assert "no layer matches “zzz-no-such-layer”" in window.table.empty_note.text()
    window.table.filter.clear()
    assert not window.table.empty_note.isVisible()


def test_ctrl_f_focuses_the_filter_and_finds_the_nodes(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)  # a shortcut reaches the active window only
    assert window.commands.find.shortcut().matches(Qt.Key.Key_F | Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.table.filter.hasFocus)
    qtbot.keyClicks(window.table.filter, "dec1.up")
    assert window.table.found_layers() == ["dec1.up"]
    assert window.diagram.highlighted == "dec1"  # the node that holds it, as a selected row would


# --- names, words, files ---------------------------------------------------------------------------------


def test_an_edited_preset_says_so_until_named(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("ronneberger2015"))
    window.form.spins["depth"].setValue(3)
    wait_update(qtbot, window)
    assert window.document.config.name == "ronneberger2015 (edited)"
    assert "ronneberger2015 (edited)" in window.windowTitle()
    assert window.diagram.diagram is not None and window.diagram.diagram.graph.title == "ronneberger2015 (edited)"
    assert window.files._shown_name == "ronneberger2015 (edited)"  # the default export file names
    assert window.form.name.text() == "ronneberger2015 (edited)"
    window.form.spins["depth"].setValue(4)  # back to the paper's: the paper's name again
    assert window.document.config == load_preset("ronneberger2015")
    window.form.spins["depth"].setValue(5)
    window.form.name.selectAll()
    qtbot.keyClicks(window.form.name, "deeper")
    assert window.document.config.name == "deeper" and window.document.config.depth == 5
    window.form.spins["depth"].setValue(3)  # a name the user typed is kept
    assert window.document.config.name == "deeper"


def test_a_preset_changed_on_the_command_line_opens_as_edited(qtbot: QtBot, settings: AppSettings) -> None:
    from unetviz.cli import build_parser

    args = build_parser().parse_args(["gui", "--preset", "ronneberger2015", "--set", "depth=3"])
    window = open_window(args, settings, auto_trace=False)
    qtbot.addWidget(window)
    assert window.document.config.name == "ronneberger2015 (edited)" and "(edited)" in window.windowTitle()
    window.worker.shutdown()
    plain = open_window(build_parser().parse_args(["gui", "--preset", "unet3d"]), settings, auto_trace=False)
    qtbot.addWidget(plain)
    assert plain.document.config == load_preset("unet3d")
    plain.worker.shutdown()


def test_messages_speak_the_apps_words(qtbot: QtBot, window: MainWindow) -> None:
    assert app_message("strides: allowed: null (2 on every axis)") == "strides: allowed: default (2 on every axis)"
    assert app_message('name: "null": allowed') == 'name: "null": allowed'  # the user's text is theirs
    traced = app_message("lower input_size or batch_size, or use --device none")
    assert "--" not in traced and "Device meta" in traced
    assert "--set" not in app_message("a plain value (set this field with --set instead)")
    window.show_error("Cannot open x.json", '--configuration: "2d": only with an nnU-Net plans file')
    assert "--" not in window.last_error and "--" not in window.statusBar().currentMessage()
    window.form.spins["depth"].setValue(9)  # the input collapses: the form's message points to the Summary
    wait_update(qtbot, window)
    assert "unetviz sizes" not in window.form.error_label.text() and "Summary" in window.form.error_label.text()


def test_the_file_link_survives_a_restart(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    window = make_window(load_preset("small"))
    target = tmp_path / "mine.json"
    assert window.files.save_to(target)
    window.close()
    args = argparse.Namespace(preset=None, config=None, assignments=[])
    again = open_window(args, AppSettings(), auto_trace=False)
    again.ask_to_save = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    qtbot.addWidget(again)
    assert again.document.path == target.resolve() and "(mine.json)" in again.windowTitle()
    assert not again.document.dirty
    again.form.spins["depth"].setValue(2)
    assert again.files.save()  # Ctrl+S: to the file, no dialog
    assert load_config(target).depth == 2
    again.worker.shutdown()


def test_an_unsaved_config_is_linked_and_unsaved_after_a_restart(
    qtbot: QtBot, settings: AppSettings, tmp_path: Path
) -> None:
    target = tmp_path / "mine.json"
    target.write_text(load_preset("small").replace(name="mine").to_json(), encoding="utf-8")
    settings.set_last_path(target)
    settings.set_last_config(load_preset("small").replace(name="mine", depth=2))
    window = open_window(argparse.Namespace(preset=None, config=None, assignments=[]), settings, auto_trace=False)
    window.ask_to_save = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    qtbot.addWidget(window)
    assert window.document.path == target.resolve() and window.document.dirty
    window.worker.shutdown()


def test_the_table_exports_as_text_as_the_cli_does(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert TABLE_FILTERS["Text table (*.txt)"] == ".txt"
    target = tmp_path / "layers.txt"
    with qtbot.waitSignal(window.worker.exported, timeout=EXPORT_TIMEOUT_MS):
        assert window.files.export_table(target)
    assert window.analysis is not None
    assert target.read_text(encoding="utf-8") == render_table(window.analysis, "table")
