"""GUI test set-up: settings in a temporary folder, windows that close without asking, waits on signals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from unetviz.core.config import UNetConfig, load_preset
from unetviz.gui.compare_window import CompareWindow
from unetviz.gui.config_form import ConfigForm
from unetviz.gui.main_window import MainWindow
from unetviz.gui.settings import SETTINGS_DIR_ENV, AppSettings
from unetviz.gui.worker import RenderSvg, UpdateWorker, default_render_svg

UPDATE_TIMEOUT_MS = 15_000
MakeWindow = Callable[..., MainWindow]


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every GUI test reads and writes settings in its own folder, never the user's."""
    folder = tmp_path / "settings"
    monkeypatch.setenv(SETTINGS_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def settings(settings_dir: Path) -> AppSettings:
    return AppSettings()


@pytest.fixture
def make_window(qtbot: QtBot, settings: AppSettings) -> Iterator[MakeWindow]:
    windows: list[MainWindow] = []

    def make(
        cfg: UNetConfig | None = None,
        render_svg: RenderSvg = default_render_svg,
        auto_trace: bool = False,
        wait: bool = True,
    ) -> MainWindow:
        worker = UpdateWorker(render_svg=render_svg)
        window = MainWindow(cfg or load_preset("small"), settings, worker=worker, auto_trace=auto_trace)
        window.ask_to_save = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
        qtbot.addWidget(window)
        window.resize(1280, 800)
        windows.append(window)
        if wait:
            with qtbot.waitSignal(window.update_finished, timeout=UPDATE_TIMEOUT_MS):
                window.show()
        return window

    yield make
    for window in windows:
        window.worker.shutdown()


@pytest.fixture
def window(make_window: MakeWindow) -> MainWindow:
    return make_window()


def wait_update(qtbot: QtBot, window: MainWindow) -> None:
    """Wait for the debounced re-analysis and re-render that the last edit started."""
    with qtbot.waitSignal(window.update_finished, timeout=UPDATE_TIMEOUT_MS):
        pass


def set_cell(form: ConfigForm, row: int, key: str, text: str) -> None:
    """Type `text` into a stage-table cell, as the view's editor does when it commits."""
    assert form.stages.model.setData(form.stages.cell(row, key), text)


def cell_text(form: ConfigForm, row: int, key: str) -> str:
    return str(form.stages.cell(row, key).data())


def table_rows(window: MainWindow) -> list[list[str]]:
    model = window.table.model
    return [[str(model.index(r, c).data()) for c in range(model.columnCount())] for r in range(model.rowCount())]


MakeCompare = Callable[[UNetConfig, UNetConfig], CompareWindow]


@pytest.fixture
def make_compare(qtbot: QtBot) -> Iterator[MakeCompare]:
    """Compare windows of (A, B), shown and compared once; their workers stopped after the test."""
    windows: list[CompareWindow] = []

    def make(a: UNetConfig, b: UNetConfig) -> CompareWindow:
        window = CompareWindow(a, b)
        qtbot.addWidget(window)
        windows.append(window)
        with qtbot.waitSignal(window.compared, timeout=15_000):
            window.show()
        return window

    yield make
    for window in windows:
        window.lane.cancel()
        window.pool.waitForDone(10_000)
