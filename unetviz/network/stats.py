"""Parameter and mult-add cross-check with torchinfo's rules, on the pass the trace already records.

Our convention: one mult-add per weight per output position for a conv, per *input* position for a
transposed conv (each input is spread over the kernel), none for biases, one per element for a norm's
affine scale. torchinfo counts conv weights *and biases* per output position, so it reports 4× our
figure for a 2×2 stride-2 up-conv, and 2·C per sample for a norm.

The counts come from torchinfo's own `LayerInfo.calculate_num_params` and `calculate_macs` (torchinfo 1.8),
fed the module and the output shape our forward hooks saw, and added up the way torchinfo's
`ModelStatistics` adds them (every executed leaf's mult-adds; a module called twice counts its parameters
once; parameters held by a container itself count too). `tests/test_trace.py` runs `torchinfo.summary` itself
and holds the two equal on every preset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn
from torchinfo.layer_info import LayerInfo

from unetviz.core.shapes import ShapeAnalysis
from unetviz.network.trace_records import LayerCount, TorchinfoCheck


@dataclass(frozen=True)
class LeafCall:
    """One call of a leaf module in a traced forward: its dotted name, the module, its output's shape."""

    name: str
    module: nn.Module
    out_shape: tuple[int, ...]


def torchinfo_check(shapes: ShapeAnalysis, model: nn.Module, calls: Sequence[LeafCall]) -> TorchinfoCheck:
    """torchinfo's parameter and mult-add counts for the leaf `calls` of one forward of `model`, beside ours.

    Raises nothing of its own; `calls` must come from the forward of `model` (any device)."""
    seen: set[int] = set()
    params = mult_adds = 0
    per_layer: dict[str, int] = {}
    for call in calls:
        info = LayerInfo(call.name, call.module, depth=1)
        info.calculate_num_params()
        info.output_size = list(call.out_shape)
        info.calculate_macs()
        mult_adds += info.macs
        per_layer[call.name] = per_layer.get(call.name, 0) + info.macs
        if id(call.module) not in seen:
            params += info.num_params
            seen.add(id(call.module))
    params += sum(p.numel() for m in model.modules() if any(m.children()) for p in m.parameters(recurse=False))
    return counts_check(shapes, params, mult_adds, per_layer)


def counts_check(shapes: ShapeAnalysis, params: int, mult_adds: int, per_layer: dict[str, int]) -> TorchinfoCheck:
    """torchinfo's totals and per-layer mult-adds beside ours: the layers where the two differ, and whether the
    parameter counts agree."""
    differing = tuple(
        LayerCount(layer.name, layer.type, layer.mult_adds, per_layer[layer.name])
        for layer in shapes.layers
        if layer.name in per_layer and per_layer[layer.name] != layer.mult_adds
    )
    return TorchinfoCheck(params, mult_adds, params == shapes.total_params, differing)
