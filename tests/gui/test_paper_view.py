"""The fourth view, Paper (Alt+4): the 2015 paper's Figure 1 laid out by unetviz, with zoom, fit and the
table↔diagram link on its bars, File → Export as SVG/PNG/PDF/TikZ, inspected models, and compare mode."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from unetviz.core.analysis import analyze
from unetviz.core.config import UNetConfig, load_preset
from unetviz.draw.paper_layout import PaperFigure
from unetviz.draw.paper_svg import to_svg
from unetviz.draw.paper_tikz import to_tikz
from unetviz.gui.actions import APP_VIEWS
from unetviz.gui.diagram_view import MIN_HIT_PX
from unetviz.gui.files import DIAGRAM_FILTERS, diagram_filters
from unetviz.gui.inspect_request import InspectRequest
from unetviz.gui.main_window import MainWindow
from unetviz.gui.paper_view import bar_id
from unetviz.report.export import paper_figure

from .conftest import UPDATE_TIMEOUT_MS, MakeWindow

MODELS = Path(__file__).parent.parent / "models"
INSPECT_TIMEOUT_MS = 90_000  # a fresh child loads torch, imports the file and records the forward pass


def paper_window(qtbot: QtBot, make_window: MakeWindow, cfg: UNetConfig) -> MainWindow:
    """The main window on `cfg`, switched to Paper with the Alt+4 shortcut, once the figure is on screen."""
    window = make_window(cfg)
    QAbstractItemModelTester(window.table.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)  # a shortcut reaches the active window only
    assert window.commands.view_actions["paper"].shortcut().toString() == "Alt+4"
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.diagram.diagram is not None and window.diagram.diagram.view == "paper",
                    timeout=UPDATE_TIMEOUT_MS)  # fmt: skip
    return window


def bar_point(window: MainWindow, figure: PaperFigure, index: int) -> QPoint:
    """The viewport point over the centre of the figure's bar `index` (SVG units are the scene's)."""
    bar = figure.bars[index]
    return window.diagram.mapFromScene(QPointF(bar.centre, bar.y + bar.h / 2))


def bar_of(figure: PaperFigure, layer: str) -> int:
    return next(i for i, bar in enumerate(figure.bars) if bar.layer == layer)


def test_alt4_draws_the_paper_figure_with_a_hit_box_per_bar(qtbot: QtBot, make_window: MakeWindow) -> None:
    cfg = load_preset("ronneberger2015")
    window = paper_window(qtbot, make_window, cfg)
    expected = paper_figure(analyze(cfg))
    shown = window.diagram.diagram
    assert shown is not None and shown.figure == expected and shown.config == cfg
    assert window.commands.view_actions["paper"].isChecked() and window.view_name == "paper"
    assert len(window.diagram.node_boxes) == len(expected.bars) == 32
    # The item is the SVG's whole-pixel default size: SVG units map onto the scene within a pixel.
    for i, bar in enumerate(expected.bars):
        box = window.diagram.node_boxes[bar_id(i)]
        assert abs(box.center().x() - bar.centre) < 1 and abs(box.top() - bar.y) < 1
        assert abs(box.height() - bar.h) < 1 and abs(box.width() - bar.w) < 1
    # The SVG shown is the figure's own (Liberation Sans named for Qt's renderer), not a Graphviz drawing.
    assert shown.svg.count(b"<rect ") == len(expected.bars) + 1  # the bars and the white page
    assert b"unetviz paper view" in shown.svg and b"graphviz" not in shown.svg.lower()
    assert window.diagram.scene().sceneRect().contains(window.diagram.node_boxes[bar_id(31)])


def test_clicking_a_bar_selects_its_layer_rows_and_back(qtbot: QtBot, make_window: MakeWindow) -> None:
    cfg = load_preset("ronneberger2015")
    window = paper_window(qtbot, make_window, cfg)
    figure = paper_figure(analyze(cfg))
    view = window.diagram.viewport()
    for layer, rows in (
        ("enc2.conv1", ["enc2.conv1", "enc2.relu1"]),  # the bar is the map after its conv and activation
        ("dec1.concat", ["dec1.concat"]),  # the white copy bar: the concat that joins the skip
        ("head.conv", ["head.conv"]),  # the 1×1 conv's output: a 3-unit bar
    ):
        index = bar_of(figure, layer)
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=bar_point(window, figure, index))
        assert window.diagram.highlighted == bar_id(index)
        assert window.table.selected_layers() == rows
    # A 3-unit bar is MIN_HIT_PX wide on screen: a click just beside it still finds it.
    head = bar_of(figure, "head.conv")
    beside = bar_point(window, figure, head) + QPoint(MIN_HIT_PX // 2 - 1, 0)
    assert not window.diagram.node_boxes[bar_id(head)].contains(window.diagram.mapToScene(beside))
    window.table.select_layers([])
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=beside)
    assert window.table.selected_layers() == ["head.conv"]
    # A row of a layer that draws no bar of its own highlights the bar of the map it belongs to.
    row = window.table.model.row_of("enc3.relu2")
    assert row is not None
    window.table.view.selectRow(window.table.proxy.mapFromSource(window.table.model.index(row, 0)).row())
    assert window.diagram.highlighted == bar_id(bar_of(figure, "enc3.conv2"))
    assert window.diagram._highlight.isVisible()
    # Zoomed in and panned, a click still finds the bar under the mouse.
    window.commands.zoom_in.trigger()
    window.commands.zoom_in.trigger()
    index = bar_of(figure, "bottleneck.conv2")
    window.diagram.centerOn(QPointF(figure.bars[index].centre, figure.bars[index].y))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=bar_point(window, figure, index))
    assert window.table.selected_layers()[0] == "bottleneck.conv2"


def test_zoom_and_fit_work_on_the_paper_figure(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = paper_window(qtbot, make_window, load_preset("ronneberger2015"))
    view = window.diagram
    assert view.label_px() >= 11  # it opens readable (and scrolls); Fit shows it whole
    window.commands.fit.trigger()
    fitted = view.zoom()
    window.commands.zoom_in.trigger()
    assert view.zoom() > fitted * 1.2
    window.commands.actual_size.trigger()
    assert view.zoom() == 1.0
    window.commands.fit.trigger()
    assert abs(view.zoom() - fitted) < 1e-6
    qtbot.waitUntil(lambda: view.horizontalScrollBar().maximum() == 0, timeout=2000)  # the bars of 1:1 go
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(view.node_boxes[bar_id(0)]) and shown.contains(view.node_boxes[bar_id(31)])


def test_export_offers_tikz_and_writes_the_figure(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    cfg = load_preset("ronneberger2015")
    window = paper_window(qtbot, make_window, cfg)
    filters = diagram_filters(window.view_name)
    assert sorted(filters.values()) == [".pdf", ".png", ".svg", ".tex"]
    assert diagram_filters("u") == DIAGRAM_FILTERS and ".tex" not in DIAGRAM_FILTERS.values()
    figure = paper_figure(analyze(cfg))
    out = tmp_path / "out"
    out.mkdir()
    for name, expected in (("unet-paper.tex", to_tikz(figure)), ("unet-paper.svg", to_svg(figure))):
        with qtbot.waitSignal(window.worker.exported, timeout=UPDATE_TIMEOUT_MS) as written:
            assert window.files.export_diagram(out / name)  # what File → Export diagram… calls
        assert written.args == [out / name]
        assert (out / name).read_text(encoding="utf-8") == expected
    assert "\\begin{tikzpicture}" in (out / "unet-paper.tex").read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["unet-paper.svg", "unet-paper.tex"]  # no temporaries left


def test_compare_window_shows_two_paper_figures(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(load_preset("ronneberger2015"))
    compare = window.open_compare(twin=True)
    qtbot.waitUntil(lambda: compare.result is not None, timeout=UPDATE_TIMEOUT_MS)
    assert all(view.diagram is not None and view.diagram.view == "u" for view in compare.views)
    with qtbot.waitSignal(compare.compared, timeout=UPDATE_TIMEOUT_MS):
        compare.view_choice.setCurrentIndex(APP_VIEWS.index("paper"))
    assert compare.view_choice.currentText() == "Paper"
    for view, cfg in zip(compare.views, (compare.config_a, compare.config_b), strict=True):
        expected = paper_figure(analyze(cfg))
        assert view.diagram is not None and view.diagram.view == "paper" and view.diagram.figure == expected
        assert len(view.node_boxes) == len(expected.bars)
    a, b = (view.diagram.figure for view in compare.views if view.diagram is not None)
    assert a is not None and b is not None and (a.height, a.width) != (b.height, b.width)  # valid vs same padding
    with qtbot.waitSignal(compare.compared, timeout=UPDATE_TIMEOUT_MS):
        compare.set_view("blocks")
    assert compare.view_choice.currentText() == "Blocks"
    assert all(view.diagram is not None and view.diagram.figure is None for view in compare.views)


def test_an_inspected_model_in_the_paper_view(qtbot: QtBot, make_window: MakeWindow) -> None:
    """A model that is exactly a config is drawn from the config, its bars named by the model's own layers;
    a model with no U cannot be drawn as a paper figure: one line where drawing errors show, no traceback."""
    window = paper_window(qtbot, make_window, load_preset("small"))
    unet = InspectRequest(f"{MODELS / 'pytorch_unet.py'}:UNet", {"n_channels": 3, "n_classes": 2}, (1, 3, 64, 64))
    with qtbot.waitSignal(window.inspector.drawn, timeout=INSPECT_TIMEOUT_MS):
        window.inspector.inspect(unet)
    found = window.inspector.shown
    shown = window.diagram.diagram
    assert found is not None and found.matched is not None and shown is not None and shown.figure is not None
    assert shown.view == "paper" and shown.config is None
    assert len(shown.figure.bars) == len(paper_figure(found).bars) == len(window.diagram.node_boxes)
    recorded = [layer.name for layer in found.layers]
    named = [bar.layer for bar in shown.figure.bars if bar.layer]
    assert len(set(named)) == len(named) and set(named) <= set(recorded)
    index = next(i for i, bar in enumerate(shown.figure.bars) if bar.layer == "down2.maxpool_conv.0")
    qtbot.mouseClick(window.diagram.viewport(), Qt.MouseButton.LeftButton, pos=bar_point(window, shown.figure, index))
    assert window.table.selected_layers() == ["down2.maxpool_conv.0"]

    classifier = InspectRequest(f"{MODELS / 'small_models.py'}:Classifier", {}, (2, 3, 32, 32))
    with qtbot.waitSignal(window.inspector.drawn, timeout=INSPECT_TIMEOUT_MS):
        window.inspector.inspect(classifier)
    assert window.inspector.shown is not None and not window.inspector.shown.u_found
    boxes = window.error_boxes()
    assert [box.windowTitle() for box in boxes] == ["Cannot draw the diagram"]
    text = boxes[0].text()
    assert text.startswith("the Paper view draws U-shaped models only (no U found")
    assert "\n" not in text and "Traceback" not in text and window.last_error == text
    assert window.diagram._item is not None and window.diagram._item.opacity() < 1  # the old drawing, greyed
    with qtbot.waitSignal(window.inspector.drawn, timeout=INSPECT_TIMEOUT_MS):
        window.set_view("layers")  # any other view draws it
    assert window.diagram.diagram is not None and window.diagram.diagram.view == "layers"
