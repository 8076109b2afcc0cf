"""What torch's autograd keeps for backward in one training forward, counted on the meta device (no memory, no GPU):
the independent figure `unetviz plan` puts beside the planner's "kept for backward" items (`core/memory.py`).

Every tensor an op saves for its backward passes through `torch.autograd.graph.saved_tensors_hooks`' pack hook
(PyTorch, "Hooks for saved tensors"); each storage is counted once, at its size in bytes, and the parameters
(which the planner counts as weights) not at all. A ReLU's output that the next conv also saves, a view of a map,
an in-place activation: one storage, counted once, as the allocator holds it. A storage is told apart by its
`_cdata` (the address of torch's StorageImpl), the one identity a meta storage has: its data pointer is 0.
"""

from __future__ import annotations

import torch

from unetviz.core.config import UNetConfig
from unetviz.network.model import build_model


def kept_for_backward(cfg: UNetConfig) -> int:
    """Bytes of the tensors autograd saves in one float32 training forward of `build_model(cfg)` at the config's
    batch and input size (traced on meta: shapes and dtypes only, microseconds per layer).

    Raises torch's own error when the model cannot run at that size (the analysis refuses such configs first)."""
    model = build_model(cfg, "meta").train()
    weights = {p.untyped_storage()._cdata for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage._cdata not in weights:
            saved[storage._cdata] = max(saved.get(storage._cdata, 0), storage.nbytes())
        return tensor

    dummy = torch.zeros((cfg.batch_size, cfg.in_channels, *cfg.input_size), device="meta")
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(dummy)
    return sum(saved.values())
