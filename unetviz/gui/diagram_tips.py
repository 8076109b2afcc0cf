"""What the diagram's hover tooltips say: a node's title, lines and layers; an edge's operation, its two ends
and the formula of the layer that does it. Text only (escaped), from the graph and the analysis' layers."""

from __future__ import annotations

from html import escape

from unetviz.core.records import Layer
from unetviz.draw.graph import Edge, Graph, Node

MAX_LAYERS = 10  # a block's layers listed in its tooltip; more are counted
EDGE_WORDS = {
    "flow": "data flow",
    "pool": "down-sampling",
    "up": "up-sampling",
    "skip": "skip connection",
    "head": "output head",
    "residual": "residual shortcut",
    "fail": "a join that fails",
}
# the layer of the edge's target that does the edge's operation, by a word in its type or name
EDGE_LAYER = {
    "pool": ("pool", "stride"),
    "up": ("up", "transpose", "upsample"),
    "skip": ("crop", "concat", "pad", "add"),
    "fail": ("concat", "crop", "add"),
}


def node_tip(node: Node, layers: dict[str, Layer]) -> str:
    lines = [f"<b>{escape(node.title)}</b>", *(escape(line) for line in node.lines)]
    if node.alert:
        lines.append(f"<b>{escape(node.alert)}</b>")
    shown = node.layers[:MAX_LAYERS]
    for name in shown:
        layer = layers.get(name)
        lines.append(escape(_layer_text(layer) if layer is not None else name))
    if len(node.layers) > len(shown):
        lines.append(f"… and {len(node.layers) - len(shown)} more layers")
    if node.layers:
        lines.append("<i>Enter or a click selects its layers</i>")
    return _rich(lines)


def edge_tip(edge: Edge, graph: Graph, layers: dict[str, Layer]) -> str:
    titles = {n.id: n.title for n in graph.nodes}
    what = edge.label.strip() or EDGE_WORDS.get(edge.kind, edge.kind)
    source, target = titles.get(edge.source, edge.source), titles.get(edge.target, edge.target)
    lines = [f"<b>{escape(what)}</b> ({escape(EDGE_WORDS.get(edge.kind, edge.kind))})",
             f"{escape(source)} → {escape(target)}"]  # fmt: skip
    layer = operation_layer(edge, graph, layers)
    if layer is not None:
        lines.append(escape(_layer_text(layer)))
    return _rich(lines)


def operation_layer(edge: Edge, graph: Graph, layers: dict[str, Layer]) -> Layer | None:
    """The layer that does what the edge draws: its target's pool, up-sampling or join; else its first layer."""
    target = next((n for n in graph.nodes if n.id == edge.target), None)
    if target is None:
        return None
    known = [layers[name] for name in target.layers if name in layers]
    words = EDGE_LAYER.get(edge.kind, ())
    for layer in known:
        if any(word in f"{layer.name} {layer.type}".lower() for word in words):
            return layer
    return known[0] if known else None


def _layer_text(layer: Layer) -> str:
    formula = f": {layer.formula}" if layer.formula else ""
    return f"{layer.name} ({layer.type}){formula}"


def _rich(lines: list[str]) -> str:
    # <qt> makes Qt read it as rich text always, so a name with "<" in it is shown, not parsed
    return "<qt><p style='white-space:pre'>" + "<br>".join(lines) + "</p></qt>"
