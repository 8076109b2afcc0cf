"""The resolved stage plan: every default and channel rule of a config applied once, per level and per axis.

Two independent evaluators read it: the analytic engine (`core.shapes`, formulas) and the model builder
(`network.model`, torch modules). Neither applies a default of its own, so they cannot drift apart; the
trace stays a real check because torch, not this arithmetic, computes the traced shapes.

Rules and their sources:
- conv padding: `same` pads (F − 1)/2 per axis (nnU-Net's `[(k − 1) // 2 for k in kernel]`), `valid` 0;
- down-sampling from level i to i+1 by `strides[i]` per axis: a max/avg pool whose window is the stride,
  or (`pooling="conv"`) the stride on the first conv of the next stage (nnU-Net, MONAI DynUNet);
- up-sampling back to level i by the same stride; a transposed conv of kernel F (default: the stride) has
  padding P = ⌈(F − S)/2⌉ and output padding 2P + S − F, so O = S·H exactly (MONAI's `get_padding`,
  `get_output_padding`);
- decoder stage i uses stage i's kernel (nnU-Net) unless `decoder_kernel_size` says otherwise (DynUNet
  uses stage i+1's);
- channels: `widths` per level; a transposed conv makes the level's width (the 2015 paper, nnU-Net);
  interpolation keeps the channels and the decoder follows Pytorch-UNet's halving scheme, unless
  `up_widths`/`decoder_widths` give them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError

Axes = tuple[int, ...]


@dataclass(frozen=True)
class EncoderStage:
    """Encoder level `level` (the bottleneck at level depth): down-sampling into it, then its convs/blocks."""

    level: int
    block: str  # enc{level} or bottleneck
    down: str | None  # None at level 0; max, avg (a pool) or conv (the first conv is strided)
    stride: Axes  # the down-sampling factor into this level, per axis (1s at level 0)
    kernel: Axes
    padding: Axes
    c_in: int
    widths: tuple[int, ...]  # output width of each conv (plain) or each residual block
    residual: bool
    stem: int | None = None  # width of nnU-Net's stem conv before the first residual block (level 0 only)

    @property
    def width(self) -> int:
        return self.widths[-1]


@dataclass(frozen=True)
class DecoderStage:
    """Decoder level `level`: up-sample the map from below, join the skip, then convs/blocks."""

    level: int
    block: str  # dec{level}
    up: str  # transpose, bilinear, nearest
    stride: Axes  # the up-sampling factor: the encoder's stride into level+1
    up_kernel: Axes
    up_padding: Axes
    up_output_padding: Axes
    c_in: int  # channels arriving from below
    up_width: int
    skip_width: int
    kernel: Axes
    padding: Axes
    widths: tuple[int, ...]
    residual: bool
    deep_supervision: bool  # a 1×1 head on this level's output (nnU-Net's seg_layers, DynUNet's heads)

    @property
    def width(self) -> int:
        return self.widths[-1]


@dataclass(frozen=True)
class StagePlan:
    config: UNetConfig
    encoder: tuple[EncoderStage, ...]  # level 0 … depth
    decoder: tuple[DecoderStage, ...]  # execution order: level depth−1 … 0
    conv_bias: bool  # every conv but the 1×1 heads and the residual shortcuts' 1×1 convs
    up_bias: bool  # the transposed convs
    norm: str
    norm_affine: bool
    activation: str

    @property
    def dims(self) -> int:
        return self.config.dims


def stage_axes(value: int | Sequence[int | Sequence[int]], index: int, dims: int) -> Axes:
    """Entry `index` of a per-stage field (or the one int for all stages), as one int per axis."""
    entry = value if isinstance(value, int) else value[index]
    return (entry,) * dims if isinstance(entry, int) else tuple(entry)


def _count(value: int | Sequence[int], index: int) -> int:
    return value if isinstance(value, int) else value[index]


def strided_exact(h: int, kernel: int, padding: int, stride: int, same: bool) -> bool:
    """Whether a conv of `stride` fits `h` exactly: with same padding the round trip ⌈H/S⌉·S gives H back
    (H divisible by S); with valid padding the last window ends at the edge (no row dropped)."""
    positions = h - kernel + 2 * padding + (1 if same else 0)
    return positions % stride == 0


def up_padding(kernel: int, stride: int) -> tuple[int, int]:
    """(padding, output padding) of a transposed conv that multiplies the size by `stride` exactly."""
    padding = -((stride - kernel) // 2)  # ⌈(F − S)/2⌉
    return padding, 2 * padding + stride - kernel


def resolve_plan(cfg: UNetConfig) -> StagePlan:
    """The plan of `cfg`; raises ConfigError for combinations no layer can build."""
    d, depth = cfg.dims, cfg.depth
    strides = [(1,) * d] + [stage_axes(cfg.strides, i, d) if cfg.strides is not None else (2,) * d
                            for i in range(depth)]  # fmt: skip
    widths = cfg.level_widths
    interpolating = cfg.upsampling != "transpose"
    pytorch_unet_channels = interpolating and cfg.decoder_widths is None
    residual = cfg.block == "residual"
    if cfg.encoder_first_widths is not None and residual:
        raise ConfigError("encoder_first_widths", list(cfg.encoder_first_widths), "null with residual blocks "
                          "(a residual block changes the width in its first conv and its shortcut)")  # fmt: skip
    encoder = []
    c_in = cfg.in_channels
    for level in range(depth + 1):
        kernel = stage_axes(cfg.kernel_size, level, d)
        padding = tuple((k - 1) // 2 for k in kernel) if cfg.padding == "same" else (0,) * d
        width = widths[level]
        if level == depth and pytorch_unet_channels:
            width //= 2  # Pytorch-UNet's bilinear scheme: the bottleneck makes half the deepest width
        n = _count(cfg.convs_per_block, level)
        convs = (width,) * n
        if cfg.encoder_first_widths is not None:
            convs = (cfg.encoder_first_widths[level], *convs[1:])
        stem = cfg.stem_channels if residual and level == 0 else None
        down = None if level == 0 else cfg.pooling
        block = f"enc{level}" if level < depth else "bottleneck"
        encoder.append(EncoderStage(level, block, down, strides[level], kernel, padding, c_in, convs, residual, stem))
        c_in = convs[-1]
    decoder = []
    heads = depth - 1 if cfg.deep_supervision is True else int(cfg.deep_supervision)
    decoder_residual = cfg.decoder_block == "residual"
    for level in range(depth - 1, -1, -1):
        stride = strides[level + 1]
        if interpolating:
            up_kernel, up_pad, up_out = (1,) * d, (0,) * d, (0,) * d
            up_width = c_in
        else:
            up_kernel = stage_axes(cfg.up_kernel_size, level, d) if cfg.up_kernel_size is not None else stride
            pairs = [up_padding(k, s) for k, s in zip(up_kernel, stride, strict=True)]
            if any(p < 0 for p, _ in pairs):
                allowed = f"a kernel of at least the stride − 1 on every axis (level {level}: strides {list(stride)})"
                raise ConfigError("up_kernel_size", list(up_kernel), allowed)
            if any(out >= s and out > 0 for (_p, out), s in zip(pairs, stride, strict=True)):
                allowed = f"an odd kernel on every axis of stride 1 (level {level}: strides {list(stride)})"
                raise ConfigError("up_kernel_size", list(up_kernel), allowed)
            up_pad, up_out = tuple(p for p, _ in pairs), tuple(o for _, o in pairs)
            up_width = cfg.up_widths[level] if cfg.up_widths is not None else widths[level]
        kernel = (stage_axes(cfg.decoder_kernel_size, level, d) if cfg.decoder_kernel_size is not None
                  else encoder[level].kernel)  # fmt: skip
        padding = tuple((k - 1) // 2 for k in kernel) if cfg.padding == "same" else (0,) * d
        counts = cfg.decoder_convs_per_block
        n = _count(cfg.convs_per_block, level) if counts is None else _count(counts, level)
        skip = encoder[level].width
        if cfg.decoder_widths is not None:
            convs = (cfg.decoder_widths[level],) * n
        elif pytorch_unet_channels:  # halve the concat, end at half the level width (Pytorch-UNet)
            first = (up_width + widths[level]) // 2
            convs = (first,) * (n - 1) + (widths[level] // 2 if level > 0 else widths[0],)
        else:
            convs = (widths[level],) * n
        block = f"dec{level}"
        decoder.append(DecoderStage(level, block, cfg.upsampling, stride, up_kernel, up_pad, up_out, c_in, up_width,
                                    skip, kernel, padding, convs, decoder_residual, 1 <= level <= heads))  # fmt: skip
        c_in = convs[-1]
    if cfg.conv_bias == "auto":
        conv_bias, up_bias = cfg.norm == "none", True
    else:
        conv_bias = up_bias = bool(cfg.conv_bias)
    return StagePlan(cfg, tuple(encoder), tuple(decoder), conv_bias, up_bias, cfg.norm, cfg.norm_affine,
                     cfg.activation)  # fmt: skip


def all_widths(plan: StagePlan) -> list[int]:
    """Every width a norm layer sees: each conv's and each residual shortcut's output."""
    out = [w for stage in plan.encoder for w in stage.widths]
    out += [w for stage in plan.decoder for w in stage.widths]
    out += [stage.stem for stage in plan.encoder if stage.stem is not None]
    return out


def total_stride(plan: StagePlan) -> Axes:
    """The product of all strides per axis: a size must be a multiple of it to be down-sampled exactly."""
    return tuple(math.prod(stage.stride[axis] for stage in plan.encoder) for axis in range(plan.dims))
