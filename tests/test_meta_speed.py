"""The fast meta path: the same shapes as torch's own meta kernels, the same failures, one model per config."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from unetviz.core.config import load_config, preset_names
from unetviz.network.meta_speed import FastMetaNorm, meta_model
from unetviz.network.model import build_model


def _leaf_shapes(model: nn.Module, shape: tuple[int, ...], fast: bool) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    handles = [m.register_forward_hook(lambda _m, _i, o, n=n: shapes.__setitem__(n, tuple(o.shape)))
               for n, m in model.named_modules() if n and not list(m.children())]  # fmt: skip
    try:
        with torch.no_grad(), FastMetaNorm() if fast else torch.no_grad():
            model.eval()(torch.zeros(shape, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return shapes


@pytest.mark.parametrize("preset", preset_names())
def test_every_layer_has_torchs_own_shape(preset: str) -> None:
    cfg = load_config(preset)
    model = build_model(cfg, "meta")
    shape = (cfg.batch_size, cfg.in_channels, *cfg.input_size)
    assert _leaf_shapes(model, shape, fast=True) == _leaf_shapes(model, shape, fast=False)


@pytest.mark.parametrize(
    "norm", [nn.BatchNorm2d(8), nn.InstanceNorm2d(8, affine=True), nn.BatchNorm3d(8), nn.InstanceNorm1d(8)]
)
def test_a_wiring_mistake_still_fails(norm: nn.Module) -> None:
    """Sixteen channels into a norm made for eight: torch refuses, with and without the fast path."""
    dims = int(type(norm).__name__[-2])  # BatchNorm2d → 2
    x = torch.zeros(2, 16, *(4,) * dims, device="meta")
    norm = norm.to("meta").eval()
    if isinstance(norm, nn.InstanceNorm1d):  # without affine weights torch checks nothing per channel: nor do we
        with FastMetaNorm():
            assert norm(x).shape == x.shape
        return
    with pytest.raises((RuntimeError, ValueError)) as plain:
        norm(x)
    with pytest.raises(plain.type, match="8") as fast, FastMetaNorm():
        norm(x)
    assert "16" in str(fast.value)


def test_instance_norm_of_one_value_fails_as_in_torch() -> None:
    norm = nn.InstanceNorm2d(4).to("meta")
    x = torch.zeros(1, 4, 1, 1, device="meta")
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        norm(x)
    with pytest.raises(ValueError, match="more than 1 spatial element"), FastMetaNorm():
        norm(x)


def test_one_meta_model_per_config() -> None:
    a, b = load_config("milesial"), load_config("small")
    assert meta_model(a)[0] is meta_model(a)[0]
    assert meta_model(a)[0] is not meta_model(b)[0]
    assert sum(p.numel() for p in meta_model(a)[0].parameters()) == sum(
        p.numel() for p in build_model(a, "meta").parameters()
    )
