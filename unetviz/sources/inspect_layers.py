"""Recorded steps as layer records: each conv, transposed conv and pool's formula from its own kernel, stride,
padding, dilation and output padding, its params and its mult-adds by the README's convention. No torch here:
a step is read as plain values (the recorder copies the module's settings)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

from unetviz.core.records import Layer, ShapeWarning, axis_names, size_text
from unetviz.core.shapes import one_value

Shape = tuple[int, ...]
NORM_PREFIXES = ("BatchNorm", "InstanceNorm", "GroupNorm", "LayerNorm", "LocalResponseNorm")
POOL_PREFIXES = ("MaxPool", "AvgPool", "LPPool")


class Step(Protocol):
    """What a recorded op offers (unetviz.network.recorder.Op)."""

    name: str
    type: str
    in_shapes: tuple[Shape, ...]
    out_shape: Shape
    params: int
    settings: dict[str, Any]
    error: str | None


def per_axis(value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        values = tuple(int(v) for v in value)
        return values if len(values) == n else (values + (values[-1],) * n)[:n]
    return (int(value),) * n


def _joined(texts: list[str]) -> str:
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{axis}: {text}" for axis, text in zip(axis_names(len(texts)), texts, strict=True))


def _padding(step: Step, n: int, kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[int, ...]:
    """The padding per side; torch's `same` pads d·(F − 1) in all, the smaller half first (PyTorch Conv2d docs)."""
    padding = step.settings.get("padding", 0)
    if padding == "valid":
        return (0,) * n
    if padding == "same":
        return tuple(d * (f - 1) // 2 for f, d in zip(kernel, dilation, strict=True))
    return per_axis(padding, n)


def conv_formula(h: int, f: int, p: int, s: int, d: int, o: int, ceil: bool = False) -> str:
    """O = ⌊(H − F + 2P)/S⌋ + 1 (with dilation D: ⌊(H − D·(F − 1) − 1 + 2P)/S⌋ + 1), PyTorch's Conv and Pool docs."""
    window = f"{f}" if d == 1 else f"{d}·({f} − 1) − 1"
    body = f"({h} − {window} + 2·{p})"
    if s == 1 and not ceil:
        return f"{body}/1 + 1 = {o}"
    return f"⌈{body}/{s}⌉ + 1 = {o}" if ceil else f"⌊{body}/{s}⌋ + 1 = {o}"


def transpose_formula(h: int, f: int, p: int, s: int, d: int, out_pad: int, o: int) -> str:
    """O = (H − 1)·S − 2P + D·(F − 1) + P_out + 1, PyTorch's ConvTranspose docs (D = 1: … − 2P + F + P_out)."""
    window = f"{f}" if d == 1 else f"{d}·({f} − 1) + 1"
    return f"({h} − 1)·{s} − 2·{p} + {window}{f' + {out_pad}' if out_pad else ''} = {o}"


def layer_of(step: Step, block: str, level: int, warnings: list[ShapeWarning]) -> Layer:
    """The layer record of one step; an odd size into a pool or strided conv adds a warning."""
    in_shape = step.in_shapes[0] if step.in_shapes else step.out_shape
    out = step.out_shape
    kind = step.type
    spatial_in, spatial_out = in_shape[2:], out[2:]
    n = len(spatial_out)
    extra: dict[str, Any] = {}
    formula = "same size as input" if in_shape == out else f"{size_text(spatial_in)} → {size_text(spatial_out)}"
    params, mult_adds = step.params, 0
    spatial = len(in_shape) == len(out) and n > 0 and not step.error
    if kind.startswith("Conv") and "kernel_size" in step.settings and spatial:
        formula, mult_adds, extra = _conv(step, in_shape, out, warnings)
    elif kind.startswith(POOL_PREFIXES) and "kernel_size" in step.settings and spatial:
        formula, extra = _pool(step, in_shape, out, warnings)
    elif kind.startswith(NORM_PREFIXES):
        mult_adds = math.prod(out) if params else 0
    elif kind == "PReLU":
        mult_adds = math.prod(out)
    elif kind == "Linear":
        mult_adds = params and int(step.settings.get("in_features", 0)) * math.prod(out)
    elif kind in ("Pad", "Crop") and spatial:
        amounts = join_amounts(step)
        if amounts is not None:
            sign = "+" if kind == "Pad" else "−"
            formula = _joined([f"{h} {sign} {abs(a)} {sign} {abs(b)} = {o}" for h, (a, b), o
                               in zip(spatial_in, amounts, spatial_out, strict=True)])  # fmt: skip
            extra["amounts"] = amounts
    elif kind in ("Upsample", "Interpolate", "UpsamplingBilinear2d", "UpsamplingNearest2d") and spatial:
        formula = _joined([f"{o / h:g}·{h} = {o}" if h else f"→ {o}" for h, o in zip(spatial_in, spatial_out,
                                                                                    strict=True)])  # fmt: skip
    elif kind in ("Cat", "Stack"):
        channels = " + ".join(str(s[1]) for s in step.in_shapes if len(s) > 1)
        formula = f"{channels} = {out[1]} channels" if len(out) > 1 else formula
    elif kind in ("Add", "Mul"):
        formula = f"{'sum' if kind == 'Add' else 'product'} of {len(step.in_shapes)}: {size_text(spatial_out)}"
    if step.error:
        formula = "fails"
    return Layer(step.name, kind, block, level, in_shape, out, params=params, mult_adds=int(mult_adds),
                 formula=formula, error=step.error, **extra)  # fmt: skip


def _conv(step: Step, in_shape: Shape, out: Shape, warnings: list[ShapeWarning]) -> tuple[str, int, dict[str, Any]]:
    n = len(out) - 2
    s = step.settings
    kernel, stride, dilation = per_axis(s["kernel_size"], n), per_axis(s.get("stride", 1), n), per_axis(
        s.get("dilation", 1), n)  # fmt: skip
    padding = _padding(step, n, kernel, dilation)
    groups = int(s.get("groups", 1))
    axes = list(zip(in_shape[2:], kernel, padding, stride, dilation, out[2:], strict=True))
    transposed = step.type.startswith("ConvTranspose")
    weights = in_shape[1] * out[1] // groups * math.prod(kernel)
    if transposed:
        out_pad = per_axis(s.get("output_padding", 0), n)
        texts = [transpose_formula(h, f, p, st, d, op, o) for (h, f, p, st, d, o), op in zip(axes, out_pad,
                                                                                            strict=True)]  # fmt: skip
        mult_adds = weights * in_shape[0] * math.prod(in_shape[2:])  # one per weight per *input* position
    else:
        texts = [conv_formula(h, f, p, st, d, o) for h, f, p, st, d, o in axes]
        mult_adds = weights * out[0] * math.prod(out[2:])
        _odd(step, axes, warnings)
    extra = {"kernel": one_value(kernel), "stride": one_value(stride), "padding": one_value(padding)}
    return _joined(texts), mult_adds, extra


def _pool(step: Step, in_shape: Shape, out: Shape, warnings: list[ShapeWarning]) -> tuple[str, dict[str, Any]]:
    n = len(out) - 2
    s = step.settings
    kernel = per_axis(s["kernel_size"], n)
    stride = per_axis(s.get("stride") or s["kernel_size"], n)
    padding = per_axis(s.get("padding", 0), n)
    dilation = per_axis(s.get("dilation", 1), n)
    ceil = bool(s.get("ceil_mode", False))
    axes = list(zip(in_shape[2:], kernel, padding, stride, dilation, out[2:], strict=True))
    texts = [conv_formula(h, f, p, st, d, o, ceil) for h, f, p, st, d, o in axes]
    _odd(step, axes, warnings)
    return _joined(texts), {"kernel": one_value(kernel), "stride": one_value(stride), "padding": one_value(padding)}


def _odd(step: Step, axes: Sequence[tuple[int, int, int, int, int, int]], warnings: list[ShapeWarning]) -> None:
    """A pool or strided conv whose window does not step evenly over the map drops (or pads) a row."""
    odd = [f"{a} {h}" for a, (h, f, p, s, d, _o) in zip(axis_names(len(axes)), axes, strict=True)
           if s > 1 and not _exact(h, f, p, s, d)]  # fmt: skip
    if odd:
        what = "pool" if step.type.startswith(POOL_PREFIXES) else "strided conv"
        warnings.append(ShapeWarning("odd-pool", step.name, f"{step.name}: the {what} does not divide "
                                     f"{', '.join(odd)} evenly: ⌊…⌋ drops the last rows"))  # fmt: skip


def _exact(h: int, f: int, p: int, s: int, d: int) -> bool:
    """Whether a stride fits `h` exactly (unetviz.core.plan.strided_exact): with size-keeping padding
    (2P = D·(F − 1)) the up-sampling ×S gives H back when S divides H; otherwise the last window must end at the
    edge."""
    window = d * (f - 1)
    if 2 * p == window:
        return h % s == 0
    return (h + 2 * p - window - 1) % s == 0


def join_amounts(step: Step) -> tuple[tuple[int, int], ...] | None:
    """Per spatial axis (before, after): what a Pad adds or a Crop (a slice) removes."""
    in_shape, out = step.in_shapes[0], step.out_shape
    n = len(out) - 2
    if step.type == "Pad":
        pad = tuple(step.settings.get("pad", ()))
        pairs = [(pad[2 * i], pad[2 * i + 1]) if 2 * i + 1 < len(pad) else (0, 0) for i in range(n)]
        return tuple(reversed(pairs))  # F.pad lists the last axis first
    index = step.settings.get("index")
    amounts = []
    for axis in range(n):
        h, o = in_shape[2 + axis], out[2 + axis]
        bounds = index[2 + axis] if index is not None and len(index) > 2 + axis else None
        if bounds is None:
            amounts.append(((h - o) // 2, h - o - (h - o) // 2))
            continue
        start = bounds[0] or 0
        start = start + h if start < 0 else start
        amounts.append((start, h - o - start))
    return tuple(amounts)
