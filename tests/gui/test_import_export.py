"""The app with foreign files: open an nnU-Net plans file (asking which configuration) or a MONAI bundle, by
File → Open or by dropping it; the summary says what was imported; export PyTorch code and nnU-Net plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from unetviz.core.analysis import analyze
from unetviz.gui.main_window import MainWindow
from unetviz.sources.open import open_config

from .conftest import wait_update

FIXTURES = Path(__file__).parent.parent / "fixtures"
HEART = FIXTURES / "nnunet" / "Dataset042_Heart"
EXPORT_TIMEOUT_MS = 60_000


def test_open_plans_asks_which_configuration(qtbot: QtBot, window: MainWindow,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    asked: list[list[str]] = []

    def ask(names: list[str]) -> str:
        asked.append(names)
        return "3d_lowres"

    monkeypatch.setattr(window.files, "ask_configuration", ask)
    assert window.files.open_path(HEART / "nnUNetPlans.json")
    assert asked == [["2d", "3d_fullres", "3d_lowres", "3d_cascade_fullres"]]
    expected = open_config(HEART / "nnUNetPlans.json", "3d_lowres").config
    assert window.document.config == expected and window.document.path is None  # saving asks for a name
    assert "Dataset042_Heart 3d_lowres" in window.windowTitle()
    wait_update(qtbot, window)
    assert "imported</b> from nnU-Net plans Dataset042_Heart, configuration 3d_lowres" in window.summary.text()
    window.files.new_from_preset("small")
    wait_update(qtbot, window)
    assert "imported" not in window.summary.text()


def test_dropping_a_bundle_opens_it(qtbot: QtBot, window: MainWindow) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(FIXTURES / "monai" / "basicunet_inference.json"))])
    event = QDropEvent(QPointF(QPoint(10, 10)), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    window.dropEvent(event)
    assert window.document.config.name == "MONAI BasicUNet"
    wait_update(qtbot, window)
    assert "MONAI bundle network_def (BasicUNet)" in window.summary.text()


def test_export_code_and_plans_from_the_app(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    folder = tmp_path / "Dataset042_Heart"
    shutil.copytree(HEART, folder)
    assert window.files.open_path(folder / "nnUNetPlans.json", "3d_fullres")
    window.form.spins["base_width"].setValue(window.form.spins["base_width"].value())  # no-op edit
    wait_update(qtbot, window)
    plans = folder / "nnUNetPlans.json"
    with qtbot.waitSignal(window.worker.exported, timeout=EXPORT_TIMEOUT_MS):
        assert window.files.export_plans(plans, "3d_again")
    written = json.loads(plans.read_text())
    assert {"2d", "3d_fullres", "3d_again"} <= set(written["configurations"])
    again = open_config(plans, "3d_again").config
    assert analyze(again).shapes.total_params == analyze(window.document.config).shapes.total_params
    code = tmp_path / "net.py"
    with qtbot.waitSignal(window.worker.exported, timeout=EXPORT_TIMEOUT_MS):
        assert window.files.export_code(code)
    assert "class UNet(nn.Module):" in code.read_text()
    window.files.new_from_preset("ronneberger2015")
    wait_update(qtbot, window)
    assert not window.files.export_plans(tmp_path / "x_plans.json", "2d")  # crop merge: refused, in words
    assert window.last_error.startswith("merge")
    assert not (tmp_path / "x_plans.json").exists()
