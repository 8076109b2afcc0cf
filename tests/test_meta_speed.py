"""The fast meta path: the same shapes as torch's own meta kernels, the same failures, one model per config."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
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


@pytest.mark.parametrize(
    ("shapes", "dim"),
    [
        ([(2, 3, 5, 7), (2, 4, 5, 7)], 1),
        ([(2, 3, 5, 7), (2, 3, 5, 7), (2, 3, 5, 1)], -1),
        ([(1, 8, 4, 4, 4), (1, 8, 4, 4, 4)], 0),
        ([(3,), (4,)], 0),
        ([(2, 3, 5, 7)], 2),
    ],
)
def test_cat_has_torchs_own_shape(shapes: list[tuple[int, ...]], dim: int) -> None:
    tensors = [torch.zeros(s, device="meta") for s in shapes]
    with FastMetaNorm():
        fast = torch.cat(tensors, dim=dim)
    assert fast.shape == torch.cat(tensors, dim=dim).shape and fast.device.type == "meta"


@pytest.mark.parametrize(
    ("shapes", "dim"),
    [
        ([(2, 3, 5, 7), (2, 4, 6, 7)], 1),  # a skip one row taller than the up-sampled map: the crop was forgotten
        ([(2, 3, 5, 7), (2, 3, 5)], 1),  # different ranks
        ([(2, 3), (2, 3)], 2),  # no such dimension
    ],
)
def test_a_join_of_mismatched_maps_fails_with_torchs_own_error(shapes: list[tuple[int, ...]], dim: int) -> None:
    tensors = [torch.zeros(s, device="meta") for s in shapes]
    with pytest.raises((RuntimeError, IndexError)) as plain:
        torch.cat(tensors, dim)
    with pytest.raises(plain.type) as fast, FastMetaNorm():
        torch.cat(tensors, dim)
    assert str(fast.value) == str(plain.value)


def test_cat_of_mixed_dtypes_promotes_as_torch_does() -> None:
    tensors = [torch.zeros(2, 3, device="meta"), torch.zeros(2, 3, device="meta", dtype=torch.float16)]
    with FastMetaNorm():
        fast = torch.cat(tensors, 1)
    plain = torch.cat(tensors, 1)
    assert (fast.shape, fast.dtype) == (plain.shape, plain.dtype)


@pytest.mark.parametrize(
    ("x", "groups", "channels"),
    [((2, 8, 4, 4), 4, 8), ((1, 8, 3, 3, 3), 8, 8), ((2, 6, 4), 4, 6), ((1, 4, 1, 1), 4, 4), ((2, 8, 4, 4), 4, 6),
     ((8,), 2, 8)],
)  # fmt: skip
def test_group_norm_has_torchs_shape_or_torchs_error(x: tuple[int, ...], groups: int, channels: int) -> None:
    """Groups that do not divide the channels, one value per group, a weight of the wrong size: torch's errors."""
    inp, weight = torch.zeros(x, device="meta"), torch.ones(channels, device="meta")

    def norm(t: torch.Tensor) -> torch.Tensor:
        return F.group_norm(t, groups, weight, weight)

    try:
        plain: object = norm(inp).shape
    except (RuntimeError, ValueError) as exc:
        plain = (type(exc), str(exc))
    try:
        with FastMetaNorm():
            fast: object = norm(inp).shape
    except (RuntimeError, ValueError) as exc:
        fast = (type(exc), str(exc))
    assert fast == plain


@pytest.mark.parametrize(("a", "b"), [((2, 4, 5), (2, 4, 5)), ((2, 4, 5), (1, 4, 1)), ((2, 4, 5), (2, 4, 6))])
def test_add_has_torchs_shape_or_torchs_error(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    x, y = torch.zeros(a, device="meta"), torch.zeros(b, device="meta")

    def outcome() -> object:
        try:
            return (x + y).shape, torch.add(x, y, alpha=2).shape
        except RuntimeError as exc:
            return str(exc)

    plain = outcome()
    with FastMetaNorm():
        assert outcome() == plain


def test_cat_along_a_named_dimension_or_into_out_is_torchs_own() -> None:
    """What the fast path does not handle it hands to torch untouched: `out=`, a named dimension (unnamed maps)."""
    tensors = [torch.zeros(2, 3, device="meta"), torch.zeros(2, 3, device="meta")]
    out = torch.empty(2, 6, device="meta")
    with FastMetaNorm():
        assert torch.cat(tensors, 1, out=out) is out
    with pytest.raises((RuntimeError, TypeError)) as plain:
        torch.cat(tensors, "channels")  # type: ignore[arg-type]
    with pytest.raises(plain.type) as fast, FastMetaNorm():
        torch.cat(tensors, "channels")  # type: ignore[arg-type]
    assert str(fast.value) == str(plain.value)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((1, 4, 7, 9), {"scale_factor": 2, "mode": "bilinear", "align_corners": False}),
        ((1, 4, 7, 9), {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}),
        ((1, 4, 7, 9), {"scale_factor": (1.7, 2.3), "mode": "bicubic", "recompute_scale_factor": True}),
        ((1, 4, 7, 9), {"size": (13, 5), "mode": "bilinear"}),
        ((2, 3, 5, 6, 7), {"scale_factor": (1, 2, 2), "mode": "trilinear"}),
        ((2, 3, 11), {"scale_factor": 2.5, "mode": "linear"}),
        ((1, 4, 7, 9, 3), {"scale_factor": 2, "mode": "bilinear"}),  # a rank bilinear refuses: torch's error
        ((1, 4, 7, 9), {"scale_factor": 2, "mode": "bilinear", "antialias": True}),
        ((1, 4, 7, 9), {"scale_factor": 2, "size": 3, "mode": "bilinear"}),  # both given: torch's error
        ((1, 4, 7, 9), {"scale_factor": 2, "mode": "area"}),
    ],
)
def test_interpolation_has_torchs_shape_or_torchs_error(shape: tuple[int, ...], kwargs: dict[str, object]) -> None:
    x = torch.zeros(shape, device="meta")

    def outcome() -> object:
        try:
            return F.interpolate(x, **kwargs).shape  # type: ignore[arg-type]
        except (RuntimeError, ValueError, NotImplementedError) as exc:
            return type(exc), str(exc)

    plain = outcome()
    with FastMetaNorm():
        assert outcome() == plain
