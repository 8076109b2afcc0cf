"""Graph -> DOT -> SVG/PNG/PDF with Graphviz: the system `dot`, else the embedded graphviz-pure.

graphviz-pure has no PDF output; then the PDF is drawn from the SVG with Qt (vector, offscreen).
"""

from __future__ import annotations

import functools
import html
import json
import math
import os
import re
import shutil
import sys
from pathlib import Path

import graphviz

from unetviz.core.errors import RenderError
from unetviz.draw.graph import Edge, Graph, Node
from unetviz.draw.graphviz_process import engine_version, run_graphviz
from unetviz.draw.theme import DARK_INK, LIGHT, check_theme, recolour

ENGINES = ("auto", "system", "embedded")
FORMATS = ("svg", "png", "pdf", "dot", "json")
FONT = "Arial"  # measured by graphviz-pure's built-in metrics; Liberation Sans/Arimo stand in on Linux
PAD_IN = 0.3  # the graph's pad attribute, on every side
DETAIL_PT = 11  # the smallest label (detail lines, edge labels, legend): 11 px on screen at 1:1 in the app
SUBTITLE_CHARS = 56  # a longer subtitle breaks at its " · " so that it does not set the drawing's width
MAX_PNG_PIXELS = 100_000_000  # 400 MB of RGBA while drawing; a poster at 300 dpi is ~30 megapixels

FILL = {
    "input": ("#f1f1f1", "#666666"),
    "output": ("#f1f1f1", "#666666"),
    "encoder": ("#dcebf8", "#2b6cb0"),
    "bottleneck": ("#ebe4f7", "#6b46c1"),
    "decoder": ("#dff3e3", "#2f855a"),
    "layer": ("#ffffff", "#555555"),
    "side": ("#f1f1f1", "#0f8b8d"),
}
EDGE_COLOUR = {
    "flow": "#2b6cb0",
    "pool": "#c53030",
    "up": "#2f855a",
    "skip": "#6b7280",
    "head": "#0f8b8d",
    "residual": "#9c6d1e",
    "fail": "#e00000",
}
ALERT_COLOUR = "#e00000"


def _label(node: Node) -> str:
    title = f'<FONT POINT-SIZE="13"><B>{html.escape(node.title)}</B></FONT>'
    lines = [html.escape(node.lines[0])] if node.lines else []
    lines += [f'<FONT POINT-SIZE="{DETAIL_PT}" COLOR="#333333">{html.escape(line)}</FONT>' for line in node.lines[1:]]
    if node.alert:
        lines.append(f'<FONT POINT-SIZE="{DETAIL_PT}" COLOR="{ALERT_COLOUR}"><B>{html.escape(node.alert)}</B></FONT>')
    return "<" + "<BR/>".join([title, *lines]) + ">"


def _edge_attrs(edge: Edge, view: str) -> dict[str, str]:
    attrs = {"color": EDGE_COLOUR[edge.kind], "fontcolor": EDGE_COLOUR[edge.kind], "penwidth": "1.6"}
    if edge.label:
        attrs["label"] = f" {edge.label} "
    if edge.kind in ("skip", "fail", "residual"):
        attrs["style"] = "dashed"
    if edge.kind == "fail":
        attrs["penwidth"] = "2.4"
    if edge.kind in ("skip", "fail"):
        if view == "blocks":  # beside the chain, not through it
            attrs.update(constraint="false", tailport="e", headport="e")
    return attrs


def to_dot(graph: Graph, theme: str = LIGHT) -> str:
    """Deterministic DOT: the same graph always gives the same bytes; `theme` "dark" recolours it (same layout)."""
    check_theme(theme)
    dot = graphviz.Digraph("unet", comment=f"unetviz {graph.view} view")
    subtitle = "<BR/>".join(html.escape(line) for line in _wrapped(graph.subtitle))
    title = f'<<FONT POINT-SIZE="16"><B>{html.escape(graph.title)}</B></FONT><BR/>{subtitle}>'
    dot.attr(
        "graph",
        rankdir="TB",
        fontname=FONT,
        label=title,
        labelloc="t",
        nodesep="0.5",
        ranksep="0.45",
        newrank="true",
        bgcolor="white",
        pad=str(PAD_IN),
    )
    dot.attr("node", shape="box", style="rounded,filled", fontname=FONT, fontsize="11", margin="0.18,0.08")
    dot.attr("edge", fontname=FONT, fontsize=str(DETAIL_PT), arrowsize="0.8")
    if graph.view == "layers":
        _layers_body(dot, graph)
    else:
        for node in graph.nodes:
            dot.node(node.id, _label(node), **_node_attrs(node, graph.view))
    if graph.view == "u":
        _u_ranks(dot, graph)
    if graph.view == "layers":
        _layers_ranks(dot, graph)
    rising = _rising_nodes(graph)
    for index, edge in enumerate(graph.edges):
        attrs = {**_edge_attrs(edge, graph.view), "id": edge_id(index)}  # the app's hover finds it by this id
        if edge.kind not in ("skip", "fail") and edge.target in rising:
            # drawn upwards: written target -> source so dot ranks the decoder above its input
            dot.edge(edge.target, edge.source, dir="back", **attrs)
        else:
            dot.edge(edge.source, edge.target, **attrs)
    _legend(dot, graph)
    if theme == LIGHT:
        return dot.source
    head, brace, body = recolour(dot.source).partition("{\n")  # text without a colour of its own: light ink
    return f'{head}{brace}\tgraph [fontcolor="{DARK_INK}"]\n\tnode [fontcolor="{DARK_INK}"]\n{body}'


def edge_id(index: int) -> str:
    """The SVG id of the graph's edge `index` (its place in Graph.edges)."""
    return f"edge{index}"


def _wrapped(subtitle: str) -> list[str]:
    """The subtitle in lines of at most SUBTITLE_CHARS, broken at its " · " separators only."""
    lines: list[str] = []
    for part in subtitle.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= SUBTITLE_CHARS:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return lines


def _node_attrs(node: Node, view: str) -> dict[str, str]:
    fill, border = FILL[node.kind]
    attrs = {"id": node.id, "fillcolor": fill, "color": border, "penwidth": "1.4"}
    if node.alert:
        attrs.update(color=ALERT_COLOUR, penwidth="2.6")
    if view == "u" and node.column in ("encoder", "decoder"):
        attrs["group"] = node.column  # keeps each column a straight vertical line
    return attrs


def _rising_nodes(graph: Graph) -> set[str]:
    """The nodes of the U's right arm, which the data climbs: the decoder and the output."""
    if graph.view == "u":
        return {n.id for n in graph.nodes if n.kind in ("decoder", "output")}
    if graph.view == "layers":
        return {n.id for n in graph.nodes if n.column.startswith(("dec", "ds")) or n.column == "head"}
    return set()


def _layers_ranks(dot: graphviz.Digraph, graph: Graph) -> None:
    """Each skip level on one rank (the arrow runs straight across), and the input beside the output."""
    pairs = [(e.source, e.target) for e in graph.edges if e.kind in ("skip", "fail")]
    head = next((n.id for n in graph.nodes if n.column == "head"), None)
    for left, right in [("input", head), *pairs] if head else pairs:
        with dot.subgraph() as same:
            same.attr(rank="same")
            same.node(left)
            same.node(right)


def _u_ranks(dot: graphviz.Digraph, graph: Graph) -> None:
    levels = sorted({n.level for n in graph.nodes if n.kind in ("encoder", "decoder")})
    with dot.subgraph() as top:
        top.attr(rank="same")
        top.node("input")
        top.node("head")
    dot.edge("input", "head", style="invis", weight="0")
    sides = {n.level: n.id for n in graph.nodes if n.kind == "side"}
    ids = {n.id for n in graph.nodes}
    for level in levels:
        with dot.subgraph() as same:
            same.attr(rank="same")
            for node in (f"enc{level}", f"dec{level}", sides.get(level)):
                if node in ids:  # an inspected model may have a level on one side only
                    same.node(node)  # a deep-supervision head beside its decoder level


def _layers_body(dot: graphviz.Digraph, graph: Graph) -> None:
    blocks: dict[str, list[Node]] = {}
    for node in graph.nodes:
        blocks.setdefault(node.column, []).append(node)
    for block, nodes in blocks.items():
        if block == "chain":
            for node in nodes:
                dot.node(node.id, _label(node), **_node_attrs(node, graph.view))
            continue
        kind = "encoder" if block.startswith("enc") else "decoder" if block.startswith("dec") else "bottleneck"
        fill, border = FILL[kind] if block != "head" and not block.startswith("ds") else FILL["output"]
        with dot.subgraph(name=f"cluster_{block}") as cluster:
            cluster.attr(
                label=f"<<B>{block}</B>>",
                style="rounded,filled",
                fillcolor=fill,
                color=border,
                fontname=FONT,
                labeljust="l",
            )
            for node in nodes:
                cluster.node(node.id, _label(node), **_node_attrs(node, graph.view))


def _legend(dot: graphviz.Digraph, graph: Graph) -> None:
    dashed = ("skip", "fail", "residual")
    rows = "".join(
        f'<TR><TD><FONT COLOR="{EDGE_COLOUR[kind]}"><B>{"- - →" if kind in dashed else "——→"}</B></FONT></TD>'
        f'<TD ALIGN="LEFT">{html.escape(text)}</TD></TR>'
        for kind, text in graph.legend
    )
    table = (
        f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2"><TR><TD COLSPAN="2"><B>legend</B></TD></TR>{rows}</TABLE>>'
    )
    dot.node("legend", table, id="legend", shape="box", style="rounded", color="#bbbbbb", fontsize=str(DETAIL_PT))
    if graph.view == "u":
        with dot.subgraph() as bottom:
            bottom.attr(rank="same")
            bottom.node("bottleneck")
            bottom.node("legend")
        last_dec = max((n.level for n in graph.nodes if n.kind == "decoder"), default=0)
        dot.edge(f"dec{last_dec}", "legend", style="invis")
    else:  # beside the first block, out of the chain's way
        with dot.subgraph() as beside:
            beside.attr(rank="same")
            beside.node(graph.nodes[1].id)
            beside.node("legend")


# --- engines ---------------------------------------------------------------------------------------------


def system_dot() -> str | None:
    return shutil.which("dot")


def embedded_dot() -> str | None:
    found = shutil.which("graphviz-pure")
    if found:
        return found
    beside = Path(sys.executable).parent / ("graphviz-pure.exe" if os.name == "nt" else "graphviz-pure")
    return str(beside) if beside.is_file() else None


def resolve_engine(engine: str) -> tuple[str, str]:
    """(engine name, binary) for `engine`; RenderError with how to fix it when none is usable."""
    if engine not in ENGINES:
        raise RenderError(f"engine: {engine!r} is not allowed; expected one of {', '.join(ENGINES)}")
    if engine in ("auto", "system") and (binary := system_dot()):
        return "system", binary
    if engine in ("auto", "embedded") and (binary := embedded_dot()):
        return "embedded", binary
    wanted = {"system": "the system `dot`", "embedded": "graphviz-pure", "auto": "a Graphviz engine"}[engine]
    raise RenderError(
        f"no {wanted} found: install Graphviz (apt install graphviz / brew install graphviz) or "
        "`pip install graphviz-pure`; .dot, .json and tables need neither"
    )


def _run(binary: str, fmt: str, source: str, extra: list[str] | None = None) -> bytes:
    return run_graphviz(binary, fmt, source, extra)


GENERATED_BY = re.compile(rb"<!-- Generated by ([^\n]*?)\s*-->")


@functools.lru_cache(maxsize=8)  # keyed on the binary's path: one `-V` per engine per process
def _asked_version(binary: str) -> str:
    return engine_version(binary)


def _engine_version(svg: bytes, binary: str) -> str:
    """The version Graphviz writes into its own SVG (`Generated by graphviz version 2.43.0 (0)`); `binary -V`, once
    per process, only for an SVG without one (a second process otherwise: 10–15 ms of a cold export)."""
    found = GENERATED_BY.search(svg[:1024])
    if found:
        return found.group(1).decode("utf-8", "replace")
    return _asked_version(binary)


def _mark_svg(svg: bytes, engine: str, binary: str) -> bytes:
    version = _engine_version(svg, binary).replace("--", "- -")  # "--" would end the XML comment early
    comment = f"<!-- unetviz: laid out and drawn by the {engine} engine ({version}) -->\n"
    marker = b"<svg"
    at = svg.find(marker)
    return svg[:at] + comment.encode("utf-8") + svg[at:] if at >= 0 else svg


def png_size(width_in: float, height_in: float, dpi: int) -> tuple[int, int]:
    """The pixels of a PNG of a graph laid out `width_in` × `height_in` inches (its pad added) at `dpi`."""
    return math.ceil((width_in + 2 * PAD_IN) * dpi), math.ceil((height_in + 2 * PAD_IN) * dpi)


def _layout_size(binary: str, source: str) -> tuple[float, float]:
    """The laid-out graph's width and height in inches: the first line of Graphviz's plain output."""
    first = run_graphviz(binary, "plain", source).decode("utf-8").split("\n", 1)[0].split()
    try:
        width, height = float(first[2]), float(first[3])
    except (IndexError, ValueError):
        raise RenderError(f"{binary} gave no graph size in its plain output") from None
    if not (math.isfinite(width) and math.isfinite(height)):
        raise RenderError(f"{binary} gave no graph size in its plain output")
    return width, height


def check_png_size(binary: str, source: str, dpi: int) -> None:
    """Refuse, before drawing, a PNG above MAX_PNG_PIXELS: its memory grows with dpi²."""
    width, height = png_size(*_layout_size(binary, source), dpi)
    if width * height > MAX_PNG_PIXELS:
        fits = max(1, math.floor(dpi * math.sqrt(MAX_PNG_PIXELS / (width * height))))
        raise RenderError(
            f"--dpi {dpi}: the PNG would be {width:,}×{height:,} pixels ({width * height / 1e6:,.0f} megapixels, "
            f"more than {MAX_PNG_PIXELS / 1e6:.0f}); use --dpi {fits} or less, or SVG/PDF"
        )


def render(graph: Graph, fmt: str, engine: str = "auto", dpi: int = 150, theme: str = LIGHT) -> bytes:
    """The graph drawn as `fmt` (svg, png, pdf, dot, json), in the light or the dark `theme`."""
    if fmt not in FORMATS:
        raise RenderError(f"format: {fmt!r} is not allowed; expected one of {', '.join(FORMATS)}")
    if fmt == "json":
        return (json.dumps(graph.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    source = to_dot(graph, theme)
    if fmt == "dot":
        return source.encode("utf-8")
    if not 10 <= dpi <= 1200:
        raise RenderError(f"dpi: {dpi} is not allowed; expected an integer from 10 to 1200")
    name, binary = resolve_engine(engine)
    if fmt == "svg":
        return _mark_svg(_run(binary, "svg", source), name, binary)
    if fmt == "png":
        check_png_size(binary, source, dpi)
        return _run(binary, "png", source, [f"-Gdpi={dpi}"])
    if name == "system":
        return _run(binary, "pdf", source)
    from unetviz.draw.pdf import svg_to_pdf  # Qt loads only for this

    return svg_to_pdf(_run(binary, "svg", source))


def layout_boxes(graph: Graph, engine: str = "auto") -> dict[str, tuple[float, float, float, float]]:
    """Each node's laid-out box (centre x, centre y, width, height) in inches, from Graphviz's plain output."""
    _name, binary = resolve_engine(engine)
    boxes = {}
    for line in _run(binary, "plain", to_dot(graph)).decode("utf-8").splitlines():  # checked to be UTF-8
        parts = line.split()
        if parts and parts[0] == "node":
            boxes[parts[1].strip('"')] = (float(parts[2]), float(parts[3]), float(parts[4]), float(parts[5]))
    return boxes
