"""The worker: newest request wins, stale results are dropped, and the GUI thread never waits on it."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QElapsedTimer, QThreadPool, QTimer
from pytestqt.qtbot import QtBot

from unetviz.core.config import UNetConfig, load_preset
from unetviz.draw.graph import Graph
from unetviz.gui.worker import Diagram, Lane, Report, UpdateWorker, default_render_svg

from .conftest import MakeWindow

HEARTBEAT_MS = 10
MAX_LATE_MS = 100


class SlowFirstRender:
    """Renders like the real thing, but the first call blocks until the test lets it go."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.rendered: list[str] = []

    def __call__(self, graph: Graph) -> bytes:
        if not self.rendered:
            self.started.set()
            self.release.wait(10)
        self.rendered.append(graph.title)
        return default_render_svg(graph)


def test_stale_render_is_dropped(qtbot: QtBot) -> None:
    render = SlowFirstRender()
    worker = UpdateWorker(render_svg=render)
    shown: list[Diagram] = []
    worker.rendered.connect(shown.append)
    first, newest = load_preset("small"), load_preset("small").replace(depth=2, name="newest")
    worker.request_update(first, "u")
    assert render.started.wait(10)  # the first request is inside its slow render
    worker.request_update(first.replace(depth=1), "u")  # waiting; replaced by the next before it starts
    worker.request_update(newest, "u")
    render.release.set()
    qtbot.waitUntil(lambda: bool(shown) and not worker.updates.busy, timeout=10_000)
    assert [d.config for d in shown] == [newest]
    assert render.rendered == ["small", "newest"]  # the first was drawn and dropped; depth=1 never ran
    assert worker.shutdown()


def test_lane_drops_a_report_that_arrives_after_a_newer_request(qtbot: QtBot) -> None:
    pool = QThreadPool()
    lane = Lane(pool)
    got: list[object] = []
    lane.report.connect(lambda _kind, payload: got.append(payload))
    go = threading.Event()

    def slow(report: Report) -> None:
        go.wait(10)
        report("value", "old")

    lane.submit(slow)
    lane.submit(lambda report: report("value", "new"))
    go.set()
    qtbot.waitUntil(lambda: got == ["new"] and not lane.busy, timeout=5000)
    assert pool.waitForDone(5000)


def test_failed_job_reports_error_and_lane_goes_on(qtbot: QtBot) -> None:
    pool = QThreadPool()
    lane = Lane(pool)
    errors: list[object] = []
    got: list[object] = []
    lane.failed.connect(errors.append)
    lane.report.connect(lambda _kind, payload: got.append(payload))

    def broken(report: Report) -> None:
        raise OSError(28, "No space left on device")

    with qtbot.waitSignal(lane.failed, timeout=5000):
        lane.submit(broken)
    lane.submit(lambda report: report("value", 1))
    qtbot.waitUntil(lambda: got == [1], timeout=5000)
    assert len(errors) == 1 and isinstance(errors[0], OSError)
    assert pool.waitForDone(5000)


def test_gui_thread_stays_responsive_during_3d_updates(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("unet3d"))
    with qtbot.waitSignal(window.update_finished, timeout=20_000):
        window.set_view("layers")  # the biggest drawing: every layer a node
    gaps: list[float] = []
    clock = QElapsedTimer()
    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)

    def beat() -> None:
        gaps.append(clock.restart())

    configs: list[UNetConfig] = [
        window.document.config.replace(depth=d, base_width=w, widths=None, input_size=(s, 2 * s, 2 * s))
        for d, w, s in [(4, 32, 64), (3, 16, 96), (4, 24, 128), (2, 32, 160), (3, 32, 64)]
    ]
    clock.start()
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    started = time.perf_counter()
    for cfg in configs:
        with qtbot.waitSignal(window.update_finished, timeout=20_000):
            window.document.edit(cfg)
        assert window.diagram.diagram is not None and window.diagram.diagram.config == cfg
    heartbeat.stop()
    assert time.perf_counter() - started > 0.2 and len(gaps) > 20
    late = max(gaps[1:]) - HEARTBEAT_MS
    assert late < MAX_LATE_MS, f"the GUI thread was blocked for {late} ms"
