"""A renderer-free graph of an analysis: nodes (blocks or layers) and edges (flow, pool, up, skip).

Three views: `u` (the 2015 paper's Figure 1), `blocks` (one node per block), `layers` (every layer).
Ids and order are deterministic, so the same config always gives the same graph. No Graphviz here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from unetviz.core.analysis import Analysis
from unetviz.core.shapes import Layer, size_text
from unetviz.report.tables import shape_text

VIEWS = ("u", "blocks", "layers")


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # input, encoder, bottleneck, decoder, output, layer
    title: str
    lines: tuple[str, ...]  # label lines under the title
    layers: tuple[str, ...]  # analysis layer names this node stands for
    level: int
    column: str  # encoder, bottleneck, decoder, top (input/output), chain
    params: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "lines": list(self.lines),
            "layers": list(self.layers),
            "level": self.level,
            "column": self.column,
            "params": self.params,
        }


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # flow, pool, up, skip, head
    label: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "target": self.target, "kind": self.kind, "label": self.label}


@dataclass(frozen=True)
class Graph:
    view: str
    title: str
    subtitle: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    legend: tuple[tuple[str, str], ...]  # (edge kind, text)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def node_of_layer(self, layer: str) -> Node | None:
        return next((n for n in self.nodes if layer in n.layers), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "view": self.view,
            "title": self.title,
            "subtitle": self.subtitle,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
            "legend": [list(item) for item in self.legend],
        }


def _edge_size(shape: tuple[int, ...]) -> str:
    spatial = shape[2:]
    return str(spatial[0]) if len(set(spatial)) == 1 else size_text(spatial)


def _blocks(analysis: Analysis) -> dict[str, list[Layer]]:
    blocks: dict[str, list[Layer]] = {}
    for layer in analysis.layers:
        blocks.setdefault(layer.block, []).append(layer)
    return blocks


def _conv_text(analysis: Analysis) -> str:
    cfg = analysis.config
    k = "×".join([str(cfg.kernel_size)] * cfg.dims)
    norm = {"batch": ", BN", "instance": ", IN", "none": ""}[cfg.norm]
    return f"{cfg.convs_per_block}× conv {k} {cfg.padding}{norm}, ReLU"


def _pool_text(analysis: Analysis) -> str:
    cfg = analysis.config
    return f"{cfg.pooling} pool {'×'.join(['2'] * cfg.dims)}"


def _up_text(analysis: Analysis) -> str:
    cfg = analysis.config
    if cfg.upsampling == "transpose":
        return f"up-conv {'×'.join(['2'] * cfg.dims)}"
    return f"{'bilinear' if cfg.dims == 2 else 'trilinear'} ×2" if cfg.upsampling == "bilinear" else "nearest ×2"


def _skip_text(merge: Layer) -> str:
    amounts = merge.amounts or ()
    befores = {a for a, _ in amounts}
    afters = {b for _, b in amounts}
    if not any(a or b for a, b in amounts):
        return "copy"
    if len(befores) == 1 and len(afters) == 1:
        a, b = next(iter(befores)), next(iter(afters))
        amount = f"{a}" if a == b else f"{a}/{b}"
    else:
        amount = ", ".join(f"{a}/{b}" for a, b in amounts)
    if merge.type == "Crop":
        return f"copy and crop −{amount}"
    return f"copy, pad +{amount}"


def _title(analysis: Analysis) -> tuple[str, str]:
    s = analysis.shapes
    cfg = analysis.config
    subtitle = (
        f"{shape_text(s.input_shape)} → {shape_text(s.output_shape)} · {s.total_params:,} parameters · "
        f"{cfg.padding} padding, {cfg.upsampling}, {cfg.merge} skips"
    )
    return cfg.name, subtitle


def _block_nodes(analysis: Analysis) -> list[Node]:
    """One node per block, with the size chain through it (572 → 570 → 568, as in Figure 1)."""
    nodes = []
    conv = _conv_text(analysis)
    for block, layers in _blocks(analysis).items():
        names = tuple(layer.name for layer in layers)
        params = sum(layer.params for layer in layers)
        out = shape_text(layers[-1].out_shape)
        if block == "head":
            nodes.append(Node("head", "output", "output", (out, "conv 1×1"), names, 0, "top", params))
            continue
        kind = "bottleneck" if block == "bottleneck" else "encoder" if block.startswith("enc") else "decoder"
        convs = [layer for layer in layers if layer.type in ("Conv2d", "Conv3d")]
        # the chain starts where the convs start: after the pool, or after the concat in a decoder
        chain = " → ".join(_edge_size(shape) for shape in [convs[0].in_shape, *(c.out_shape for c in convs)])
        what = conv
        if kind == "decoder":
            what = f"concat {convs[0].in_shape[1]} ch, {conv}"
        nodes.append(Node(block, kind, block, (out, chain, what, f"{params:,} params"), names, layers[0].level,
                          kind, params))  # fmt: skip
    return nodes


def _merge_layer(analysis: Analysis, level: int) -> Layer:
    return next(layer for layer in analysis.layers if layer.block == f"dec{level}" and layer.type in ("Crop", "Pad"))


def _u_graph(analysis: Analysis) -> tuple[list[Node], list[Edge]]:
    depth = analysis.config.depth
    input_node = Node("input", "input", "input", (shape_text(analysis.shapes.input_shape),), (), 0, "top")
    nodes = [input_node, *_block_nodes(analysis)]
    edges = [Edge("input", "enc0", "flow")]
    pool, up = _pool_text(analysis), _up_text(analysis)
    odd = {w.layer for w in analysis.warnings if w.kind == "odd-pool"}
    for level in range(1, depth + 1):
        target = f"enc{level}" if level < depth else "bottleneck"
        note = " (odd size: drops a row)" if f"{target}.pool" in odd else ""
        edges.append(Edge(f"enc{level - 1}", target, "pool", pool + note))
    edges.append(Edge("bottleneck", f"dec{depth - 1}", "up", up))
    for level in range(depth - 1, 0, -1):
        edges.append(Edge(f"dec{level}", f"dec{level - 1}", "up", up))
    for level in range(depth):
        edges.append(Edge(f"enc{level}", f"dec{level}", "skip", _skip_text(_merge_layer(analysis, level))))
    edges.append(Edge("dec0", "head", "head", "conv 1×1"))
    return nodes, edges


def _blocks_graph(analysis: Analysis) -> tuple[list[Node], list[Edge]]:
    role = {"encoder": "DoubleConv", "bottleneck": "Down", "decoder": "Up", "output": "OutConv"}
    nodes = [Node("input", "input", "input", (shape_text(analysis.shapes.input_shape),), (), 0, "chain")]
    blocks = _blocks(analysis)
    for node in _block_nodes(analysis):
        layers = blocks[node.id]
        kind = "Down" if node.kind == "encoder" and node.id != "enc0" else role[node.kind]
        lines = (
            f"{kind}",
            f"in {shape_text(layers[0].in_shape)}",
            f"out {shape_text(layers[-1].out_shape)}",
            f"{node.params:,} params",
        )
        nodes.append(Node(node.id, node.kind, node.id, lines, node.layers, node.level, "chain", node.params))
    edges = [Edge(a.id, b.id, "flow") for a, b in itertools.pairwise(nodes)]
    for level in range(analysis.config.depth):
        edges.append(Edge(f"enc{level}", f"dec{level}", "skip", _skip_text(_merge_layer(analysis, level))))
    return nodes, edges


def _layer_id(name: str) -> str:
    return name.replace(".", "_")


def _layers_graph(analysis: Analysis) -> tuple[list[Node], list[Edge]]:
    nodes = [Node("input", "input", "input", (shape_text(analysis.shapes.input_shape),), (), 0, "chain")]
    edges = []
    previous = "input"
    skip_sources: dict[int, str] = {}
    for layer in analysis.layers:
        node_id = _layer_id(layer.name)
        # ⌊ ⌋ are missing from the fonts some engines measure with: spell the floor out
        formula = layer.formula.replace("⌊", "floor(").replace("⌋", ")")
        lines = (f"{layer.type} → {shape_text(layer.out_shape)}", formula)
        nodes.append(Node(node_id, "layer", layer.name, lines, (layer.name,), layer.level, layer.block, layer.params))
        if layer.type == "Crop":
            # the crop reads the skip, not the up-sampled map: it hangs off the encoder's last layer
            edges.append(Edge(skip_sources[layer.level], node_id, "skip", _skip_text(layer)))
            edges.append(Edge(node_id, _layer_id(f"{layer.block}.concat"), "flow"))
            continue
        if layer.type == "Concat" and analysis.config.merge == "pad":
            edges.append(Edge(skip_sources[layer.level], node_id, "skip", "copy"))
        if not (layer.type == "Concat" and analysis.config.merge == "crop"):
            edges.append(Edge(previous, node_id, "flow"))
        else:
            edges.append(Edge(_layer_id(f"{layer.block}.up"), node_id, "flow"))
        if layer.block.startswith("enc"):
            skip_sources[layer.level] = node_id
        previous = node_id
    return nodes, edges


_LEGEND = {
    "u": (
        ("flow", "input"),
        ("pool", "down-sampling"),
        ("up", "up-sampling"),
        ("skip", "skip (copy)"),
        ("head", "conv 1×1"),
    ),
    "blocks": (("flow", "data flow"), ("skip", "skip (copy)")),
    "layers": (("flow", "data flow"), ("skip", "skip (copy)")),
}


def build_graph(analysis: Analysis, view: str = "u") -> Graph:
    builders = {"u": _u_graph, "blocks": _blocks_graph, "layers": _layers_graph}
    if view not in builders:
        from unetviz.core.errors import ConfigError

        raise ConfigError("view", view, "one of " + ", ".join(VIEWS))
    nodes, edges = builders[view](analysis)
    title, subtitle = _title(analysis)
    return Graph(view, title, subtitle, tuple(nodes), tuple(edges), _LEGEND[view])
