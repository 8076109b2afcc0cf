"""The dark theme: the light drawing recoloured — the same layout, legible colours, the light output untouched."""

from __future__ import annotations

import re

import pytest

from unetviz.core.analysis import analyze
from unetviz.core.config import load_config
from unetviz.core.errors import RenderError
from unetviz.draw.graph import VIEWS, build_graph
from unetviz.draw.graphviz_process import run_graphviz
from unetviz.draw.paper_svg import ARROW_STYLE, BAR_STYLE, to_svg
from unetviz.draw.render import EDGE_COLOUR, FILL, embedded_dot, render, resolve_engine, to_dot
from unetviz.draw.theme import DARK_CANVAS, DARK_COLOURS, DARK_INK, contrast, dark_colour, recolour
from unetviz.report.export import paper_figure

COLOURS = re.compile(r'"(#[0-9a-fA-F]{6})"')


def placed_nodes(binary: str, source: str) -> list[list[str]]:
    """Each node's name, centre and size from Graphviz's plain output."""
    lines = run_graphviz(binary, "plain", source).decode().splitlines()
    return [line.split()[:6] for line in lines if line.startswith("node")]


def test_dark_dot_has_the_light_layout_and_dark_colours() -> None:
    graph = build_graph(analyze(load_config("ronneberger2015")), "u")
    light, dark = to_dot(graph), to_dot(graph, "dark")
    assert to_dot(graph, "light") == light and "bgcolor=white" in light
    assert f'bgcolor="{DARK_CANVAS}"' in dark and f'node [fontcolor="{DARK_INK}"]' in dark
    _name, binary = resolve_engine("auto")
    light_nodes = [
        line for line in run_graphviz(binary, "plain", light).decode().splitlines() if line.startswith("node")
    ]
    dark_nodes = [line for line in run_graphviz(binary, "plain", dark).decode().splitlines() if line.startswith("node")]
    assert [line.split()[:6] for line in dark_nodes] == [line.split()[:6] for line in light_nodes]
    written = set(COLOURS.findall(dark))
    assert written <= {*DARK_COLOURS.values(), DARK_INK}, written - {*DARK_COLOURS.values(), DARK_INK}


@pytest.mark.parametrize("view", VIEWS)
def test_dark_svg_background_is_dark(view: str) -> None:
    assert embedded_dot() is not None  # graphviz-pure is a dependency: its `dot` is beside this Python
    svg = render(build_graph(analyze(load_config("milesial")), view), "svg", engine="embedded", theme="dark")
    assert f'fill="{DARK_CANVAS}"' in svg.decode()
    assert 'fill="white"' not in svg.decode()


def test_dark_colours_are_legible() -> None:
    for fill, border in FILL.values():
        assert contrast(dark_colour(fill), DARK_INK) >= 4.5, fill  # a box's text
        assert contrast(dark_colour(fill), dark_colour("#333333")) >= 4.5, fill  # its second lines
        assert contrast(dark_colour(border), DARK_CANVAS) >= 3, border
    for colour in EDGE_COLOUR.values():
        assert contrast(dark_colour(colour), DARK_CANVAS) >= 4.5, colour  # also the arrows' labels
    for fill, outline in BAR_STYLE.values():
        assert contrast(dark_colour(outline), DARK_CANVAS) >= 3, outline
        assert contrast(dark_colour(outline), dark_colour(fill)) >= 3, outline
    for colour, _dash, _width in ARROW_STYLE.values():
        assert contrast(dark_colour(colour), DARK_CANVAS) >= 3, colour
    assert contrast(DARK_INK, DARK_CANVAS) >= 7


def test_dark_paper_figure_and_a_name_that_looks_like_a_colour() -> None:
    cfg = load_config("ronneberger2015").replace(name='white "#ffffff"')
    figure = paper_figure(analyze(cfg))
    light, dark = to_svg(figure), to_svg(figure, "dark")
    assert re.sub(r'"#[0-9a-fA-F]{6}"|"white"', "", light) == re.sub(
        rf'"#[0-9a-fA-F]{{6}}"|"white"| fill="{DARK_INK}"', "", dark
    )  # only colours differ
    assert f'fill="{DARK_CANVAS}"' in dark and f'fill="{DARK_INK}"' in dark
    graph = build_graph(analyze(cfg), "u")
    assert "white &quot;#ffffff&quot;" in to_dot(graph, "dark")  # the name is text, not a colour
    assert recolour('label="#ffffff" x') == f'label="{DARK_COLOURS["#ffffff"]}" x'


def test_an_unknown_theme_is_refused() -> None:
    graph = build_graph(analyze(load_config("small")), "u")
    with pytest.raises(RenderError, match="theme: 'sepia' is not allowed"):
        to_dot(graph, "sepia")


def test_an_unlisted_colour_keeps_its_hue_and_turns_dark() -> None:
    assert contrast(dark_colour("#fafad2"), DARK_INK) >= 4.5  # a pale fill becomes a deep one
    assert contrast(dark_colour("#202020"), DARK_CANVAS) >= 4.5  # dark ink becomes light
