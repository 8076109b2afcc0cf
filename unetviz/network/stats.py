"""Parameter and mult-add cross-check against torchinfo, on a shape-only (meta) copy of the model.

Our convention: one mult-add per weight per output position for a conv, per *input* position for a
transposed conv (each input is spread over the kernel), none for biases, one per element for a norm's
affine scale. torchinfo counts conv weights *and biases* per output position, so it reports 4× our
figure for a 2×2 stride-2 up-conv, and 2·C per sample for a norm.
"""

from __future__ import annotations

import torch
import torchinfo
from torch import nn

from unetviz.core.shapes import ShapeAnalysis
from unetviz.network.trace_records import LayerCount, TorchinfoCheck


def torchinfo_check(shapes: ShapeAnalysis, model: nn.Module, dummy: torch.Tensor) -> TorchinfoCheck:
    """torchinfo's summary of `model` (on meta) run on `dummy`: its forward is the one pass a meta trace
    records (the caller's hooks stay on the model), so the check costs torchinfo's bookkeeping only."""
    names = {id(module): name for name, module in model.named_modules()}
    stats = torchinfo.summary(model, input_data=dummy, device="meta", verbose=0)
    ours = {layer.name: layer for layer in shapes.layers}
    differing = []
    for info in stats.summary_list:
        name = names.get(id(info.module))
        if name in ours and info.is_leaf_layer and info.macs != ours[name].mult_adds:
            differing.append(LayerCount(name, ours[name].type, ours[name].mult_adds, int(info.macs)))
    params = int(stats.total_params)
    return TorchinfoCheck(params, int(stats.total_mult_adds), params == shapes.total_params, tuple(differing))
