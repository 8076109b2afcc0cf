"""Dark mode: the app follows the application's palette — the diagram is drawn dark (same layout), its canvas
too, and an invalid field stays readable in both themes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from unetviz.core.config import load_preset
from unetviz.draw.theme import DARK_CANVAS, contrast
from unetviz.gui.marks import is_invalid
from unetviz.gui.theme import LIGHT_CANVAS, current_theme

from .conftest import MakeWindow, set_cell, wait_update


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, "#2b2b2b"), (roles.Base, "#1f1f1f"), (roles.AlternateBase, "#2b2b2b"),
                         (roles.Button, "#353535"), (roles.Text, "#e6e6e6"), (roles.WindowText, "#e6e6e6"),
                         (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#2f65ca")):  # fmt: skip
        palette.setColor(role, QColor(colour))
    return palette


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    light = QPalette(QGuiApplication.palette())
    qapp.setPalette(dark_palette())
    yield
    qapp.setPalette(light)


def page_colour(svg: bytes) -> str:
    """The colour the drawing's page is filled with: Graphviz's first polygon, or the paper figure's first rect."""
    text = svg.decode()
    shape = min(at for at in (text.find("<polygon fill="), text.find("<rect ")) if at >= 0)
    return text[shape:].split('fill="', 1)[1].split('"', 1)[0]


def test_a_dark_palette_draws_the_diagram_dark(qtbot: QtBot, dark: None, make_window: MakeWindow) -> None:
    assert current_theme() == "dark"
    window = make_window()
    assert window.diagram.diagram is not None and page_colour(window.diagram.diagram.svg) == DARK_CANVAS
    assert window.diagram.backgroundBrush().color() == QColor(DARK_CANVAS)
    window.set_view("paper")
    wait_update(qtbot, window)
    assert window.diagram.diagram.view == "paper" and page_colour(window.diagram.diagram.svg) == DARK_CANVAS


def test_the_diagram_follows_a_change_of_palette(qtbot: QtBot, qapp: QApplication, make_window: MakeWindow) -> None:
    window = make_window()
    assert window.diagram.diagram is not None and page_colour(window.diagram.diagram.svg) == "white"
    light = QPalette(QGuiApplication.palette())
    try:
        with qtbot.waitSignal(window.update_finished, timeout=15_000):
            qapp.setPalette(dark_palette())  # the system turned dark
        assert page_colour(window.diagram.diagram.svg) == DARK_CANVAS
        with qtbot.waitSignal(window.update_finished, timeout=15_000):
            qapp.setPalette(light)
        assert page_colour(window.diagram.diagram.svg) == "white"
        assert window.diagram.backgroundBrush().color() == QColor(LIGHT_CANVAS)
    finally:
        qapp.setPalette(light)


def brush_colour(value: object) -> str:
    assert isinstance(value, QBrush)
    return value.color().name()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_invalid_fields_are_readable(qtbot: QtBot, qapp: QApplication, make_window: MakeWindow, theme: str) -> None:
    light = QPalette(QGuiApplication.palette())
    if theme == "dark":
        qapp.setPalette(dark_palette())
    try:
        window = make_window(load_preset("ronneberger2015"))
        set_cell(window.form, 1, "kernel", "4")  # a bad cell in the stage table
        cell = window.form.stages.cell(1, "kernel")
        field = brush_colour(cell.data(Qt.ItemDataRole.BackgroundRole))
        ink = cell.data(Qt.ItemDataRole.ForegroundRole)
        text = brush_colour(ink) if ink is not None else QGuiApplication.palette().color(QPalette.ColorRole.Text).name()
        assert contrast(field, text) >= 4.5, (field, text)
        assert (QColor(field).lightness() < 128) == (theme == "dark")  # the field is dark in the dark theme
        set_cell(window.form, 1, "kernel", "3")
        window.form.size_spins[1].setValue(40)  # the input collapses: the size fields are marked
        wait_update(qtbot, window)
        spin = window.form.size_spins[1]
        assert is_invalid(spin)
        palette = spin.palette()
        base, written = palette.color(QPalette.ColorRole.Base).name(), palette.color(QPalette.ColorRole.Text).name()
        assert contrast(base, written) >= 4.5, (base, written)
    finally:
        qapp.setPalette(light)


def test_compare_window_is_dark_and_its_differing_cells_readable(qtbot: QtBot, dark: None) -> None:
    from unetviz.gui.compare_window import CompareWindow

    small = load_preset("small")
    window = CompareWindow(small, small.replace(depth=2, name="deeper"))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.compared, timeout=15_000):
        window.show()
    assert all(v.diagram is not None and page_colour(v.diagram.svg) == DARK_CANVAS for v in window.views)
    rows = [r for r in range(window.table.rowCount()) if window.table.item(r, 1).font().bold()]  # type: ignore[union-attr]
    assert rows
    item = window.table.item(rows[0], 1)
    assert item is not None
    assert contrast(item.background().color().name(), item.foreground().color().name()) >= 4.5
    window.lane.cancel()
    window.pool.waitForDone(10_000)


def test_the_summarys_colours_follow_the_theme(qtbot: QtBot) -> None:
    """The warning and verdict colours are the dark theme's (light on dark) under a dark palette."""
    from PySide6.QtGui import QColor, QGuiApplication, QPalette

    from unetviz.gui.summary_panel import TEXT_COLOURS, _colour

    app = QGuiApplication.instance()
    assert isinstance(app, QGuiApplication)
    before = app.palette()
    try:
        dark = QPalette(before)
        dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
        dark.setColor(QPalette.ColorRole.Base, QColor("#202020"))
        dark.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
        dark.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
        app.setPalette(dark)
        assert [_colour(role) for role in TEXT_COLOURS] == [pair[1] for pair in TEXT_COLOURS.values()]
    finally:
        app.setPalette(before)
    assert [_colour(role) for role in TEXT_COLOURS] == [pair[0] for pair in TEXT_COLOURS.values()]


def test_the_stage_tables_defaults_read_on_dark() -> None:
    from unetviz.gui.stage_table import DEFAULT_BRUSH, DEFAULT_DARK_BRUSH

    assert contrast(DEFAULT_DARK_BRUSH.color().name(), "#2b2b2b") >= 4.5
    assert contrast(DEFAULT_BRUSH.color().name(), "#ffffff") >= 4.5
