"""The graph of an inspected model, in the same three views as a config's: `u` (levels as a U: encoder stages
down the left, decoder stages up the right, skips across), `blocks` (one node per stage) and `layers` (every
recorded step, with the data flow torch saw). A model with no U is drawn as a chain."""

from __future__ import annotations

import itertools
from collections import Counter

from unetviz.core.inspection import FoundSkip, Inspection
from unetviz.core.records import Layer, by_block, size_text
from unetviz.draw.graph import Edge, Graph, Node, legend
from unetviz.report.tables import shape_text

DOWN_TYPES = ("MaxPool", "AvgPool", "LPPool", "AdaptiveMaxPool", "AdaptiveAvgPool")
UP_TYPES = ("ConvTranspose", "Upsample", "Interpolate", "UpsamplingBilinear", "UpsamplingNearest")


def _kind(block: str) -> str:
    if block.startswith("enc"):
        return "encoder"
    if block.startswith("dec"):
        return "decoder"
    if block.startswith("ds"):
        return "side"
    return {"bottleneck": "bottleneck", "head": "output"}.get(block, "layer")


def _spatial(shape: tuple[int, ...]) -> str:
    spatial = shape[2:]
    return str(spatial[0]) if len(set(spatial)) == 1 else size_text(spatial)


def _what(layers: list[Layer]) -> str:
    """`2× Conv2d 3×3, 2× BatchNorm2d, 2× ReLU`: the stage's layer types, in order of first use."""
    words = {"Cat": "concat", "Add": "add", "Mul": "multiply", "Stack": "stack"}
    counts = Counter(words.get(layer.type, layer.type) for layer in layers if layer.type not in ("Pad", "Crop"))
    kernels = {layer.type: f" {layer.kernel_text}" for layer in layers if layer.kernel is not None}
    parts = []
    for kind, n in counts.items():
        kernel_text = kernels.get(kind, "")
        parts.append(f"{n}× {kind}{kernel_text}" if n > 1 else f"{kind}{kernel_text}")
    text = ", ".join(parts[:4])
    return text + (", …" if len(parts) > 4 else "")


def _chain(layers: list[Layer]) -> str:
    sizes = [_spatial(layers[0].in_shape)]
    for layer in layers:
        if len(layer.out_shape) > 2 and _spatial(layer.out_shape) != sizes[-1]:
            sizes.append(_spatial(layer.out_shape))
    return " → ".join(sizes) if len(sizes) <= 5 else f"{sizes[0]} → {sizes[1]} → … → {sizes[-1]}"


def _stages(found: Inspection) -> dict[str, list[Layer]]:
    return by_block(found.layers)


def _skip_text(skip: FoundSkip) -> str:
    join = "add" if skip.kind == "add" else "copy"
    if skip.adjust == "none" or not skip.amounts:
        return join
    befores = {a for a, _ in skip.amounts}
    afters = {b for _, b in skip.amounts}
    if len(befores) == 1 and len(afters) == 1:
        a, b = next(iter(befores)), next(iter(afters))
        amount = f"{a}" if a == b else f"{a}/{b}"
    else:
        amount = ", ".join(f"{a}/{b}" for a, b in skip.amounts)
    if skip.adjust == "crop":
        return f"{join} and crop −{amount}"
    return f"{join}, pad {'up-sampled ' if skip.adjusted == 'up' else ''}+{amount}"


def _step_text(layer: Layer | None, fallback: str) -> str:
    """The down- or up-sampling between two stages, as the layer that does it: `MaxPool2d 2×2`, `Conv3d /2`."""
    if layer is None:
        return fallback
    stride = layer.stride
    stride_text = "" if stride is None else f" /{stride}" if isinstance(stride, int) else " /" + "×".join(
        str(s) for s in stride)  # fmt: skip
    if layer.type.startswith(UP_TYPES):
        factor = _spatial(layer.out_shape) + " from " + _spatial(layer.in_shape)
        return f"{layer.type} ({factor})"
    return f"{layer.type}{stride_text}"


def _resampling(layers: list[Layer], up: bool) -> Layer | None:
    """The first layer of a stage that changes the size the way a level change does."""
    for layer in layers:
        if len(layer.out_shape) != len(layer.in_shape) or len(layer.out_shape) < 3:
            continue
        grew = all(o >= i for o, i in zip(layer.out_shape[2:], layer.in_shape[2:], strict=True))
        if layer.out_shape[2:] != layer.in_shape[2:] and (grew if up else not grew):
            if up or layer.stride not in (None, 1) or layer.type.startswith(DOWN_TYPES):
                return layer
    return None


def stage_nodes(found: Inspection) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...], int, int, str]]:
    """(id, kind, lines, layer names, level, params, alert) per stage, in execution order."""
    out = []
    for block, layers in _stages(found).items():
        params = sum(layer.params for layer in layers)
        last = layers[-1]
        failed = next((layer for layer in layers if layer.error), None)
        alert = f"{failed.type} fails: {failed.error}"[:90] if failed else ""
        texts = (shape_text(last.out_shape), _chain(layers), _what(layers), f"{params:,} params")
        lines = tuple(line for line in texts if line)
        names = tuple(layer.name for layer in layers)
        out.append((block, _kind(block), lines, names, layers[0].level, params, alert))
    return out


def _title(found: Inspection) -> tuple[str, str]:
    output = f"fails at {found.failure.split(':')[0]}" if found.failure else shape_text(found.output_shape) if len(
        found.output_shape) > 2 else str(list(found.output_shape))  # fmt: skip
    shape = f"{shape_text(found.input_shape)} → {output} · {found.total_params:,} parameters"
    if not found.u_found:
        return found.name, f"{shape} · {found.no_u_reason}"
    skips = ", ".join(sorted({_skip_text(s) for s in found.skips}))
    return found.name, f"{shape} · inspected ({found.device}), skips: {skips}"


def _module(names: tuple[str, ...]) -> str:
    """The user's module a stage is: the names' common dotted prefix (`down1.maxpool_conv`, `up1`), else the
    top-level modules it spans (`enc, pool`); shortened from the left past 28 characters."""
    parts = [name.split("#")[0].split(".") for name in names]
    common = []
    for column in zip(*parts, strict=False):
        if len(set(column)) > 1:
            break
        common.append(column[0])
    if len(common) == min(len(p) for p in parts) and len(names) > 1:
        common = common[:-1]  # a stage of one module and its functional ops: the module's parent
    text = ".".join(common) or ", ".join(dict.fromkeys(p[0] for p in parts))
    return text if len(text) <= 28 else "…" + text[-27:]


def _nodes(found: Inspection, column_of: dict[str, str]) -> list[Node]:
    nodes = [Node("input", "input", "input", (shape_text(found.input_shape),), (), 0,
                  "top" if found.u_found else "chain")]  # fmt: skip
    for block, kind, lines, names, level, params, alert in stage_nodes(found):
        module = _module(names)
        title = ("output" if block == "head" else block) + (f" · {module}" if module else "")
        nodes.append(Node(block, kind, title, lines, names, level, column_of.get(kind, "chain"), params, alert))
    if found.u_found and not any(n.id == "head" for n in nodes):  # no head module: the output is the last stage's
        nodes.append(Node("head", "output", "output", (shape_text(found.output_shape),), (), 0, "top"))
    return nodes


def _u_graph(found: Inspection) -> tuple[list[Node], list[Edge]]:
    columns = {"encoder": "encoder", "bottleneck": "bottleneck", "decoder": "decoder", "output": "top", "side": "side"}
    nodes = _nodes(found, columns)
    stages = _stages(found)
    encoders = [n for n in nodes if n.kind == "encoder"]
    decoders = [n for n in nodes if n.kind == "decoder"]
    edges = []
    chain = ["input", *(n.id for n in encoders), "bottleneck"]
    for a, b in itertools.pairwise(chain):
        down = _resampling(stages[b], up=False)
        edges.append(Edge(a, b, "pool" if down is not None else "flow", _step_text(down, "")))
    rising = ["bottleneck", *(n.id for n in decoders)]
    for a, b in itertools.pairwise(rising):
        up = _resampling(stages[b], up=True)
        edges.append(Edge(a, b, "up" if up is not None else "flow", _step_text(up, "")))
    ids = {n.id for n in nodes}
    for skip in found.skips:
        source = next((n.id for n in nodes if skip.source in n.layers), "input")
        target = next((n.id for n in nodes if skip.join in n.layers), f"dec{skip.level}")
        failed = any(layer.error for layer in stages.get(target, []) if layer.name == skip.join)
        if target in ids:
            edges.append(Edge(source, target, "fail" if failed else "skip", _skip_text(skip)))
    last = decoders[-1].id if decoders else "bottleneck"
    head = stages.get("head")
    edges.append(Edge(last, "head", "head", _what(head) if head else "output"))
    edges += [Edge(f"dec{n.level}", n.id, "head", "deep supervision") for n in nodes if n.kind == "side"
              and f"dec{n.level}" in ids]  # fmt: skip
    return nodes, edges


def _blocks_graph(found: Inspection) -> tuple[list[Node], list[Edge]]:
    nodes = _nodes(found, {})
    nodes = [Node(n.id, n.kind, n.title, n.lines, n.layers, n.level, "chain", n.params, n.alert) for n in nodes]
    edges = [Edge(a.id, b.id, "flow") for a, b in itertools.pairwise(nodes)]
    for skip in found.skips:
        source = next((n.id for n in nodes if skip.source in n.layers), "input")
        target = next((n.id for n in nodes if skip.join in n.layers), None)
        if target is not None and source != target:
            edges.append(Edge(source, target, "skip", _skip_text(skip)))
    return nodes, edges


def _layer_id(name: str) -> str:
    return "l_" + "".join(c if c.isalnum() else "_" for c in name)


def _layers_graph(found: Inspection) -> tuple[list[Node], list[Edge]]:
    nodes = [Node("input", "input", "input", (shape_text(found.input_shape),), (), 0, "chain")]
    for layer in found.layers:
        formula = layer.formula.replace("⌊", "floor(").replace("⌋", ")").replace("⌈", "ceil(").replace("⌉", ")")
        out = shape_text(layer.out_shape) if len(layer.out_shape) > 2 else str(list(layer.out_shape))
        alert = f"fails: {layer.error}"[:90] if layer.error else ""
        column = layer.block if found.u_found else "chain"
        nodes.append(Node(_layer_id(layer.name), "layer", layer.name, (f"{layer.type} → {out}", formula),
                          (layer.name,), layer.level, column, layer.params, alert))  # fmt: skip
    skip_pairs = {(s.source, s.join) for s in found.skips}
    adjusted = {layer.name: layer for layer in found.layers if layer.type in ("Pad", "Crop")}
    joins = {layer.name: layer for layer in found.layers if layer.type in ("Add", "Cat")}
    by_join = {s.join: s for s in found.skips}
    inputs = found.inputs()
    edges = []
    for source, target in found.edges:
        head = "input" if source == "input" else _layer_id(source)
        skip = by_join.get(target)
        if (source, target) in skip_pairs or (source in adjusted and skip is not None and skip.adjusted == "skip"):
            kind = "fail" if joins[target].error else "skip"
            edges.append(Edge(head, _layer_id(target), kind, _skip_text(skip) if skip else "copy"))
        elif target in joins and joins[target].type == "Add" and source != inputs[target][-1]:
            edges.append(Edge(head, _layer_id(target), "residual"))
        else:
            edges.append(Edge(head, _layer_id(target), "flow"))
    return nodes, edges


def build_inspect_graph(found: Inspection, view: str) -> Graph:
    if found.u_found:
        builders = {"u": _u_graph, "blocks": _blocks_graph, "layers": _layers_graph}
        nodes, edges = builders[view](found)
    elif view == "layers":
        nodes, edges = _layers_graph(found)
    else:
        nodes, edges = _blocks_graph(found)
    title, subtitle = _title(found)
    words = {"input": "data flow", "conv 1×1": "output head"}  # an inspected model's flow and head may be anything
    rows = tuple((kind, words.get(text, text)) for kind, text in legend(view, edges))
    return Graph(view, title, subtitle, tuple(nodes), tuple(edges), rows)
