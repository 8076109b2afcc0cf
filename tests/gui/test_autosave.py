"""Edits survive a crash (kill -9) and a SIGTERM; damaged settings or autosave files never stop the app."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_preset
from unetviz.gui.app import open_window
from unetviz.gui.autosave import AUTOSAVE_NAME
from unetviz.gui.main_window import MainWindow
from unetviz.gui.settings import SETTINGS_DIR_ENV, AppSettings

from .test_app import gui_args

RESTORED = "restored the config you were editing"
# The app as run_app builds it; `--preset small` first, then an edit; the end comes from the test's choice.
SESSION = """
import os, signal, sys
from PySide6.QtWidgets import QApplication
from unetviz.cli import build_parser
from unetviz.gui import app as app_module
from unetviz.gui.settings import AppSettings
app = QApplication([])
window = app_module.open_window(build_parser().parse_args(sys.argv[2:]), AppSettings(), auto_trace=False)
app_module._close_on_signals(window)
window.show()
ending = sys.argv[1]
def saved():
    if window.document.config.depth == 2:
        os.kill(os.getpid(), signal.SIGKILL if ending == "kill" else signal.SIGTERM)
window.autosave.saved.connect(saved)
window.form.spins["depth"].setValue(2)
app.exec()
window.worker.shutdown()
print("closed", flush=True)
"""


def run_session(settings_dir: Path, ending: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **{SETTINGS_DIR_ENV: str(settings_dir)})
    return subprocess.run(
        [sys.executable, "-c", SESSION, ending, "gui", *argv], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def opened(qtbot: QtBot) -> Iterator[list[MainWindow]]:
    windows: list[MainWindow] = []
    yield windows
    for window in windows:
        window.worker.shutdown()


def start(qtbot: QtBot, opened: list[MainWindow], *argv: str) -> MainWindow:
    window = open_window(gui_args(*argv), AppSettings(), auto_trace=False)
    qtbot.addWidget(window)
    opened.append(window)
    return window


def test_an_edit_survives_kill_9_and_the_next_start_says_so(
    qtbot: QtBot, settings_dir: Path, opened: list[MainWindow]
) -> None:
    out = run_session(settings_dir, "kill", "--preset", "small")
    assert out.returncode == -signal.SIGKILL, out.stderr
    window = start(qtbot, opened)
    assert window.document.config == load_preset("small").replace(depth=2, name="small (edited)")
    assert RESTORED in window.statusBar().currentMessage()
    window.close()  # a clean close: the start after it has nothing to restore
    again = start(qtbot, opened)
    assert again.document.config.depth == 2 and RESTORED not in again.statusBar().currentMessage()


def test_sigterm_closes_like_the_close_button(qtbot: QtBot, settings_dir: Path, opened: list[MainWindow]) -> None:
    out = run_session(settings_dir, "term", "--preset", "small")
    assert out.returncode == 0 and out.stdout == "closed\n", out.stderr
    assert AppSettings().last_config() == load_preset("small").replace(depth=2, name="small (edited)")
    assert json.loads((settings_dir / AUTOSAVE_NAME).read_text())["clean"] is True
    window = start(qtbot, opened)
    assert window.document.config.depth == 2 and window.statusBar().currentMessage() == ""


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff\xfe[[[\n=\x00\n", b"[General]\nlast_config=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x10)\nrecent_files=3\n"],
)
def test_damaged_files_never_stop_the_app(
    qtbot: QtBot, settings_dir: Path, opened: list[MainWindow], garbage: bytes
) -> None:
    settings_dir.mkdir(parents=True, exist_ok=True)
    (settings_dir / "unetviz.ini").write_bytes(garbage)
    (settings_dir / AUTOSAVE_NAME).write_bytes(garbage)
    window = start(qtbot, opened)
    with qtbot.waitSignal(window.update_finished, timeout=15_000):
        window.show()
    window.restore_layout()
    message = window.statusBar().currentMessage()
    assert "\n" not in message and f"the autosave {settings_dir / AUTOSAVE_NAME} is damaged; ignored" in message
    assert window.document.config == load_preset("ronneberger2015") and window.analysis is not None
    (settings_dir / AUTOSAVE_NAME).write_text('{"clean": false, "config": {"depth": "deep"}}')
    assert "is damaged; ignored" in start(qtbot, opened).statusBar().currentMessage()
