"""A held-down spin arrow: edits come faster than diagrams can be drawn; the window draws far fewer diagrams than
edits (no queue of stale renders) and ends on the newest config."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from unetviz.draw.graph import Graph
from unetviz.gui.main_window import DEBOUNCE_MS
from unetviz.gui.worker import default_render_svg

from .conftest import MakeWindow

EDITS = 20


def test_a_burst_of_edits_draws_few_diagrams_and_ends_on_the_newest(qtbot: QtBot, make_window: MakeWindow) -> None:
    drawn: list[str] = []

    def counting(graph: Graph) -> bytes:
        drawn.append(graph.subtitle)
        return default_render_svg(graph)

    window = make_window(render_svg=counting)
    drawn.clear()
    spin = window.form.spins["base_width"]
    widths = list(range(spin.value() + 1, spin.value() + 1 + EDITS))
    pending = iter(widths)
    repeat = QTimer()
    repeat.setInterval(DEBOUNCE_MS // 3)  # an auto-repeating arrow, faster than the debounce

    def step() -> None:
        width = next(pending, None)
        if width is None:
            repeat.stop()
        else:
            spin.setValue(width)

    repeat.timeout.connect(step)
    repeat.start()
    qtbot.waitUntil(lambda: not repeat.isActive(), timeout=10_000)

    def newest_shown() -> bool:
        shown = window.diagram.diagram
        return shown is not None and shown.config is not None and shown.config.base_width == widths[-1]

    qtbot.waitUntil(lambda: newest_shown() and not window.worker.updates.busy, timeout=15_000)
    assert window.document.config.base_width == widths[-1]
    assert window.analysis is not None and window.analysis.config.base_width == widths[-1]
    assert 1 <= len(drawn) <= EDITS // 4, drawn  # far fewer drawings than edits
