"""Tile sizes, per axis: the input sizes that every down-sampling divides exactly (the 2015 paper's rule).

A pool of stride S needs H divisible by S; a strided conv needs (H − F + 2P) divisible by S (else ⌊…⌋
drops the rest and the up-sampled map no longer matches its skip). Each axis has its own strides and
kernels (nnU-Net's [1,2,2]), so each is searched on its own: 80×160×160 fits nnU-Net's [4,5,5] pools.
"""

from __future__ import annotations

from dataclasses import dataclass

from unetviz.core.config import UNetConfig
from unetviz.core.plan import StagePlan, strided_exact


@dataclass(frozen=True)
class ValidSizes:
    """Input sizes near `near` on the axes `axes` (empty: the rule is the same on every axis)."""

    axes: tuple[str, ...]
    near: int
    sizes: tuple[tuple[int, int], ...]  # (input, output)

    @property
    def label(self) -> str:
        """`near 40 (D)`, or `near 572` when every axis follows one rule."""
        return f"near {self.near}" + (f" ({', '.join(self.axes)})" if self.axes else "")

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"near": self.near, "sizes": [{"input": i, "output": o} for i, o in self.sizes]}
        if self.axes:
            out["axes"] = list(self.axes)
        return out


def _convs(h: int, n: int, kernel: int, padding: int, stride: int | None, same: bool = True) -> int | None:
    """`n` convs along one axis, the first with `stride` when given; None if a stride does not divide."""
    for index in range(n):
        s = stride if index == 0 and stride else 1
        if not strided_exact(h, kernel, padding, s, same):
            return None
        h = (h - kernel + 2 * padding) // s + 1
        if h < 1:
            return None
    return h


def axis_output(cfg: UNetConfig, size: int, axis: int = -1) -> int | None:
    """The output size along `axis` of an input `size`, or None if a down-sampling does not divide it, a map
    collapses, a crop would need the skip larger, or a `strict` join sees unequal sizes."""
    plan = cfg.plan
    axis %= cfg.dims
    skips = []
    h: int | None = size
    for stage in plan.encoder:
        assert h is not None
        s, k, p = stage.stride[axis], stage.kernel[axis], stage.padding[axis]
        if stage.down in ("max", "avg"):
            if h % s:
                return None
            h //= s
        stride = s if stage.down == "conv" else None
        if stage.stem is not None:
            h = _convs(h, 1, k, p, None)
        for index in range(len(stage.widths)):
            if h is None:
                return None
            h = _convs(h, 2 if stage.residual else 1, k, p, stride if index == 0 else None, cfg.padding == "same")
        if h is None or h < 1:
            return None
        skips.append(h)
    for dec in plan.decoder:
        assert h is not None
        s = dec.stride[axis]
        if dec.up == "transpose":
            h = (h - 1) * s - 2 * dec.up_padding[axis] + dec.up_kernel[axis] + dec.up_output_padding[axis]
        else:
            h *= s
        skip = skips[dec.level]
        if (cfg.merge == "crop" and h > skip) or (cfg.merge == "strict" and h != skip):
            return None
        if cfg.merge == "pad":
            h = skip
        h = _convs(h, len(dec.widths) * (2 if dec.residual else 1), dec.kernel[axis], dec.padding[axis], None)
        if h is None:
            return None
    return h


def _conv_input(o: int, n: int, kernel: int, padding: int, stride: int | None, same: bool) -> int:
    """The input size that `n` convs (the first with `stride`) take exactly to `o`: `_convs` undone."""
    h = o
    for index in reversed(range(n)):
        s = stride if index == 0 and stride else 1
        # exact: same padding needs (H − F + 2P + 1) divisible by S, valid padding (H − F + 2P)
        h = s * h + kernel - 2 * padding - 1 if same else s * (h - 1) + kernel - 2 * padding
    return h


def encoder_input(cfg: UNetConfig, bottom: int, axis: int) -> int:
    """The input size along `axis` whose encoder ends at exactly `bottom` with every stride dividing: the
    encoder of `axis_output` run backwards. It is affine in `bottom` (slope: the product of the strides)."""
    plan = cfg.plan
    same = cfg.padding == "same"
    h = bottom
    for stage in reversed(plan.encoder):
        s, k, p = stage.stride[axis], stage.kernel[axis], stage.padding[axis]
        stride = s if stage.down == "conv" else None
        for index in reversed(range(len(stage.widths))):
            h = _conv_input(h, 2 if stage.residual else 1, k, p, stride if index == 0 else None, same)
        if stage.stem is not None:
            h = _conv_input(h, 1, k, p, None, True)  # `_convs` checks the stem as same-padded (stride 1: no matter)
        if stage.down in ("max", "avg"):
            h *= s
    return h


def valid_sizes_near(cfg: UNetConfig, near: int, count: int = 6, axis: int = -1) -> list[tuple[int, int]]:
    """The `count` input sizes closest to `near` along `axis` that every down-sampling divides: (input, output).

    Valid inputs are `encoder_input(b)` for bottom sizes b = 1, 2, …: an arithmetic progression, so the search
    looks only near `near` and costs O(count · depth), not O(count · 2^depth)."""
    axis %= cfg.dims
    first, second = encoder_input(cfg, 1, axis), encoder_input(cfg, 2, axis)
    period = max(1, second - first)
    centre = max(1, (near - first) // period + 1)
    found: dict[int, int] = {}
    span = count + 2
    while len(found) < count and span <= 64 * (count + 2):  # the decoder may refuse some (a crop larger than its skip)
        for bottom in range(max(1, centre - span), centre + span + 1):
            size = encoder_input(cfg, bottom, axis)
            if size >= 1 and size not in found and (out := axis_output(cfg, size, axis)) is not None:
                found[size] = out
        span *= 2
    closest = sorted(found.items(), key=lambda item: (abs(item[0] - near), item[0]))[:count]
    return sorted(closest)


def _axis_rule(plan: StagePlan, axis: int) -> tuple[object, ...]:
    enc = tuple((st.stride[axis], st.kernel[axis], st.padding[axis]) for st in plan.encoder)
    dec = tuple((st.up_kernel[axis], st.kernel[axis], st.padding[axis]) for st in plan.decoder)
    return enc + dec


def valid_sizes_per_axis(cfg: UNetConfig, count: int) -> list[ValidSizes]:
    """Valid sizes near each input axis: one entry per distinct (rule, size), axes named when rules differ."""
    plan = cfg.plan
    names = ("D", "H", "W")[3 - cfg.dims :]
    rules = [_axis_rule(plan, axis) for axis in range(cfg.dims)]
    one_rule = len(set(rules)) == 1
    groups: dict[tuple[object, int], list[int]] = {}
    for axis, size in enumerate(cfg.input_size):
        groups.setdefault((rules[axis] if not one_rule else None, size), []).append(axis)
    out = []
    for (_rule, size), axes in groups.items():
        sizes = valid_sizes_near(cfg, size, count, axes[0])
        out.append(ValidSizes(() if one_rule else tuple(names[a] for a in axes), size, tuple(sizes)))
    return out
