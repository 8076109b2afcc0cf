"""The trace in the background, its verdict and errors in the window, and the app's excepthook."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_preset
from unetviz.core.errors import TraceError
from unetviz.gui import app as app_module
from unetviz.gui import qt_workarounds, worker
from unetviz.gui.main_window import MainWindow

from .conftest import MakeWindow, wait_update

TRACE_TIMEOUT_MS = 60_000


def test_trace_verdict_appears_and_cuda_choice_follows_torch(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(auto_trace=True, wait=False)
    window.commands.device.setCurrentText("meta")
    with qtbot.waitSignal(window.trace_finished, timeout=TRACE_TIMEOUT_MS):
        window.show()
    import torch

    assert window.analysis is not None and window.analysis.trace is not None
    assert window.analysis.trace.device == "meta" and window.analysis.trace.agreed
    assert "meta: " in window.summary.text() and "analytic and traced sizes agree" in window.summary.text()
    cuda = window.commands.device.model().item(1)  # type: ignore[attr-defined]
    assert cuda.text() == "cuda" and cuda.isEnabled() is torch.cuda.is_available()
    if not torch.cuda.is_available():
        assert cuda.toolTip() == "torch sees no GPU on this machine"
    # An edit re-traces by itself (meta), and the new verdict belongs to the new config.
    with qtbot.waitSignal(window.trace_finished, timeout=TRACE_TIMEOUT_MS):
        window.form.spins["depth"].setValue(2)
    assert window.analysis.trace is not None and window.analysis.config.depth == 2


def test_trace_error_is_shown_once_and_app_goes_on(
    qtbot: QtBot, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_gpu(tracer: Any, analysis: Any, device: str, report: worker.Report) -> None:
        raise TraceError("device: 'cuda' is not available on this machine (torch sees no GPU); use auto, cpu or meta")

    monkeypatch.setattr(worker, "trace_work", no_gpu)
    window = make_window()
    failures: list[object] = []
    window.worker.trace_failed.connect(failures.append)
    window.commands.device.setCurrentText("cuda")
    with qtbot.waitSignal(window.trace_finished, timeout=TRACE_TIMEOUT_MS):
        window.commands.trace.trigger()
    assert len(failures) == 1
    assert "failed: device: 'cuda' is not available" in window.summary.text()
    assert window.statusBar().currentMessage().startswith("trace failed: device: 'cuda'")
    window.form.spins["depth"].setValue(2)
    wait_update(qtbot, window)
    assert window.analysis is not None and window.analysis.config.depth == 2 and len(failures) == 1


def test_cpu_traces_only_on_request(qtbot: QtBot, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    traced: list[str] = []
    monkeypatch.setattr(worker, "trace_work", lambda tracer, analysis, device, report: traced.append(device))
    window = make_window(auto_trace=True, wait=False)
    window.commands.device.setCurrentText("cpu")
    with qtbot.waitSignal(window.update_finished, timeout=15_000):
        window.show()
    window.form.spins["depth"].setValue(2)
    wait_update(qtbot, window)
    assert traced == [] and not window.worker.traces.busy
    window.commands.trace.trigger()
    qtbot.waitUntil(lambda: traced == ["cpu"] and not window.worker.traces.busy, timeout=5000)


def test_excepthook_shows_a_bug_in_the_window(window: MainWindow, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.delenv("UNETVIZ_DEBUG", raising=False)
    app_module._install_excepthook(window)
    try:
        raise ValueError("boom")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert window.last_error.startswith("ValueError: boom")
    assert "Unexpected error" in window.statusBar().currentMessage()
    assert "Traceback" not in capsys.readouterr().err


def test_pyside_singleton_references_cannot_run_out(qtbot: QtBot) -> None:
    stolen = qt_workarounds.stolen_per_call()
    if sys.version_info >= (3, 12) or not any(stolen.values()):
        assert not qt_workarounds.protect_singletons()
        return
    # unetviz.gui topped them up on import: ten thousand stealing calls leave them far from zero.
    probe = qt_workarounds._Probe()
    for i in range(10_000):
        probe.setObjectName(str(i % 2))
    for singleton in (None, True, False):
        assert sys.getrefcount(singleton) > qt_workarounds.IMMORTAL_TOP_UP // 2


def test_trace_process_reports_errors_and_stops_at_once() -> None:
    import threading
    import time

    from unetviz.core.analysis import analyze
    from unetviz.core.config import load_preset
    from unetviz.gui.tracer import TraceProcess

    analysis = analyze(load_preset("small"))
    tracer = TraceProcess()
    try:
        cuda, result = tracer.run(analysis.config, analysis.shapes, "meta")
        assert result.agreed and result.device == "meta"
        if not cuda:  # the child's TraceError comes back as the same one-line message
            with pytest.raises(TraceError, match="'cuda' is not available"):
                tracer.run(analysis.config, analysis.shapes, "cuda")
    finally:
        tracer.stop()
    errors: list[Exception] = []

    def trace_in_thread() -> None:
        try:
            tracer.run(analysis.config, analysis.shapes, "meta")
        except TraceError as exc:
            errors.append(exc)

    busy = threading.Thread(target=trace_in_thread)
    busy.start()  # a fresh child: it is still loading torch when we stop it
    deadline = time.monotonic() + 10
    while not tracer.started and time.monotonic() < deadline:
        time.sleep(0.01)  # another process: there is no signal to wait on
    stopping = time.perf_counter()
    tracer.stop()
    busy.join(10)
    assert time.perf_counter() - stopping < 3 and not busy.is_alive()
    assert len(errors) == 1 and "the trace process stopped" in str(errors[0])


def test_a_failing_strict_join_is_reported_not_traced(qtbot: QtBot, make_window: MakeWindow) -> None:
    from unetviz.core.config import load_preset

    window = make_window(cfg=load_preset("nnunet-2d").replace(input_size=(500, 512), batch_size=1), auto_trace=True)
    qtbot.waitUntil(lambda: "would fail at dec3.concat" in window.summary.text(), timeout=5_000)
    assert "fails at dec3.concat" in window.summary.text()
    assert not window.worker.traces.busy and window.analysis is not None and window.analysis.trace is None


def test_a_cpu_trace_shows_its_progress_and_can_be_cancelled(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("ronneberger2015"))  # seconds on a CPU: torch loads, then 55 G mult-adds
    cancel = window.commands.cancel_trace
    trace_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Trace")
    assert isinstance(trace_menu, QMenu) and cancel in trace_menu.actions() and not cancel.isEnabled()
    window.commands.device.setCurrentText("cpu")
    window.commands.trace.trigger()
    assert window.summary.text().count("tracing on cpu") == 1 and "agree" not in window.summary.text()
    assert cancel.isEnabled()
    qtbot.waitUntil(lambda: window.worker.tracer.started and window.trace_progress.isVisible(), timeout=10_000)
    assert window.trace_progress.label.text().startswith("tracing on cpu… ")
    assert window.trace_progress.bar.maximum() == 0  # a busy bar
    with qtbot.assertNotEmitted(window.trace_finished):
        cancel.trigger()
        qtbot.waitUntil(lambda: not window.worker.traces.busy, timeout=5_000)
    assert not window.worker.tracer.started  # the child was killed mid-run
    assert "cancelled (press Trace to run it again)" in window.summary.text()
    assert window.analysis is not None and window.analysis.trace is None
    assert not window.trace_progress.isVisible() and not cancel.isEnabled()
    window.commands.device.setCurrentText("meta")  # a later trace starts a new child
    with qtbot.waitSignal(window.trace_finished, timeout=TRACE_TIMEOUT_MS):
        window.commands.trace.trigger()
    assert window.analysis.trace is not None and window.analysis.trace.device == "meta"
