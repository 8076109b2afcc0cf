"""The Paper view in the app: the 2015 paper's Figure 1 drawing (laid out by unetviz, not Graphviz) as a Diagram.

It is made in a worker thread, SVG and all. Each bar becomes one node of a small graph whose layers are the
bar's layer and the layers after it that draw no bar of their own (norm, activation, crop), so the window's
table↔diagram link works as in the other views; the bars' rectangles are the hit boxes (no SVG is parsed).
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from unetviz.core.errors import ConfigError, RenderError
from unetviz.core.inspection import Inspection
from unetviz.draw.graph import Graph, Node
from unetviz.gui.worker import Diagram

if TYPE_CHECKING:
    from unetviz.core.analysis import Analysis
    from unetviz.core.config import UNetConfig
    from unetviz.core.shapes import Layer
    from unetviz.draw.paper_layout import PaperFigure

PAPER = "paper"


def bar_id(index: int) -> str:
    """The node id of the figure's bar `index` (its place in PaperFigure.bars)."""
    return f"bar{index}"


def paper_diagram(analysis: Analysis | Inspection, config: UNetConfig | None, started: float) -> Diagram:
    """The paper figure of a config's analysis or of an inspected model, ready to show; a model that cannot be
    drawn so (no U) raises a one-line RenderError, shown where the app shows drawing errors."""
    from unetviz.draw.paper_svg import for_qt, to_svg
    from unetviz.report.export import paper_figure

    if isinstance(analysis, Inspection) and not analysis.u_found:
        reason = " ".join(analysis.no_u_reason.split()) or "no U found"
        raise RenderError(f"the Paper view draws U-shaped models only ({reason}); U shape, Blocks and Layers "
                          "draw any model")  # fmt: skip
    try:
        figure = paper_figure(analysis)
    except ConfigError as exc:
        raise RenderError(" ".join(str(exc).split())) from exc
    if isinstance(analysis, Inspection):
        figure = _with_recorded_names(figure, analysis)
    svg = _whole_page(for_qt(to_svg(figure)), figure).encode("utf-8")
    graph = bar_graph(figure, [layer.name for layer in analysis.layers])
    return Diagram(PAPER, graph, svg, config, time.perf_counter() - started, figure)


def _whole_page(svg: str, figure: PaperFigure) -> str:
    """Qt's SVG renderer reads the white page's width="100%" as 100 units: a white square in the corner of the
    grey scene. Give the page the figure's size in units."""
    page = f'<rect width="{figure.width:.2f}" height="{figure.height:.2f}" fill="white"/>'
    return svg.replace('<rect width="100%" height="100%" fill="white"/>', page, 1)


def bar_graph(figure: PaperFigure, layer_order: list[str]) -> Graph:
    """One node per bar, in the figure's order; a node's layers are its bar's and the bar-less ones after it."""
    owner: dict[str, str] = {}  # bar layer -> itself; a bar-less layer -> the bar layer before it
    bar_layers = {bar.layer for bar in figure.bars if bar.layer}
    current = ""
    for name in layer_order:
        if name in bar_layers:
            current = name
        if current:
            owner[name] = current
    followers: dict[str, list[str]] = {}
    for name, bar_layer in owner.items():
        followers.setdefault(bar_layer, []).append(name)
    nodes = tuple(
        Node(bar_id(i), bar.kind, bar.layer or bar.kind, (), _layers_of(bar.layer, followers), 0, PAPER)
        for i, bar in enumerate(figure.bars)
    )
    return Graph(PAPER, figure.title, "", nodes, (), figure.legend)


def _layers_of(bar_layer: str, followers: dict[str, list[str]]) -> tuple[str, ...]:
    return tuple(followers.get(bar_layer, ())) if bar_layer else ()  # the input bar stands for no layer


def bar_boxes(figure: PaperFigure) -> dict[str, tuple[float, float, float, float]]:
    """Each bar's box (x, y, w, h) in SVG units, by node id."""
    return {bar_id(i): (bar.x, bar.y, bar.w, bar.h) for i, bar in enumerate(figure.bars)}


def _with_recorded_names(figure: PaperFigure, found: Inspection) -> PaperFigure:
    """A model that is exactly a config is drawn from the config (`paper_figure`), whose layer names are not the
    model's: give each bar the recorded layer it stands for, matched in order by output shape and parameters."""
    from unetviz.core.analysis import analyze

    if found.matched is None:
        return figure
    names = _recorded_names(analyze(found.matched).layers, found.layers)
    bars = tuple(dataclasses.replace(bar, layer=names.get(bar.layer, bar.layer)) for bar in figure.bars)
    return dataclasses.replace(figure, bars=bars)


def _recorded_names(ours: tuple[Layer, ...], recorded: tuple[Layer, ...]) -> dict[str, str]:
    """Our layer name -> the recorded one: the first unused recorded layer of the same output shape and
    parameter count, one of the same type when there is one (`match_config` allows another order)."""
    unused = list(recorded)
    names = {}
    for layer in ours:
        same = [r for r in unused if r.out_shape == layer.out_shape and r.params == layer.params]
        if not same:
            continue
        chosen = next((r for r in same if r.type == layer.type), same[0])
        unused.remove(chosen)
        names[layer.name] = chosen.name
    return names
