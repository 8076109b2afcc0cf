"""Issue 9 in the app: verdicts that vanish or linger, errors that linger or pile up, exports of what is not
shown, a filter that froze the window, compare zoom that would not stay, and user text read as HTML.

Traces here are fakes (no torch): a verdict made in the worker thread, or one that waits for the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from unetviz.core.analysis import Analysis
from unetviz.core.config import UNetConfig, load_preset
from unetviz.core.errors import RenderError
from unetviz.gui import worker
from unetviz.gui.marks import is_invalid
from unetviz.network.trace_records import TraceResult

from .conftest import MakeWindow, set_cell, wait_update

TIMEOUT_MS = 15_000
AGREE = "analytic and traced sizes agree"


def verdict(window: Any) -> str:
    """The summary's trace row as text: "meta: analytic and traced sizes agree (2 ms)", or its status."""
    from PySide6.QtGui import QTextDocumentFragment

    text = QTextDocumentFragment.fromHtml(window.summary.text()).toPlainText()
    lines = text.splitlines()  # a table's cells come out one per line
    return lines[lines.index("trace") + 1] if "trace" in lines else ""


BIG_IMAGE_NAME = "<img src=x width=46000>"


@pytest.fixture
def fake_traces(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, threading.Event]]:
    """trace_work without torch: meta answers at once; a device given an Event here waits for it."""
    gates: dict[str, threading.Event] = {}

    def fake(tracer: Any, analysis: Analysis, device: str, report: worker.Report) -> None:
        gate = gates.get(device)
        if gate is not None:
            assert gate.wait(30)
        result = TraceResult(device, {}, (), analysis.shapes.total_params, 0.002)
        report("cuda", False)
        report("trace", worker.Traced(analysis.config, device, result))

    monkeypatch.setattr(worker, "trace_work", fake)
    yield gates
    for gate in gates.values():
        gate.set()


def traced_window(qtbot: QtBot, make_window: MakeWindow, cfg: UNetConfig | None = None) -> Any:
    window = make_window(cfg=cfg, auto_trace=True, wait=False)
    window.commands.device.setCurrentText("meta")
    with qtbot.waitSignal(window.trace_finished, timeout=TIMEOUT_MS):
        window.show()
    assert verdict(window).startswith(f"meta: {AGREE}")
    return window


# --- 12a, 12b: the trace verdict ------------------------------------------------------------------------


def test_verdict_survives_a_view_switch(qtbot: QtBot, make_window: MakeWindow, fake_traces: Any) -> None:
    window = traced_window(qtbot, make_window)
    for view in ("blocks", "layers", "u"):
        with qtbot.waitSignal(window.update_finished, timeout=TIMEOUT_MS):
            window.set_view(view)
        assert verdict(window).startswith(f"meta: {AGREE}"), view
        assert "waiting for the diagram" not in window.summary.text()


def test_verdict_comes_back_with_the_last_traced_config(
    qtbot: QtBot, make_window: MakeWindow, fake_traces: Any
) -> None:
    # depth 7 makes 64×64 collapse: no trace runs for it, and depth 3 is the last config traced.
    window = traced_window(qtbot, make_window, load_preset("small").replace(input_size=(64, 64), depth=3))
    window.form.spins["depth"].setValue(7)
    wait_update(qtbot, window)
    assert window.form.current_error() is not None
    window.form.spins["depth"].setValue(3)
    wait_update(qtbot, window)
    qtbot.waitUntil(lambda: verdict(window).startswith(f"meta: {AGREE}"), timeout=2_000)


def test_a_running_trace_never_shows_the_previous_verdict(
    qtbot: QtBot, make_window: MakeWindow, fake_traces: dict[str, threading.Event]
) -> None:
    window = traced_window(qtbot, make_window)
    fake_traces["cpu"] = threading.Event()
    window.commands.device.setCurrentText("cpu")
    window.commands.trace.trigger()
    assert verdict(window).startswith("tracing on cpu")  # not the meta verdict: it is not this trace's
    with qtbot.waitSignal(window.trace_finished, timeout=TIMEOUT_MS):
        fake_traces["cpu"].set()
    assert verdict(window).startswith(f"cpu: {AGREE}")


def test_cpu_without_auto_trace_says_press_trace(qtbot: QtBot, make_window: MakeWindow, fake_traces: Any) -> None:
    window = make_window(auto_trace=True, wait=False)
    window.commands.device.setCurrentText("cpu")
    with qtbot.waitSignal(window.update_finished, timeout=TIMEOUT_MS):
        window.show()
    assert verdict(window) == "not run (press Trace)"


# --- 12c, 12d, 12h: errors ------------------------------------------------------------------------------


def test_status_error_goes_when_the_config_is_valid_again(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    set_cell(window.form, 0, "width", "abc")
    assert "widths" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.update_finished, timeout=TIMEOUT_MS):
        window.files.new_from_preset("small")  # the preset shown already: the bad cell goes all the same
    assert window.form.current_error() is None
    assert window.statusBar().currentMessage() == ""
    set_cell(window.form, 0, "width", "abc")
    window.form.preset.set_preset("small")
    window.form.reset_button.click()  # the config shown already: nothing to update, the error goes
    assert window.form.current_error() is None and window.statusBar().currentMessage() == ""
    # The same after an analysis error fixed by hand.
    window.form.size_spins[2].setValue(3)
    wait_update(qtbot, window)
    assert window.statusBar().currentMessage() != ""
    window.form.size_spins[2].setValue(64)
    wait_update(qtbot, window)
    assert window.statusBar().currentMessage() == ""


def test_a_broken_renderer_opens_one_box_then_the_status_bar(qtbot: QtBot, make_window: MakeWindow) -> None:
    broken = {"on": True}

    def render_svg(graph: Any) -> bytes:
        if broken["on"]:
            raise RenderError("Graphviz's dot failed: exit code 1 (simulated)")
        return worker.default_render_svg(graph)

    window = make_window(render_svg=render_svg)
    for depth in (2, 3, 4, 2, 3, 4, 2, 3, 4, 2):
        window.form.spins["depth"].setValue(depth)
        wait_update(qtbot, window)
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert len(boxes) == 1 and "dot failed" in boxes[0].text()
    assert "Cannot draw the diagram: Graphviz's dot failed" in window.statusBar().currentMessage()
    broken["on"] = False
    window.form.spins["depth"].setValue(3)
    wait_update(qtbot, window)
    assert window.statusBar().currentMessage() == "the diagram draws again"
    broken["on"] = True
    window.form.spins["depth"].setValue(2)
    wait_update(qtbot, window)  # broken again after a recovery: told again, still as one box
    assert len([w for w in window.findChildren(QMessageBox) if w.isVisible()]) == 1


def test_raising_depth_blames_depth_in_the_apps_words(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(cfg=load_preset("small").replace(input_size=(64, 64), depth=3))
    window.form.spins["depth"].setValue(7)
    wait_update(qtbot, window)
    form = window.form
    assert is_invalid(form.spins["depth"])
    assert not any(is_invalid(spin) for spin in form.size_spins)
    message = form.error_label.text()
    assert message.startswith("depth: 7") and "unetviz sizes" not in message and "Summary" in message
    assert "unetviz sizes" not in window.statusBar().currentMessage()
    summary = window.summary.text()
    assert "cannot be analysed" in summary and "size:" in summary  # sizes that fit depth 7, to click


# --- 12e: exports ---------------------------------------------------------------------------------------


def test_export_refuses_while_the_form_is_invalid(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    window = make_window()
    exports: list[object] = []
    window.worker.exported.connect(exports.append)
    set_cell(window.form, 1, "width", "-3")
    assert not window.files.export_diagram(tmp_path / "d.svg")
    assert not window.files.export_table(tmp_path / "t.csv")
    assert "Cannot export: the Stages table's widths is invalid" in window.statusBar().currentMessage()
    assert not window.worker.exports.busy and exports == []
    set_cell(window.form, 1, "width", "24")
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        assert window.files.export_table(tmp_path / "t.csv")
    assert (tmp_path / "t.csv").is_file()


# --- 12f, 12g: the layer table --------------------------------------------------------------------------

BIG = UNetConfig(depth=8, block="residual", convs_per_block=16, base_width=4, input_size=(512, 512))


def test_filtering_a_thousand_layers_keeps_the_window_responsive(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(cfg=BIG)
    table = window.table
    assert table.model.rowCount() > 1_000
    table.view.selectAll()
    selections: list[list[str]] = []
    table.layers_selected.connect(selections.append)
    worst = 0.0
    for text in ("c", "co", "con", "conv", "conv1", "enc", ""):
        start = time.perf_counter()
        table.filter.setText(text)
        worst = max(worst, time.perf_counter() - start)
    print(f"worst filter keystroke on {table.model.rowCount()} layers: {worst * 1000:.0f} ms")
    assert worst < 0.5  # was 8 s: a full re-read of the selection per removed block of rows
    assert len(selections) <= 7  # once per keystroke at most


def test_a_filter_that_matches_nothing_says_so(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(cfg=load_preset("small").replace(depth=4))
    table = window.table
    table.filter.setText("enc3")
    assert table.proxy.rowCount() > 0
    window.form.spins["depth"].setValue(2)
    wait_update(qtbot, window)
    assert table.proxy.rowCount() == 0
    notes = [label.text() for label in table.findChildren(QLabel) if label.isVisible()]
    assert any("no layer matches “enc3”" in text for text in notes), notes
    table.filter.clear()
    assert not any(label.isVisible() and "no layer matches" in label.text() for label in table.findChildren(QLabel))


# --- 12i: compare zoom ----------------------------------------------------------------------------------


def test_compare_zoom_in_one_view_zooms_both_and_stays(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    compare = window.open_compare(twin=True)
    with qtbot.waitSignal(compare.compared, timeout=TIMEOUT_MS):
        pass
    a, b = compare.views
    fitted = a.zoom()
    for _ in range(3):
        a.zoom_in()
    assert a.zoom() == pytest.approx(fitted * 1.25**3) and b.zoom() == pytest.approx(a.zoom())
    with qtbot.waitSignal(compare.compared, timeout=TIMEOUT_MS):
        compare.set_b(compare.config_b.replace(depth=3))  # new drawings, and a resize
    compare.resize(compare.width() - 100, compare.height())
    assert a.zoom() == pytest.approx(fitted * 1.25**3) and b.zoom() == pytest.approx(a.zoom())
    b.zoom_out()
    assert a.zoom() == pytest.approx(fitted * 1.25**2)


# --- user text is never HTML ----------------------------------------------------------------------------


def _too_wide(widgets: list[QWidget]) -> list[str]:
    return [f"{type(w).__name__}: {getattr(w, 'text', lambda: '')()}" for w in widgets if w.sizeHint().width() > 4000]


def test_user_text_is_plain_text_everywhere(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(cfg=load_preset("small").replace(name=BIG_IMAGE_NAME))
    assert "&lt;img" in window.summary.text() and "<img" not in window.summary.text()
    assert BIG_IMAGE_NAME in window.windowTitle()
    compare = window.open_compare()
    with qtbot.waitSignal(compare.compared, timeout=TIMEOUT_MS):
        pass
    assert _too_wide(compare.findChildren(QLabel)) == []
    window.show_error("Cannot save config", f"{BIG_IMAGE_NAME}.json: permission denied")
    assert _too_wide(window.findChildren(QMessageBox)) == []
    set_cell(window.form, 0, "width", BIG_IMAGE_NAME)  # the error message quotes what was typed
    assert BIG_IMAGE_NAME in window.form.error_label.text()
    assert _too_wide(window.findChildren(QLabel)) == []
    model = window.form.stages.model
    tips = [str(model.index(0, c).data(GuiQt.ItemDataRole.ToolTipRole)) for c in range(model.columnCount())]
    tips += [w.toolTip() for w in window.form.findChildren(QWidget)]
    assert not [t for t in tips if "<img" in t and GuiQt.mightBeRichText(t)]
