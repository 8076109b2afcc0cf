"""A renderer-free graph of an analysis: nodes (blocks or layers) and edges (flow, pool, up, skip).

Three views: `u` (the 2015 paper's Figure 1), `blocks` (one node per block), `layers` (every layer).
Ids and order are deterministic, so the same config always gives the same graph. No Graphviz here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from unetviz.core.analysis import Analysis
from unetviz.core.inspection import Inspection
from unetviz.core.plan import DecoderStage, EncoderStage
from unetviz.core.records import by_block
from unetviz.core.shapes import ACTIVATION_TYPES, Layer, axes_text, size_text
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
    column: str  # encoder, bottleneck, decoder, top (input/output), side (deep supervision), chain
    params: int = 0
    alert: str = ""  # what fails here (a `strict` concat of unequal sizes): drawn in red

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
            **({"alert": self.alert} if self.alert else {}),
        }


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # flow, pool, up, skip, head, residual (a shortcut), fail (a join that fails)
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
    return by_block(analysis.layers)


NORM_TEXT = {"batch": ", BN", "instance": ", IN", "group": ", GN", "none": ""}


def _conv_text(analysis: Analysis, stage: EncoderStage | DecoderStage) -> str:
    """`2× conv 3×3 same, BN, ReLU`; per axis and with the stride where they differ (`conv 1×3×3`, `/2`)."""
    cfg = analysis.config
    kernel = axes_text(stage.kernel)
    act = ACTIVATION_TYPES[cfg.activation]
    stride = ""
    if isinstance(stage, EncoderStage) and stage.down == "conv" and any(s > 1 for s in stage.stride):
        stride = f" (first /{axes_text(stage.stride, short=True)})"
    unit = f"conv {kernel}{stride} {cfg.padding}{NORM_TEXT[cfg.norm]}, {act}"
    if stage.residual:
        unit = f"res block: 2× {unit}"
    text = f"{len(stage.widths)}× {unit}"
    if isinstance(stage, EncoderStage) and stage.stem is not None:
        text = f"stem conv {kernel}, {text}"
    return text


def _pool_text(stage: EncoderStage) -> str:
    if stage.down == "conv":
        return f"strided conv /{axes_text(stage.stride, short=True)}"
    return f"{stage.down} pool {axes_text(stage.stride)}"


def _up_text(analysis: Analysis, stage: DecoderStage) -> str:
    if stage.up == "transpose":
        text = f"up-conv {axes_text(stage.up_kernel)}"
        return text if stage.up_kernel == stage.stride else f"{text} /{axes_text(stage.stride, short=True)}"
    scale = axes_text(stage.stride, short=True)
    if stage.up == "bilinear":
        return f"{'bilinear' if analysis.config.dims == 2 else 'trilinear'} ×{scale}"
    return f"nearest ×{scale}"


def _skip_text(merge: Layer) -> str:
    if merge.error:
        return f"concat fails: {_size_pair(merge)}"
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
    if any(a < 0 or b < 0 for a, b in amounts):
        return f"copy, pad (negative: crops) {amount}"
    return f"copy, pad +{amount}"


def _size_pair(concat: Layer) -> str:
    """`33 vs 32`: the first axis where a failing concat's skip and up-sampled map differ."""
    message = concat.error or ""
    words = message.split()
    try:
        expected = words[words.index("size") + 1]
        got = words[words.index("got") + 2]
    except (ValueError, IndexError):
        return "sizes differ"
    return f"{expected} vs {got}"


def _title(analysis: Analysis) -> tuple[str, str]:
    s = analysis.shapes
    cfg = analysis.config
    failed = next((layer.name for layer in s.layers if layer.error), None)
    output = f"fails at {failed}" if failed else shape_text(s.output_shape)
    subtitle = (
        f"{shape_text(s.input_shape)} → {output} · {s.total_params:,} parameters · "
        f"{cfg.padding} padding, {cfg.upsampling}, {cfg.merge} skips"
    )
    return cfg.name, subtitle


def _block_nodes(analysis: Analysis) -> list[Node]:
    """One node per block, with the size chain through it (572 → 570 → 568, as in Figure 1)."""
    nodes = []
    plan = analysis.config.plan
    stages: dict[str, EncoderStage | DecoderStage] = {s.block: s for s in plan.encoder}
    stages.update({s.block: s for s in plan.decoder})
    for block, layers in _blocks(analysis).items():
        names = tuple(layer.name for layer in layers)
        params = sum(layer.params for layer in layers)
        out = shape_text(layers[-1].out_shape)
        if block == "head":
            nodes.append(Node("head", "output", "output", (out, "conv 1×1"), names, 0, "top", params))
            continue
        if block.startswith("ds"):
            lines = (out, "conv 1×1, deep supervision")
            nodes.append(Node(block, "side", block, lines, names, layers[0].level, "side", params))
            continue
        kind = "bottleneck" if block == "bottleneck" else "encoder" if block.startswith("enc") else "decoder"
        # the chain runs along the main path's convs: after the pool, or after the concat in a decoder
        convs = [layer for layer in layers if layer.type in ("Conv2d", "Conv3d") and ".skip_" not in layer.name]
        chain = _chain([_edge_size(shape) for shape in [convs[0].in_shape, *(c.out_shape for c in convs)]])
        what = _conv_text(analysis, stages[block])
        failed = next((layer for layer in layers if layer.error), None)
        if kind == "decoder":
            what = f"concat {convs[0].in_shape[1]} ch, {what}"
        alert = f"torch.cat fails: {_size_pair(failed)}" if failed else ""
        nodes.append(Node(block, kind, block, (out, chain, what, f"{params:,} params"), names, layers[0].level,
                          kind, params, alert))  # fmt: skip
    return nodes


def _chain(sizes: list[str]) -> str:
    """`572 → 570 → 568`, as in Figure 1; a long stage (residual blocks) as `20 → 10 → … → 10 (12 convs)`."""
    if len(sizes) <= 5:
        return " → ".join(sizes)
    return f"{sizes[0]} → {sizes[1]} → … → {sizes[-1]} ({len(sizes) - 1} convs)"


def _merge_layer(analysis: Analysis, level: int) -> Layer:
    """The layer that joins the skip at `level`: its crop or pad, or (a `strict` merge) the concat itself."""
    joins = [layer for layer in analysis.layers if layer.block == f"dec{level}" and layer.type in ("Crop", "Pad")]
    if joins:
        return joins[0]
    return next(layer for layer in analysis.layers if layer.name == f"dec{level}.concat")


def _skip_edge(analysis: Analysis, level: int) -> Edge:
    merge = _merge_layer(analysis, level)
    return Edge(f"enc{level}", f"dec{level}", "fail" if merge.error else "skip", _skip_text(merge))


def _u_graph(analysis: Analysis) -> tuple[list[Node], list[Edge]]:
    depth = analysis.config.depth
    input_node = Node("input", "input", "input", (shape_text(analysis.shapes.input_shape),), (), 0, "top")
    nodes = [input_node, *_block_nodes(analysis)]
    edges = [Edge("input", "enc0", "flow")]
    plan = analysis.config.plan
    odd = {w.layer for w in analysis.warnings if w.kind == "odd-pool"}
    for stage in plan.encoder[1:]:
        level = stage.level
        target = stage.block
        if f"{target}.pool" in odd:
            note = " (odd size: drops a row)"
        elif f"{target}.conv1" in odd or f"{target}.res1.conv1" in odd:
            note = " (size not divisible)"
        else:
            note = ""
        edges.append(Edge(f"enc{level - 1}", target, "pool", _pool_text(stage) + note))
    for dec in plan.decoder:
        source = "bottleneck" if dec.level == depth - 1 else f"dec{dec.level + 1}"
        edges.append(Edge(source, dec.block, "up", _up_text(analysis, dec)))
    for level in range(depth):
        edges.append(_skip_edge(analysis, level))
    edges.append(Edge("dec0", "head", "head", "conv 1×1"))
    edges += [Edge(f"dec{n.level}", n.id, "head", "deep supervision") for n in nodes if n.kind == "side"]
    return nodes, edges


def _blocks_graph(analysis: Analysis) -> tuple[list[Node], list[Edge]]:
    role = {"encoder": "DoubleConv", "bottleneck": "Down", "decoder": "Up", "output": "OutConv", "side": "OutConv"}
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
        nodes.append(Node(node.id, node.kind, node.id, lines, node.layers, node.level, "chain", node.params,
                          node.alert))  # fmt: skip
    main = [n for n in nodes if n.kind != "side"]
    edges = [Edge(a.id, b.id, "flow") for a, b in itertools.pairwise(main)]
    edges += [Edge(f"dec{n.level}", n.id, "head", "deep supervision") for n in nodes if n.kind == "side"]
    for level in range(analysis.config.depth):
        edges.append(_skip_edge(analysis, level))
    return nodes, edges


def _layer_id(name: str) -> str:
    return name.replace(".", "_")


def _layers_graph(analysis: Analysis) -> tuple[list[Node], list[Edge]]:
    nodes = [Node("input", "input", "input", (shape_text(analysis.shapes.input_shape),), (), 0, "chain")]
    edges = []
    previous = "input"
    skip_sources: dict[int, str] = {}
    block_inputs: dict[str, str] = {}  # residual block prefix -> the node its shortcut starts from
    shortcut_ends: dict[str, str] = {}
    merge = analysis.config.merge
    for layer in analysis.layers:
        node_id = _layer_id(layer.name)
        # ⌊ ⌋ are missing from the fonts some engines measure with: spell the floor out
        formula = layer.formula.replace("⌊", "floor(").replace("⌋", ")")
        lines = (f"{layer.type} → {shape_text(layer.out_shape)}", formula)
        alert = f"torch.cat fails: {_size_pair(layer)}" if layer.error else ""
        nodes.append(Node(node_id, "layer", layer.name, lines, (layer.name,), layer.level, layer.block, layer.params,
                          alert))  # fmt: skip
        prefix, _, short = layer.name.rpartition(".")
        if layer.block.startswith("ds"):  # a deep-supervision head hangs off its decoder level's output
            edges.append(Edge(previous, node_id, "head"))
            continue
        if ".res" in layer.name and short.startswith("conv1") and prefix not in block_inputs:
            block_inputs[prefix] = previous
        if short.startswith("skip_"):  # a residual shortcut: from the block's input, beside the main path
            source = shortcut_ends.get(prefix, block_inputs[prefix])
            edges.append(Edge(source, node_id, "residual"))
            shortcut_ends[prefix] = node_id
            continue
        if short == "add":
            edges.append(Edge(shortcut_ends.get(prefix, block_inputs[prefix]), node_id, "residual",
                              "" if prefix in shortcut_ends else "identity"))  # fmt: skip
        if layer.type == "Crop":
            # the crop reads the skip, not the up-sampled map: it hangs off the encoder's last layer
            edges.append(Edge(skip_sources[layer.level], node_id, "skip", _skip_text(layer)))
            edges.append(Edge(node_id, _layer_id(f"{layer.block}.concat"), "flow"))
            continue
        if layer.type == "Concat" and merge == "pad":
            edges.append(Edge(skip_sources[layer.level], node_id, "skip", "copy"))
        if layer.type == "Concat" and merge == "strict":
            edges.append(Edge(skip_sources[layer.level], node_id, "fail" if layer.error else "skip", _skip_text(layer)))
        if not (layer.type == "Concat" and merge == "crop"):
            edges.append(Edge(previous, node_id, "flow"))
        else:
            edges.append(Edge(_layer_id(f"{layer.block}.up"), node_id, "flow"))
        if layer.block.startswith("enc"):
            skip_sources[layer.level] = node_id
        previous = node_id
    return nodes, edges


def legend(view: str, edges: list[Edge] | tuple[Edge, ...]) -> tuple[tuple[str, str], ...]:
    """The legend of a view: its fixed rows, then a row for each extra edge kind the graph uses."""
    kinds = {e.kind for e in edges}
    extra = [(k, text) for k, text in _EXTRA_LEGEND if k in kinds and k not in {row[0] for row in _LEGEND[view]}]
    return (*_LEGEND[view], *extra)


_EXTRA_LEGEND = (
    ("residual", "residual shortcut"),
    ("head", "conv 1×1 head"),
    ("fail", "concat fails (sizes differ)"),
)
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


def build_graph(analysis: Analysis | Inspection, view: str = "u") -> Graph:
    """The graph of `analysis` in `view` (u, blocks, layers); an inspected model's from its recorded steps."""
    builders = {"u": _u_graph, "blocks": _blocks_graph, "layers": _layers_graph}
    if view not in builders:
        from unetviz.core.errors import ConfigError

        raise ConfigError("view", view, "one of " + ", ".join(VIEWS))
    if isinstance(analysis, Inspection):
        from unetviz.draw.inspect_graph import build_inspect_graph

        return build_inspect_graph(analysis, view)
    nodes, edges = builders[view](analysis)
    title, subtitle = _title(analysis)
    return Graph(view, title, subtitle, tuple(nodes), tuple(edges), legend(view, edges))
