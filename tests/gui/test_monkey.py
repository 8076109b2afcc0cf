"""The monkey: a seeded stream of random user actions on the offscreen app, paced by the event loop.

Edits (valid and invalid) in spins, combos and stage-table cells, view switches, presets, undo/redo, compare,
exports. It fails on any exception or Qt warning, if the config shown, analysed and drawn differ once things
settle, or if a 10 ms heartbeat timer is ever more than 100 ms late (the GUI thread blocked).
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import pytest
from PySide6.QtCore import QElapsedTimer, QMessageLogContext, Qt, QTimer, QtMsgType, qInstallMessageHandler
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_preset, preset_names
from unetviz.gui.main_window import MainWindow
from unetviz.gui.stage_values import COLUMNS

from .conftest import MakeWindow

SEED = 20240909
ACTIONS = 1_000
SETTLE_EVERY = 100
HEARTBEAT_MS = 10
MAX_LATE_MS = 100
PRESETS = [n for n in preset_names() if n in ("small", "ronneberger2015", "milesial-unet", "unet3d", "nnunet-2d")]
SIZES = (1, 3, 17, 64, 96, 100, 128, 140, 200)  # some collapse, some crop, some are fine
CELL_TEXTS = ("", "abc", "-1", "0", "2", "3", "8", "16", "1,2", "3x3", "99999")
IGNORED_QT = ("propagateSizeHints", "does not support raise()")  # the offscreen plugin's notices


class Recorder:
    """Exceptions from slots and Qt warnings, each as one line."""

    def __init__(self) -> None:
        self.records: list[str] = []

    def excepthook(self, kind: type[BaseException], error: BaseException, _tb: TracebackType | None) -> None:
        self.records.append(f"{kind.__name__}: {error}")

    def qt_message(self, kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if kind != QtMsgType.QtDebugMsg and not any(text in message for text in IGNORED_QT):
            self.records.append(f"Qt {kind.name}: {message}")


class Heartbeat:
    """A 10 ms timer; the worst gap beyond 10 ms is how long the GUI thread could not answer."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._beat)
        self.worst_ms = 0.0
        self.beats = 0

    def start(self) -> None:
        self.clock.start()
        self.timer.start()

    def _beat(self) -> None:
        late = self.clock.nsecsElapsed() / 1e6 - HEARTBEAT_MS
        self.clock.restart()
        self.beats += 1
        self.worst_ms = max(self.worst_ms, late)


def random_actions(window: MainWindow, rng: random.Random, tmp_path: Path) -> list[Callable[[], object]]:
    form = window.form

    def spin() -> None:
        name = rng.choice(["depth", "base_width", "in_channels", "num_classes", "batch_size", "norm_groups"])
        box = form.spins[name]
        box.setValue(rng.choice([box.minimum(), box.minimum() + 1, 2, 3, 4, 8, box.maximum()]))

    def typed() -> None:  # typed text, valid or not, as a user would commit it
        box = form.spins[rng.choice(["depth", "base_width"])]
        box.lineEdit().setText(rng.choice(["", "0", "-2", "x", "3", "4", "100000"]))
        box.interpretText()

    def size() -> None:
        rng.choice(form.size_spins).setValue(rng.choice(SIZES))

    def combo() -> None:
        box = form.combos[rng.choice(list(form.combos))]
        box.setCurrentIndex(rng.randrange(box.count()))

    def check() -> None:
        box = form.checks[rng.choice(list(form.checks))]
        box.setChecked(not box.isChecked())

    def dims() -> None:
        form.dims.button(rng.choice([2, 3])).click()

    def cell() -> None:
        model = form.stages.model
        index = model.index(rng.randrange(model.rowCount()), rng.randrange(len(COLUMNS)))
        model.setData(index, rng.choice(CELL_TEXTS))

    def preset() -> None:
        form.preset.set_preset(rng.choice(PRESETS))
        form.preset.activated.emit(form.preset.currentIndex())

    def undo() -> None:
        (window.commands.undo if rng.random() < 0.6 else window.commands.redo).trigger()

    def view() -> None:
        window.commands.view_actions[rng.choice(sorted(window.commands.view_actions))].trigger()  # paper too

    def compare() -> None:
        window.open_compare(twin=rng.random() < 0.5)

    def export() -> None:
        name = f"export-{rng.randrange(20)}"
        if rng.random() < 0.5:
            window.files.export_diagram(tmp_path / f"{name}.svg")
        else:
            window.files.export_table(tmp_path / f"{name}.{rng.choice(['csv', 'md', 'json'])}")

    def zoom() -> None:
        rng.choice([window.diagram.zoom_in, window.diagram.zoom_out, window.diagram.fit])()

    def filter_layers() -> None:
        window.table.filter.setText(rng.choice(["", "", "conv", "enc1", "pool", "zzz"]))

    weighted = [(spin, 8), (typed, 3), (size, 5), (combo, 8), (check, 3), (dims, 1), (cell, 8), (preset, 2),
                (undo, 5), (view, 3), (compare, 1), (export, 2), (zoom, 2), (filter_layers, 2)]  # fmt: skip
    return [action for action, weight in weighted for _ in range(weight)]


def settle(qtbot: QtBot, window: MainWindow) -> None:
    """Make the form valid (a preset), then wait until what is shown, analysed and drawn is one config."""
    if window.form.current_error() is not None:
        window.files.new_from_preset(rng_free_preset(window))
    window.request_update()

    def disagreement() -> str:
        cfg = window.document.config
        drawn = window.diagram.diagram
        if window.worker.updates.busy or window._debounce.isActive():
            return "still updating"
        if window.form.current_error() is not None:  # the analysis refused the config: it says so
            return "" if window.summary.failure is not None else "an error, but the summary does not say so"
        if window.form.read() != cfg:
            return "the form shows another config"
        if window.analysis is None or window.analysis.config != cfg:
            return "the analysis is of another config"
        if drawn is None or drawn.config != cfg or drawn.view != window.view_name:
            return "the diagram is of another config or view"
        compare = window.compare_window
        if compare is not None and compare.isVisible():
            if compare.lane.busy or compare._debounce.isActive():
                return "compare still updating"
            if compare.config_a != cfg:
                return "compare was not told of A"
            failed = compare.statusBar().currentMessage().startswith("cannot compare")  # B can be unanalysable
            if not failed and (compare.result is None or compare.result.diagrams[0].config != cfg):
                return "compare shows another A"
        return ""

    try:
        qtbot.waitUntil(lambda: disagreement() == "", timeout=60_000)
    except qtbot.TimeoutError:
        pytest.fail(f"after settling: {disagreement()}")


def rng_free_preset(window: MainWindow) -> str:
    return "small" if window.document.config.name != "small" else "ronneberger2015"


def test_monkey(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(SEED)
    recorder = Recorder()
    monkeypatch.setattr(sys, "excepthook", recorder.excepthook)
    previous = qInstallMessageHandler(recorder.qt_message)
    window = make_window(cfg=load_preset("small"))
    actions = random_actions(window, rng, tmp_path)
    heartbeat = Heartbeat()
    done = {"count": 0}
    # The test process holds every earlier test's objects; a full garbage collection walking them all would be a
    # pause of this process's making, not the app's (the app freezes its own start-up objects the same way).
    gc.collect()
    gc.freeze()
    started = time.perf_counter()

    def step() -> None:
        if done["count"] >= ACTIONS or (
            done["count"] and done["count"] % SETTLE_EVERY == 0 and not done.get("settled")
        ):
            return
        rng.choice(actions)()
        done["count"] += 1
        done.pop("settled", None)
        # Bursts of quick actions, and pauses long enough for the debounced update to run.
        driver.setInterval(rng.choice([0, 1, 5, 5, 20, 20, 200]))

    driver = QTimer()
    driver.timeout.connect(step)
    try:
        heartbeat.start()
        driver.start(0)
        while done["count"] < ACTIONS:
            target = min(ACTIONS, (done["count"] // SETTLE_EVERY + 1) * SETTLE_EVERY)
            qtbot.waitUntil(lambda target=target: done["count"] >= target, timeout=120_000)  # type: ignore[misc]
            settle(qtbot, window)
            done["settled"] = True
        driver.stop()
        seconds = time.perf_counter() - started
    finally:
        gc.unfreeze()
        heartbeat.timer.stop()
        driver.stop()
        qInstallMessageHandler(previous)
    print(
        f"\nmonkey: {done['count']} actions (seed {SEED}) in {seconds:.1f} s; heartbeat: {heartbeat.beats} beats, "
        f"worst {heartbeat.worst_ms:.1f} ms late"
    )
    assert recorder.records == [], "\n".join(recorder.records[:20])
    assert heartbeat.worst_ms <= MAX_LATE_MS
    # Nobody clicks OK here, so refused exports pile up (each a distinct message); a drawing failure never does.
    boxes = [(box.windowTitle(), box.text()) for box in window.error_boxes()]
    assert len(boxes) == len(set(boxes)) and sum(title == "Cannot draw the diagram" for title, _ in boxes) <= 1
