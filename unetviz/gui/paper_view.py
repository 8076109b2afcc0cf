"""The Paper view in the app: the 2015 paper's Figure 1 drawing (laid out by unetviz, not Graphviz) as a Diagram.

It is made in a worker thread, SVG and all. Each bar becomes one node of a small graph whose layers are the
bar's layer and the layers after it that draw no bar of their own (norm, activation, crop), so the window's
table↔diagram link works as in the other views; the bars' rectangles are the hit boxes (no SVG is parsed).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from unetviz.core.errors import ConfigError, RenderError
from unetviz.core.inspection import Inspection
from unetviz.draw.graph import Graph, Node
from unetviz.gui.worker import Diagram

if TYPE_CHECKING:
    from unetviz.core.analysis import Analysis
    from unetviz.core.config import UNetConfig
    from unetviz.draw.paper_layout import PaperFigure

PAPER = "paper"


def bar_id(index: int) -> str:
    """The node id of the figure's bar `index` (its place in PaperFigure.bars)."""
    return f"bar{index}"


def paper_diagram(
    analysis: Analysis | Inspection, config: UNetConfig | None, started: float, theme: str = "light"
) -> Diagram:
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
    svg = for_qt(to_svg(figure, theme)).encode("utf-8")
    graph = bar_graph(figure, [layer.name for layer in analysis.layers])
    return Diagram(PAPER, graph, svg, config, time.perf_counter() - started, figure)


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
