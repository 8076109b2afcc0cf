"""The analytic engine: every layer's output size from the formulas alone (no torch import).

It walks the resolved stage plan (`core.plan`) in execution order; records (Layer, Level, …) live in
`records`, tile sizes in `tiles`. Per axis:
O = ⌊(H − F + 2P)/S⌋ + 1 for a conv or a pool (window F = S, P = 0),
O = (H − 1)·S − 2P + F + P_out for a transposed conv, O = S·H for interpolation.
The layer list mirrors `network.model.build_model` name for name.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError
from unetviz.core.plan import DecoderStage, EncoderStage, StagePlan, strided_exact
from unetviz.core.records import (
    BYTES_PER_VALUE,
    Layer,
    Level,
    Shape,
    ShapeAnalysis,
    ShapeWarning,
    amounts_text,
    axis_names,
    size_text,
)
from unetviz.core.tiles import axis_output, valid_sizes_near

MAX_PARAMS = 10**10
POOL_KERNEL = 2  # the default stride, and so the default pool window and up-conv kernel
UP_KERNEL = 2
NORM_TYPES = {"batch": "BatchNorm{d}d", "instance": "InstanceNorm{d}d", "group": "GroupNorm"}
ACTIVATION_TYPES = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "prelu": "PReLU", "gelu": "GELU", "elu": "ELU"}


def conv_out(h: int, f: int, p: int, s: int) -> int:
    return (h - f + 2 * p) // s + 1


def transpose_out(h: int, f: int, p: int, s: int, output_padding: int = 0) -> int:
    return (h - 1) * s - 2 * p + f + output_padding


def _per_axis(texts: list[str]) -> str:
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{axis}: {text}" for axis, text in zip(axis_names(len(texts)), texts, strict=True))


def one_value(values: tuple[int, ...]) -> int | tuple[int, ...]:
    """A per-axis value as one int when every axis has it (the 2015 paper's family), else per axis."""
    return values[0] if len(set(values)) == 1 else values


def axes_text(values: tuple[int, ...], short: bool = False) -> str:
    """`3×3` or `1×3×3`: a kernel or stride as the labels and formulas write it; `short`: one number when every
    axis has it (`/2`, not `/2×2`)."""
    if short and len(set(values)) == 1:
        return str(values[0])
    return "×".join(str(v) for v in values)


def _signed(a: int) -> str:
    return f"+ {a}" if a >= 0 else f"− {-a}"


def activation_name(cfg: UNetConfig, index: int | str) -> str:
    """`relu1` (the paper's family keeps its names), else the activation's own name: `leaky_relu1`, `prelu2`."""
    return f"{cfg.activation}{index}"


class _Builder:
    """Walks the plan in execution order, appending one Layer per step."""

    def __init__(self, plan: StagePlan) -> None:
        self.plan = plan
        self.cfg = cfg = plan.config
        self.d = cfg.dims
        self.n = cfg.batch_size
        self.layers: list[Layer] = []
        self.warnings: list[ShapeWarning] = []
        self.failure: str | None = None
        self.shape: Shape = (cfg.batch_size, cfg.in_channels, *cfg.input_size)
        # Receptive field along the deepest path, per axis: size r and jump j in input pixels.
        self.rf = [Fraction(1)] * self.d
        self.jump = [Fraction(1)] * self.d

    @property
    def spatial(self) -> Shape:
        return self.shape[2:]

    def _step(self, name: str, kind: str, block: str, level: int, out_shape: Shape, formula: str, **extra: Any) -> None:
        """Append a layer that reads the current map (unless `in_shape` says otherwise) and makes `out_shape`."""
        for size in out_shape[2:]:
            if size < 1:
                raise ConfigError(
                    "input_size",
                    list(self.cfg.input_size),
                    f"an input that stays ≥ 1 at every layer ({name} gives {size_text(out_shape[2:])}); "
                    f"try `unetviz sizes` for sizes that fit",
                )
        in_shape = extra.pop("in_shape", self.shape)
        keep = extra.pop("keep", False)
        self.layers.append(Layer(name, kind, block, level, in_shape, out_shape, formula=formula, **extra))
        if not keep:
            self.shape = out_shape

    def _warn(self, kind: str, layer: str, message: str) -> None:
        self.warnings.append(ShapeWarning(kind, layer, message))

    # --- single layers -------------------------------------------------------------------------------

    def conv(self, name: str, block: str, level: int, c_out: int, kernel: tuple[int, ...], padding: tuple[int, ...],
             stride: tuple[int, ...] | None = None, bias: bool | None = None, **extra: Any) -> None:  # fmt: skip
        stride = stride or (1,) * self.d
        in_shape = extra.get("in_shape", self.shape)
        spatial, c_in = in_shape[2:], in_shape[1]
        bias = self.plan.conv_bias if bias is None else bias
        out = tuple(conv_out(h, f, p, s) for h, f, p, s in zip(spatial, kernel, padding, stride, strict=True))
        texts = []
        for h, f, p, s, o in zip(spatial, kernel, padding, stride, out, strict=True):
            texts.append(f"⌊({h} − {f} + 2·{p})/{s}⌋ + 1 = {o}" if s > 1 else f"({h} − {f} + 2·{p})/1 + 1 = {o}")
        if any(s > 1 for s in stride):
            same = self.cfg.padding == "same"
            per_axis = zip(axis_names(self.d), spatial, kernel, padding, stride, strict=True)
            uneven = [f"{a} {h}" for a, h, f, p, s in per_axis if not strided_exact(h, f, p, s, same)]
            if uneven:
                self._warn("odd-pool", name, f"{name}: the strided conv does not divide {', '.join(uneven)} "
                           f"evenly (stride {axes_text(stride)}; ⌊…⌋ rounds): the up-sampled map will not "
                           "match the skip")  # fmt: skip
        weights = c_out * c_in * math.prod(kernel)
        params, mult_adds = weights + (c_out if bias else 0), weights * self.n * math.prod(out)
        sizes = {"kernel": one_value(kernel), "stride": one_value(stride), "padding": one_value(padding)}
        self._step(name, f"Conv{self.d}d", block, level, (self.n, c_out, *out), _per_axis(texts), **sizes,
                   params=params, mult_adds=mult_adds, **extra)  # fmt: skip

    def grow_rf(self, kernel: tuple[int, ...], stride: tuple[int, ...]) -> None:
        for axis, (f, s) in enumerate(zip(kernel, stride, strict=True)):
            self.rf[axis] += (f - 1) * self.jump[axis]
            self.jump[axis] *= s

    def norm(self, name: str, block: str, level: int) -> None:
        if self.plan.norm == "none":
            return
        channels = self.shape[1]
        elements = math.prod(self.shape)
        per_channel = elements // channels
        if self.plan.norm == "instance" and per_channel // self.n <= 1:
            raise ConfigError("norm", "instance", f"batch or none: instance norm at {name} would normalise a "
                              f"single value ({size_text(self.spatial)}); or a larger input_size")  # fmt: skip
        if self.plan.norm == "batch" and per_channel <= 1:
            self._warn("norm-single", name, f"{name} sees one value per channel ({size_text(self.spatial)}, "
                       f"batch {self.n}): batch norm cannot train on it")  # fmt: skip
        affine = self.plan.norm_affine
        kind = NORM_TYPES[self.plan.norm].format(d=self.d)
        self._step(name, kind, block, level, self.shape, "same size as input", params=2 * channels if affine else 0,
                   mult_adds=elements if affine else 0)  # fmt: skip

    def act(self, name: str, block: str, level: int, first_of_group: bool = True) -> None:
        """The activation; a PReLU has one parameter, counted once per group when the group shares it."""
        prelu = self.plan.activation == "prelu"
        params = 1 if prelu and (first_of_group or not self.cfg.shared_activation) else 0
        mult_adds = math.prod(self.shape) if prelu else 0  # its slope multiplies every element
        self._step(name, ACTIVATION_TYPES[self.plan.activation], block, level, self.shape, "same size as input",
                   params=params, mult_adds=mult_adds)  # fmt: skip

    def dropout(self, name: str, block: str, level: int) -> None:
        if self.cfg.dropout > 0:
            self._step(name, "Dropout", block, level, self.shape, f"same size as input (p = {self.cfg.dropout:g})")

    def conv_unit(self, prefix: str, block: str, level: int, index: int | str, c_out: int, kernel: tuple[int, ...],
                  padding: tuple[int, ...], stride: tuple[int, ...] | None = None, act: bool = True,
                  first_of_group: bool = True, dropout: bool = True) -> None:  # fmt: skip
        """conv → dropout → norm → activation, nnU-Net's ConvDropoutNormReLU (MONAI's order: conv, norm, act)."""
        self.conv(f"{prefix}conv{index}", block, level, c_out, kernel, padding, stride)
        self.grow_rf(kernel, stride or (1,) * self.d)
        if dropout:
            self.dropout(f"{prefix}drop{index}", block, level)
        self.norm(f"{prefix}norm{index}", block, level)
        if act:
            self.act(f"{prefix}{activation_name(self.cfg, index)}", block, level, first_of_group)

    def pool(self, name: str, block: str, level: int, stride: tuple[int, ...], kind: str, **extra: Any) -> None:
        in_shape = extra.get("in_shape", self.shape)
        spatial = in_shape[2:]
        out = tuple(conv_out(h, s, 0, s) for h, s in zip(spatial, stride, strict=True))
        formula = _per_axis(
            [f"⌊({h} − {s} + 2·0)/{s}⌋ + 1 = {o}" for h, s, o in zip(spatial, stride, out, strict=True)]
        )
        type_ = ("MaxPool" if kind == "max" else "AvgPool") + f"{self.d}d"
        self._step(name, type_, block, level, (*in_shape[:2], *out), formula, kernel=one_value(stride),
                   stride=one_value(stride), padding=0, **extra)  # fmt: skip

    # --- stages --------------------------------------------------------------------------------------

    def down(self, stage: EncoderStage) -> None:
        name = f"{stage.block}.pool"
        spatial = self.spatial
        if any(h % s for h, s in zip(spatial, stage.stride, strict=True)):
            out = tuple(h // s for h, s in zip(spatial, stage.stride, strict=True))
            if set(stage.stride) == {2}:
                message = (f"{name} pools an odd size {size_text(spatial)} → {size_text(out)}: "
                           "the last row/column is dropped and the skip no longer lines up")  # fmt: skip
            else:
                axes = ", ".join(f"{a} {h} by {s}" for a, h, s in zip(axis_names(self.d), spatial, stage.stride,
                                                                       strict=True) if h % s)  # fmt: skip
                message = (f"{name} pools {size_text(spatial)} → {size_text(out)}: {axes} does not divide, so the "
                           "last rows are dropped and the skip no longer lines up")  # fmt: skip
            self._warn("odd-pool", name, message)
        self.pool(name, stage.block, stage.level, stage.stride, stage.down or "max")
        for axis, s in enumerate(stage.stride):
            self.rf[axis] += (s - 1) * self.jump[axis]
            self.jump[axis] *= s

    def encoder_stage(self, stage: EncoderStage) -> None:
        block, level = stage.block, stage.level
        strided = stage.down == "conv"
        if stage.down in ("max", "avg"):
            self.down(stage)
        stride = stage.stride if strided else None
        if stage.stem is not None:
            self.conv_unit(f"{block}.stem.", block, level, "", stage.stem, stage.kernel, stage.padding)
        if stage.residual:
            for index, width in enumerate(stage.widths, start=1):
                self.residual_block(f"{block}.res{index}.", block, level, width, stage.kernel, stage.padding,
                                    stride if index == 1 else None)  # fmt: skip
            return
        for index, width in enumerate(stage.widths, start=1):
            self.conv_unit(f"{block}.", block, level, index, width, stage.kernel, stage.padding,
                           stride if index == 1 else None, first_of_group=index == 1)  # fmt: skip

    def residual_block(self, prefix: str, block: str, level: int, width: int, kernel: tuple[int, ...],
                       padding: tuple[int, ...], stride: tuple[int, ...] | None) -> None:  # fmt: skip
        """conv-norm-act, conv-norm, + shortcut, act (nnU-Net's BasicBlockD, MONAI's UnetResBlock)."""
        block_in = self.shape
        self.conv_unit(prefix, block, level, 1, width, kernel, padding, stride)
        self.conv_unit(prefix, block, level, 2, width, kernel, padding, act=False, dropout=False)  # as BasicBlockD
        main = self.shape
        strided = stride is not None and any(s > 1 for s in stride)
        shortcut = block_in
        if self.cfg.shortcut == "pool_conv":  # nnU-Net: average-pool when strided, 1×1 conv only for the width
            if strided:
                assert stride is not None
                self.pool(f"{prefix}skip_pool", block, level, stride, "avg", in_shape=shortcut, keep=True)
                shortcut = self.layers[-1].out_shape
            needs_conv, conv_stride = block_in[1] != width, None
        else:  # MONAI: one strided 1×1 conv when the width or the size changes
            needs_conv, conv_stride = block_in[1] != width or strided, stride
        if needs_conv:
            ones = (1,) * self.d
            self.conv(f"{prefix}skip_conv", block, level, width, ones, (0,) * self.d, conv_stride, bias=False,
                      in_shape=shortcut, keep=True)  # fmt: skip
            shortcut = self.layers[-1].out_shape
            if self.plan.norm != "none":
                self.shape = shortcut
                self.norm(f"{prefix}skip_norm", block, level)
                self.shape = main
        if shortcut[2:] != main[2:]:
            raise ConfigError("input_size", list(self.cfg.input_size), f"sizes whose shortcut at {prefix}add matches "
                              f"its main path ({size_text(shortcut[2:])} vs {size_text(main[2:])}: the strides must "
                              "divide the input); try `unetviz sizes`")  # fmt: skip
        self._step(f"{prefix}add", "Add", block, level, main, f"main + shortcut: {size_text(main[2:])}")
        self.act(f"{prefix}{activation_name(self.cfg, 2)}", block, level, first_of_group=False)

    def up(self, stage: DecoderStage) -> None:
        name = f"{stage.block}.up"
        spatial, c_in = self.spatial, self.shape[1]
        if stage.up == "transpose":
            axes = list(
                zip(spatial, stage.up_kernel, stage.up_padding, stage.stride, stage.up_output_padding, strict=True)
            )
            out = tuple(transpose_out(h, f, p, s, o) for h, f, p, s, o in axes)
            texts = [f"({h} − 1)·{s} − 2·{p} + {f}{f' + {o}' if o else ''} = {transpose_out(h, f, p, s, o)}"
                     for h, f, p, s, o in axes]  # fmt: skip
            weights = c_in * stage.up_width * math.prod(stage.up_kernel)
            # A transposed conv multiplies each *input* position by all its weights.
            sizes = {"kernel": one_value(stage.up_kernel), "stride": one_value(stage.stride),
                     "padding": one_value(stage.up_padding)}  # fmt: skip
            params = weights + (stage.up_width if self.plan.up_bias else 0)
            mult_adds = weights * self.n * math.prod(spatial)
            self._step(name, f"ConvTranspose{self.d}d", stage.block, stage.level, (self.n, stage.up_width, *out),
                       _per_axis(texts), **sizes, params=params, mult_adds=mult_adds)  # fmt: skip
            for axis, (f, s) in enumerate(zip(stage.up_kernel, stage.stride, strict=True)):
                self.rf[axis] += (-(-f // s) - 1) * self.jump[axis]  # an output reads ⌈F/S⌉ inputs
        else:
            out = tuple(s * h for h, s in zip(spatial, stage.stride, strict=True))
            formula = _per_axis([f"{s}·{h} = {o}" for h, s, o in zip(spatial, stage.stride, out, strict=True)])
            self._step(name, "Upsample", stage.block, stage.level, (*self.shape[:2], *out), formula,
                       stride=one_value(stage.stride))  # fmt: skip
            if stage.up == "bilinear":
                for axis, s in enumerate(stage.stride):
                    self.rf[axis] += self.jump[axis] if s > 1 else 0  # linear interpolation reads two neighbours
        for axis, s in enumerate(stage.stride):
            self.jump[axis] /= s

    def merge(self, block: str, level: int, skip: Shape) -> tuple[tuple[int, int], ...]:
        up_shape = self.shape
        up_spatial, skip_spatial = self.spatial, skip[2:]
        diffs = [s - u for s, u in zip(skip_spatial, up_spatial, strict=True)]
        amounts = tuple((diff // 2, diff - diff // 2) for diff in diffs)
        merge = self.cfg.merge
        if merge == "crop":
            if min(diffs) < 0:
                raise ConfigError("merge", "crop", f"pad: at {block} the up-sampled map {size_text(up_spatial)} is "
                                  f"larger than the skip {size_text(skip_spatial)}")  # fmt: skip
            texts = [f"{s} − {a} − {b} = {u}" for s, (a, b), u in zip(skip_spatial, amounts, up_spatial, strict=True)]
            name = f"{block}.crop"
            self._step(name, "Crop", block, level, (*skip[:2], *up_spatial), "skip " + _per_axis(texts),
                       in_shape=skip, amounts=amounts)  # fmt: skip
            if any(diffs):
                self._warn("skip-crop", name, f"{name}: skip cropped {size_text(skip_spatial)} → "
                           f"{size_text(up_spatial)} ({amounts_text(amounts)})")  # fmt: skip
            skip, self.shape = self.shape, up_shape
        elif merge == "pad":
            texts = [f"{u} {_signed(a)} {_signed(b)} = {s}"
                     for u, (a, b), s in zip(up_spatial, amounts, skip_spatial, strict=True)]  # fmt: skip
            name = f"{block}.pad"
            self._step(name, "Pad", block, level, (*self.shape[:2], *skip_spatial), "up " + _per_axis(texts),
                       amounts=amounts)  # fmt: skip
            if any(diffs):
                self._warn("skip-pad", name, f"{name}: up-sampled map zero-padded {size_text(up_spatial)} → "
                           f"{size_text(skip_spatial)} ({amounts_text(amounts)})")  # fmt: skip
        c_skip, c_up = skip[1], self.shape[1]
        name = f"{block}.concat"
        failed = None
        if merge == "strict" and any(diffs) and self.failure is None:  # later joins only follow from the first
            axis = next(i for i, diff in enumerate(diffs) if diff)
            # torch.cat's own words, for cat([skip, up], dim=1): the first tensor sets the expected size
            failed = (f"Sizes of tensors must match except in dimension 1. Expected size {skip_spatial[axis]} but "
                      f"got size {up_spatial[axis]} for tensor number 1 in the list.")  # fmt: skip
            self.failure = f"{failed} (at {name}: skip {size_text(skip_spatial)} vs up-sampled {size_text(up_spatial)})"
            self._warn("concat-fails", name, f"{name}: torch.cat fails: skip {size_text(skip_spatial)} vs up-sampled "
                       f"{size_text(up_spatial)} ({axis_names(self.d)[axis]} {skip_spatial[axis]} vs "
                       f"{up_spatial[axis]}); sizes after it assume the up-sampled map's")  # fmt: skip
        self._step(name, "Concat", block, level, (self.n, c_skip + c_up, *self.spatial),
                   f"[skip, up]: {c_skip} + {c_up} = {c_skip + c_up} channels", error=failed)  # fmt: skip
        return amounts

    def decoder_stage(self, stage: DecoderStage, skip: Shape) -> tuple[tuple[int, int], ...]:
        block, level = stage.block, stage.level
        self.up(stage)
        amounts = self.merge(block, level, skip)
        for index, width in enumerate(stage.widths, start=1):
            if stage.residual:
                self.residual_block(f"{block}.res{index}.", block, level, width, stage.kernel, stage.padding, None)
            else:
                self.conv_unit(f"{block}.", block, level, index, width, stage.kernel, stage.padding,
                               first_of_group=index == 1)  # fmt: skip
        if stage.deep_supervision:
            ones = (1,) * self.d
            self.conv(f"ds{level}.conv", f"ds{level}", level, self.cfg.num_classes, ones, (0,) * self.d, bias=True,
                      keep=True)  # fmt: skip
        return amounts


def analyze_shapes(cfg: UNetConfig) -> ShapeAnalysis:
    """Every layer of `cfg`'s UNet from the formulas; raises ConfigError if a map collapses."""
    plan = cfg.plan
    b = _Builder(plan)
    skips: list[Shape] = []
    for enc_stage in plan.encoder:
        b.encoder_stage(enc_stage)
        if enc_stage.level < cfg.depth:
            skips.append(b.shape)
    encoder = {level: skips[level] for level in range(cfg.depth)}
    encoder[cfg.depth] = b.shape
    decoder: dict[int, tuple[Shape, tuple[tuple[int, int], ...]]] = {}
    for stage in plan.decoder:
        amounts = b.decoder_stage(stage, skips[stage.level])
        decoder[stage.level] = (b.shape, amounts)
    ones = (1,) * cfg.dims
    b.conv("head.conv", "head", 0, cfg.num_classes, ones, (0,) * cfg.dims, bias=True)

    levels = []
    for level in range(cfg.depth + 1):
        enc = encoder[level]
        if level in decoder:
            dec, amounts = decoder[level]
            levels.append(Level(level, enc[1], enc[2:], dec[1], dec[2:], cfg.merge, amounts))
        else:
            levels.append(Level(level, enc[1], enc[2:], None, None, "none", None))
    out_spatial, in_spatial = b.shape[2:], tuple(cfg.input_size)
    lost = tuple(i - o for i, o in zip(in_spatial, out_spatial, strict=True))
    if any(n > 0 for n in lost) and b.failure is None:
        cause = "valid padding" if cfg.padding == "valid" else "cropping after pools of odd sizes"
        advice = "tile the image with overlapping inputs" if cfg.padding == "valid" else "use an input size that fits"
        message = f"output {size_text(out_spatial)} is smaller than the input {size_text(in_spatial)} "
        b.warnings.append(ShapeWarning("shrink", None, message + f"({cause} loses {size_text(lost)}): {advice}"))
    rf = tuple(math.ceil(r) for r in b.rf)
    result = ShapeAnalysis(cfg, tuple(b.layers), tuple(levels), tuple(b.warnings), max(rf), rf, b.failure)
    if result.total_params > MAX_PARAMS:
        raise ConfigError(
            "widths",
            list(cfg.level_widths),
            f"a model of at most {MAX_PARAMS:.0e} parameters (this one has {result.total_params:,})",
        )
    return result


__all__ = [
    "BYTES_PER_VALUE",
    "Layer",
    "Level",
    "Shape",
    "ShapeAnalysis",
    "ShapeWarning",
    "amounts_text",
    "analyze_shapes",
    "axis_output",
    "conv_out",
    "size_text",
    "transpose_out",
    "valid_sizes_near",
]
