"""Shape-only traces on the meta device, faster: shapes torch's checks fix answered directly, one model per config.

torch computes batch norm on meta with a Python decomposition (about 0.7 ms per call at 572×572, half of a meta
forward of a batch-normed UNet; instance norm goes through it too). Its output has its input's shape by
definition, so `FastMetaNorm` answers `F.batch_norm` and `F.instance_norm` directly — after the checks torch
itself makes (weight, bias and running statistics of one value per channel; more than one value to normalise),
so a wiring mistake still fails as in torch.
`torch.cat`, `add` and group norm on meta go through Python references wrapped to disable torch's compiler, whose
first call in a process imports `torch._dynamo` and `torch._inductor` (≈ 0.5 s, a quarter of a cold
`unetviz summary`). Maps of one dtype and rank that agree off the joined dimension get cat's summed shape
directly, two maps of one shape and dtype get add's, a group norm whose checks pass gets its input's; anything
else (a mismatched skip above all, broadcasting) goes to torch's own op and fails with torch's own error. Linear,
bilinear and trilinear up-sampling on meta take their shape from torch's own F.interpolate in nearest mode: the size
rule is one for every mode, and the linear modes' Python decomposition costs 5–9 ms a call.
Every other op, and every op on a real device, runs untouched.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from unetviz.core.config import UNetConfig

CACHED_MODELS = 8


class FastMetaNorm(TorchFunctionMode):
    """Within this mode, the norms, the activations, cat and add on meta tensors cost microseconds (and import
    nothing); everything else runs as is.

    A function mode (not a dispatch mode) sees only the calls made from Python, a few per layer, so the ops it
    does not touch pay almost nothing for it."""

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func in FAST_ON_META and args:
            first = args[0][0] if isinstance(args[0], (list, tuple)) and args[0] else args[0]  # cat's list
            if isinstance(first, torch.Tensor) and first.device.type == "meta":
                return FAST_ON_META[func](*args, **kwargs)
        return func(*args, **kwargs)


def _channels_check(x: torch.Tensor, **per_channel: Any) -> None:
    channels = x.shape[1] if x.dim() > 1 else 1
    for name, tensor in per_channel.items():
        if isinstance(tensor, torch.Tensor) and tensor.numel() != channels:
            # torch's words for the same mistake (aten/src/ATen/native/Normalization.cpp)
            raise RuntimeError(f"{name} should contain {channels} elements not {tensor.numel()}")


def _batch_norm(x: torch.Tensor, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                bias: Any = None, training: bool = False, *_rest: Any, **_kw: Any) -> torch.Tensor:  # fmt: skip
    """F.batch_norm's output on meta: the input's shape, after torch's checks."""
    _channels_check(x, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    if training and x.numel() // max(x.shape[1] if x.dim() > 1 else 1, 1) <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(x.shape)}")
    return torch.empty_like(x)


def _instance_norm(x: torch.Tensor, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                   bias: Any = None, *_rest: Any, **_kw: Any) -> torch.Tensor:  # fmt: skip
    """F.instance_norm's output on meta: the input's shape, after torch's checks."""
    _channels_check(x, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    if x.dim() > 2 and x[0, 0].numel() <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(x.shape)}")
    return torch.empty_like(x)


def _pointwise(x: torch.Tensor, *_args: Any, inplace: bool = False, **_kw: Any) -> torch.Tensor:
    """An activation's output on meta: its input's shape (the input itself when in place). Spares torch's
    first-use imports (sympy and its Python references, ≈ 0.6 s a process) for shapes it cannot change."""
    if len(_args) and isinstance(_args[-1], bool):  # F.relu(x, True), F.leaky_relu(x, 0.01, True)
        inplace = _args[-1]
    return x if inplace else torch.empty_like(x)


def _inplace(x: torch.Tensor, *_args: Any, **_kw: Any) -> torch.Tensor:
    return x


def _group_norm(x: torch.Tensor, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    """F.group_norm's output on meta: the input's shape, when every check torch makes passes (groups that divide
    the channels, one weight and bias per channel, more than one value per group); otherwise torch's own call."""
    channels = x.shape[1] if x.dim() >= 2 else 0
    if (x.dim() >= 2 and isinstance(num_groups, int) and num_groups > 0 and channels % num_groups == 0
            and all(t is None or t.numel() == channels for t in (weight, bias))
            and x.shape[0] * channels // num_groups * math.prod(x.shape[2:]) > 1):  # fmt: skip
        return torch.empty_like(x)
    return F.group_norm(x, num_groups, weight, bias, eps)


def _add(a: torch.Tensor, b: Any, *rest: Any, **kw: Any) -> torch.Tensor:
    """a + b (a residual join) of two meta tensors of one shape and dtype: that shape. Anything else — broadcasting,
    a scalar, `alpha`, two shapes that differ — goes to torch's own add."""
    same = isinstance(b, torch.Tensor) and b.device.type == "meta" and (a.shape, a.dtype) == (b.shape, b.dtype)
    if same and not rest and not kw:
        return torch.empty_like(a)
    return torch.add(a, b, *rest, **kw)


INTERPOLATING_RANKS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _interpolate(x: torch.Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: Any = None, recompute_scale_factor: Any = None,
                 antialias: bool = False) -> Any:  # fmt: skip
    """F.interpolate on meta in an interpolating mode: the shape torch's own F.interpolate gives in nearest mode.
    Every mode shares one size rule (F.interpolate's arguments, then ATen's `upsample::compute_output_size`); the
    modes differ in values, which meta has none of, and the linear ones compute theirs in a Python decomposition
    (5 ms a 2D call, 9 ms a 3D one, and torch's compiler imported on the first). A rank the mode refuses, antialias,
    and every other mode go to torch's own call."""
    if mode in INTERPOLATING_RANKS and x.dim() == INTERPOLATING_RANKS[mode] and not antialias:
        return x.new_empty(F.interpolate(x, size, scale_factor, "nearest", None, recompute_scale_factor).shape)
    return F.interpolate(x, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)


def _prelu(x: torch.Tensor, weight: torch.Tensor, *_rest: Any) -> torch.Tensor:
    _channels_check(x, **({} if weight.numel() == 1 else {"weight": weight}))
    return torch.empty_like(x)


def _cat(tensors: Any, dim: int = 0, *_rest: Any, **kw: Any) -> torch.Tensor:
    """torch.cat on meta tensors of one dtype and rank that agree off `dim`: its shape, summed along `dim`.
    Anything else (a size that differs, mixed dtypes, `out=`) goes to torch's own cat and its own error."""
    if kw or _rest or not isinstance(tensors, (list, tuple)) or not tensors or not isinstance(dim, int):
        return torch.cat(tensors, dim, *_rest, **kw)  # `out=`, a named dimension, a tuple of tensors' edge cases
    first = tensors[0]
    rank = first.dim()
    if rank == 0 or not -rank <= dim < rank:
        return torch.cat(tensors, dim)
    dim %= rank
    rest = first.shape[:dim] + first.shape[dim + 1 :]
    for t in tensors:
        if (not isinstance(t, torch.Tensor) or t.device.type != "meta" or t.dtype != first.dtype
                or t.dim() != rank or t.shape[:dim] + t.shape[dim + 1 :] != rest):  # fmt: skip
            return torch.cat(tensors, dim)
    size = sum(t.shape[dim] for t in tensors)
    return first.new_empty((*first.shape[:dim], size, *first.shape[dim + 1 :]))


FAST_ON_META: dict[Any, Callable[..., torch.Tensor]] = {
    torch.cat: _cat,
    torch.concat: _cat,
    F.batch_norm: _batch_norm,
    F.instance_norm: _instance_norm,
    F.relu: _pointwise,
    F.leaky_relu: _pointwise,
    F.elu: _pointwise,
    F.gelu: _pointwise,
    F.silu: _pointwise,
    torch.relu: _pointwise,
    F.relu_: _inplace,
    torch.relu_: _inplace,
    torch.Tensor.relu_: _inplace,
    F.prelu: _prelu,
    F.group_norm: _group_norm,
    F.interpolate: _interpolate,
    torch.add: _add,
    torch.Tensor.add: _add,
}


@functools.lru_cache(maxsize=CACHED_MODELS)
def meta_model(cfg: UNetConfig) -> tuple[torch.nn.Module, threading.Lock]:
    """The meta model `build_model(cfg, "meta")` returns, built once per config (a meta model holds no memory),
    with the lock its user holds while hooks are on it."""
    from unetviz.network.model import build_model

    return build_model(cfg, "meta").eval(), threading.Lock()


def warm_up_meta(dims: int = 2) -> None:
    """torch imports what its meta kernels need on a process's first meta forward of each kind (conv's shape
    checks load sympy, ≈ 0.4 s): pay it on a tiny net of the input's dims, as a trace runs it (within
    `FastMetaNorm`), ahead of the model (the inspector, so that the trace time it reports is the model's; the
    app's trace process, at its start)."""
    if not 1 <= dims <= 3:
        return
    conv = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1]
    up = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[dims - 1]
    norms = ((nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[dims - 1],
             (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)[dims - 1])  # fmt: skip
    with torch.device("meta"), torch.no_grad(), FastMetaNorm():
        net = nn.Sequential(conv(1, 2, 3, padding=1), *(norm(2, affine=True) for norm in norms), nn.GroupNorm(1, 2),
                            nn.LeakyReLU(), up(2, 2, 2, stride=2)).eval()  # fmt: skip
        x = net(torch.zeros(1, 1, *(4,) * dims))
        torch.cat([x, nn.functional.interpolate(x, scale_factor=1.0)], 1)
