"""The GPU memory dock: the same numbers as plan(), following the config, computed off the GUI thread."""

from __future__ import annotations

import re
import threading

import pytest
from pytestqt.qtbot import QtBot

from unetviz.core.config import UNetConfig, load_preset
from unetviz.core.inspection import Inspection
from unetviz.core.memory import estimate, kept_bytes, plan
from unetviz.gui import memory_panel
from unetviz.gui.main_window import MainWindow
from unetviz.gui.memory_panel import COMPUTING, MemoryPanel, gib

from .conftest import UPDATE_TIMEOUT_MS, MakeWindow

GIB = 2**30
CONV_INPUTS = "kept for backward: conv inputs"


def shown(panel: MemoryPanel) -> str:
    return panel.text().replace("\u00a0", " ")


def raise_panel(qtbot: QtBot, window: MainWindow) -> MemoryPanel:
    """Bring the GPU memory tab to the front and wait for its first plan."""
    with qtbot.waitSignal(window.memory.planned, timeout=UPDATE_TIMEOUT_MS):
        window.docks[4].raise_()
    return window.memory


def set_budget(qtbot: QtBot, panel: MemoryPanel, text: str) -> None:
    with qtbot.waitSignal(panel.planned, timeout=UPDATE_TIMEOUT_MS):
        panel.budget.setText(text)


def row_of(panel: MemoryPanel, what: str) -> str:
    """The size the result shows beside `what` (the next table cell)."""
    html = panel.result.text()
    start = html.index(f"<td>{what}</td>") + len(f"<td>{what}</td>")
    cell = html[start : html.index("</td>", start)]
    return re.sub(r"<[^>]*>", "", cell)


def test_panel_shows_the_total_and_largest_batch_of_plan(qtbot: QtBot, make_window: MakeWindow) -> None:
    cfg = load_preset("small")
    window = make_window(cfg)
    panel = raise_panel(qtbot, window)
    set_budget(qtbot, panel, "2GiB")
    expected = plan(cfg, 2 * GIB, "fp32", "adam")
    text = shown(panel)
    assert panel.plan == expected
    assert row_of(panel, "<b>total</b>") == gib(expected.estimate.total)
    sums = memory_panel.batch_arithmetic(expected, gib)
    assert f"largest batch size</b> at 128×128: {expected.largest_batch} ({sums})</p>" in text
    assert expected.largest_batch > 1 and "fits in 2.00 GiB" in text
    for axes, size, used in expected.largest_patch:
        assert f"{axes}: {size} ({gib(used)}; {memory_panel.patch_arithmetic(expected, axes, gib)})" in text


def test_a_budget_too_small_says_it_does_not_fit(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("small"))
    panel = raise_panel(qtbot, window)
    set_budget(qtbot, panel, "1MiB")
    assert "does not fit</b> in 0.000977 GiB" in shown(panel)
    assert "largest batch size</b> at 128×128: none" in shown(panel)


def test_a_config_edit_updates_the_plan(qtbot: QtBot, make_window: MakeWindow) -> None:
    cfg = load_preset("small")
    window = make_window(cfg)
    panel = raise_panel(qtbot, window)
    before = panel.plan
    edited = cfg.replace(input_size=(256, 256))
    with qtbot.waitSignal(panel.planned, timeout=UPDATE_TIMEOUT_MS):
        window.document.edit(edited)
    assert panel.plan == plan(edited, 24 * GIB)
    assert before is not None and panel.plan.estimate.total > before.estimate.total
    assert "for batch 1 at 256×256" in shown(panel)


def test_a_bad_budget_shows_one_line_naming_the_field(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("small"))
    panel = raise_panel(qtbot, window)
    set_budget(qtbot, panel, "24 bananas")
    line = panel.message.text()
    assert not panel.message.isHidden()
    assert line.startswith("GPU memory: ") and '"24 bananas"' in line and "24GiB" in line
    assert "\n" not in line and "--" not in line
    assert panel.plan is None and panel.result.text() == ""  # nothing stale under it
    set_budget(qtbot, panel, "8GiB")
    assert panel.message.isHidden() and panel.plan is not None and panel.plan.budget == 8 * GIB


def test_amp_halves_the_conv_inputs_line(qtbot: QtBot, make_window: MakeWindow) -> None:
    cfg = load_preset("nnunet-3d-fullres")
    window = make_window(cfg)
    panel = raise_panel(qtbot, window)
    fp32 = next(i.bytes for i in estimate(cfg, "fp32").items if i.what == CONV_INPUTS)
    amp = next(i.bytes for i in estimate(cfg, "amp").items if i.what == CONV_INPUTS)
    assert amp * 2 == fp32
    assert row_of(panel, CONV_INPUTS) == gib(fp32)
    with qtbot.waitSignal(panel.planned, timeout=UPDATE_TIMEOUT_MS):
        panel.precision.setCurrentText("amp")
    assert row_of(panel, CONV_INPUTS) == gib(amp) != gib(fp32)
    assert panel.plan is not None and panel.plan.estimate.precision == "amp"


def test_sgd_keeps_one_state_per_weight(qtbot: QtBot, make_window: MakeWindow) -> None:
    cfg = load_preset("small")
    window = make_window(cfg)
    panel = raise_panel(qtbot, window)
    with qtbot.waitSignal(panel.planned, timeout=UPDATE_TIMEOUT_MS):
        panel.optimizer.setCurrentText("sgd")
    assert panel.plan == plan(cfg, 24 * GIB, "fp32", "sgd")
    assert "optimizer state (sgd: 1 per weight)" in shown(panel)


def test_plan_runs_off_the_gui_thread_and_the_newest_request_wins(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    gate = threading.Event()

    def slow_plan(cfg: UNetConfig, budget: int, precision: str, optimizer: str) -> object:
        threads.append(threading.current_thread())
        gate.wait(10)  # the first plan is still running while the newer requests come in
        return plan(cfg, budget, precision, optimizer)

    monkeypatch.setattr(memory_panel, "plan", slow_plan)
    panel = MemoryPanel(load_preset("small"))
    qtbot.addWidget(panel)
    panel.show()
    assert COMPUTING in panel.result.text()
    newest = load_preset("small").replace(input_size=(64, 64))
    panel.set_config(load_preset("small").replace(input_size=(96, 96)))
    panel.set_config(newest)
    with qtbot.waitSignal(panel.planned, timeout=UPDATE_TIMEOUT_MS):
        gate.set()
    assert panel.plan == plan(newest, 24 * GIB)
    assert threads and threading.main_thread() not in threads
    assert len(threads) == 2  # the first, already running, and the newest; the one between never ran
    assert panel.shutdown()


def test_a_hidden_panel_plans_nothing_until_shown(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[UNetConfig] = []

    def counted_plan(cfg: UNetConfig, budget: int, precision: str, optimizer: str) -> object:
        calls.append(cfg)
        return plan(cfg, budget, precision, optimizer)

    monkeypatch.setattr(memory_panel, "plan", counted_plan)
    panel = MemoryPanel(load_preset("small"))
    qtbot.addWidget(panel)
    panel.set_config(load_preset("small").replace(input_size=(64, 64)))
    assert calls == []
    with qtbot.waitSignal(panel.planned, timeout=UPDATE_TIMEOUT_MS):
        panel.show()
    assert calls == [load_preset("small").replace(input_size=(64, 64))]


def test_an_inspected_model_needs_a_config(qtbot: QtBot) -> None:
    cfg = load_preset("small")
    found = Inspection("UNet", "model.py:UNet", (), (), (), (), (1, 1, 128, 128), 0, "cpu", 0.0, True, matched=cfg)
    panel = MemoryPanel(cfg)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.open_matched, timeout=1000):
        panel.show_inspection(found)
        assert "needs a config" in panel.message.text() and "open it as an editable config" in panel.message.text()
        assert panel.plan is None and panel.result.text() == ""
        panel.message.linkActivated.emit("open-matched")
    unmatched = Inspection("Net", "net.py:Net", (), (), (), (), (1, 1, 64, 64), 0, "cpu", 0.0, False)
    panel.show_inspection(unmatched)
    assert "needs a config" in panel.message.text() and "editable" not in panel.message.text()
    with qtbot.waitSignal(panel.planned, timeout=UPDATE_TIMEOUT_MS):
        panel.set_config(cfg)  # back to the config
    assert panel.message.isHidden() and panel.plan == plan(cfg, 24 * GIB)


def test_the_plan_is_checked_with_torch_beside_it(qtbot: QtBot, make_window: MakeWindow) -> None:
    """The check runs after the plan, on its own thread; a check of an older config is not shown."""
    from unetviz.network.saved_tensors import kept_for_backward

    cfg = load_preset("small")
    window = make_window(cfg)
    release = threading.Event()
    asked: list[UNetConfig] = []

    def checker(config: UNetConfig) -> int:
        asked.append(config)
        release.wait(10)
        return kept_for_backward(config)

    panel = window.memory
    panel.checker = checker
    with qtbot.waitSignal(panel.planned, timeout=UPDATE_TIMEOUT_MS):
        window.docks[4].raise_()
    assert "checking the estimate with torch…" in shown(panel)  # the plan is on screen, the check still asked
    edited = cfg.replace(input_size=(96, 96))
    with qtbot.waitSignal(panel.planned, timeout=UPDATE_TIMEOUT_MS):
        window.document.edit(edited)
    release.set()
    qtbot.waitUntil(lambda: panel.checked is not None, timeout=UPDATE_TIMEOUT_MS)
    kept = kept_for_backward(edited)
    assert asked[-1] == edited and panel.checked == kept
    assert f"autograd keeps <b>{gib(kept)}</b> for backward" in panel.result.text()
    ours = kept_bytes(estimate(edited))
    assert f"the estimate's kept-for-backward items: {gib(ours)}" in panel.result.text()


def test_a_check_that_cannot_run_says_why_and_keeps_the_plan(qtbot: QtBot, make_window: MakeWindow) -> None:
    from unetviz.core.errors import TraceError

    window = make_window(load_preset("small"))

    def broken(_config: UNetConfig) -> int:
        raise TraceError("torch cannot be loaded (no module named torch)")

    window.memory.checker = broken
    panel = raise_panel(qtbot, window)
    qtbot.waitUntil(lambda: panel.checked is not None, timeout=UPDATE_TIMEOUT_MS)
    assert "not checked with torch: torch cannot be loaded (no module named torch)" in shown(panel)
    assert panel.plan is not None and "largest batch size" in shown(panel)


def test_the_trace_process_answers_what_autograd_keeps() -> None:
    """The real child: the same bytes as in this process (one more request kind on the trace's pipes)."""
    from unetviz.gui.tracer import TraceProcess
    from unetviz.network.saved_tensors import kept_for_backward

    cfg = load_preset("small")
    tracer = TraceProcess()
    try:
        assert tracer.kept_for_backward(cfg) == kept_for_backward(cfg)
    finally:
        tracer.stop()
