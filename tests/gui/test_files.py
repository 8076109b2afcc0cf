"""Open/save round trip, recent files, exports through the CLI's code, and errors shown once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_config, load_preset
from unetviz.gui.main_window import MainWindow
from unetviz.gui.settings import AppSettings

from .conftest import MakeWindow, wait_update

EXPORT_TIMEOUT_MS = 20_000


def test_save_open_round_trip(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    window = make_window()
    window.form.spins["depth"].setValue(2)
    window.form.combos["merge"].setCurrentText("crop")
    edited = window.document.config
    target = tmp_path / "mine.json"
    assert window.files.save_to(target)
    assert edited.name == "small (edited)"
    edited = edited.replace(name="mine")  # saved under a name: an edited preset takes its file's name
    assert load_config(target) == edited and window.document.config == edited
    assert not window.isWindowModified() and "(mine.json)" in window.windowTitle()
    window.files.new_from_preset("unet3d")
    assert window.document.config == load_preset("unet3d") and window.document.path is None
    wait_update(qtbot, window)
    assert window.files.open_path(target)
    assert window.document.config == edited and window.document.path == target
    assert window.form.spins["depth"].value() == 2 and window.form.combos["merge"].currentText() == "crop"
    wait_update(qtbot, window)
    assert window.analysis is not None and window.analysis.config == edited
    assert window.settings.recent_files()[0] == str(target.resolve())
    assert [a.text() for a in window.commands.recent.actions()] == [str(target.resolve())]


def test_open_bad_file_shows_error_and_keeps_config(window: MainWindow, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"depth": 0}')
    before = window.document.config
    assert not window.files.open_path(bad)
    assert window.document.config == before
    assert window.last_error.startswith("depth: 0 is not allowed")


def test_save_to_unwritable_place_shows_error(window: MainWindow, tmp_path: Path) -> None:
    assert not window.files.save_to(tmp_path / "missing-folder" / "x.json")
    assert "x.json" in window.last_error and window.isVisible()


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf", ".dot", ".json"])
def test_export_diagram_writes_file(qtbot: QtBot, window: MainWindow, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"diagram{suffix}"
    with qtbot.waitSignal(window.worker.exported, timeout=EXPORT_TIMEOUT_MS) as done:
        assert window.files.export_diagram(target)
    assert done.args == [target] and target.stat().st_size > 100
    head = target.read_bytes()[:1000]
    expected = {".svg": b"<svg", ".png": b"\x89PNG", ".pdf": b"%PDF", ".dot": b"digraph", ".json": b'"view": "u"'}
    assert expected[suffix] in head


@pytest.mark.parametrize(
    ("suffix", "marker"), [(".csv", "layer,type,input"), (".md", "| layer |"), (".json", '"layers"')]
)
def test_export_table_writes_same_as_cli(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, suffix: str, marker: str
) -> None:
    from unetviz.report.tables import render_table

    target = tmp_path / f"table{suffix}"
    with qtbot.waitSignal(window.worker.exported, timeout=EXPORT_TIMEOUT_MS):
        window.files.export_table(target)
    text = target.read_text()
    assert marker in text
    assert window.analysis is not None
    fmt = {".csv": "csv", ".md": "markdown", ".json": "json"}[suffix]
    assert text == render_table(window.analysis, fmt)
    if suffix == ".json":
        assert len(json.loads(text)["layers"]) == window.table.model.rowCount()


def test_export_error_is_shown_once_and_app_lives(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    errors: list[object] = []
    window.worker.export_failed.connect(errors.append)
    with qtbot.waitSignal(window.worker.export_failed, timeout=EXPORT_TIMEOUT_MS):
        window.files.export_diagram(tmp_path / "no-such-folder" / "d.svg")
    assert len(errors) == 1 and window.last_error
    assert "Export failed" in window.statusBar().currentMessage()
    window.form.spins["depth"].setValue(2)  # still working
    wait_update(qtbot, window)
    assert window.analysis is not None and window.analysis.config.depth == 2


def test_last_config_and_layout_persist(qtbot: QtBot, make_window: MakeWindow, settings: AppSettings) -> None:
    window = make_window()
    window.form.spins["base_width"].setValue(24)
    window.files.save_to(Path(settings.path).parent / "saved.json")
    window.close()
    again = AppSettings()
    last = again.last_config()
    assert last is not None and last.base_width == 24
    geometry, state = again.window_state()
    assert geometry is not None and state is not None
    assert Path(settings.path).is_file() and "settings" in settings.path
