"""The analytic engine: every layer's output size from the formulas alone (no torch import).

Records (Layer, Level, …) live in `records`, tile sizes in `tiles`; both are re-exported here.

O = ⌊(H − F + 2P)/S⌋ + 1 for conv and pool, O = (H − 1)·S − 2P + F for a transposed conv,
O = 2H for interpolation; the layer list mirrors `model.build_model` name for name.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from unetviz.core.channels import decoder_widths
from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError
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
POOL_KERNEL = 2
UP_KERNEL = 2


def conv_out(h: int, f: int, p: int, s: int) -> int:
    return (h - f + 2 * p) // s + 1


def transpose_out(h: int, f: int, p: int, s: int) -> int:
    return (h - 1) * s - 2 * p + f


def _per_axis(texts: list[str]) -> str:
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{axis}: {text}" for axis, text in zip(axis_names(len(texts)), texts, strict=True))


class _Builder:
    """Walks the UNet in execution order, appending one Layer per step."""

    def __init__(self, cfg: UNetConfig) -> None:
        self.cfg = cfg
        self.d = cfg.dims
        self.n = cfg.batch_size
        self.layers: list[Layer] = []
        self.warnings: list[ShapeWarning] = []
        self.shape: Shape = (cfg.batch_size, cfg.in_channels, *cfg.input_size)
        # Receptive field along the deepest path: size r and jump j in input pixels.
        self.rf = Fraction(1)
        self.jump = Fraction(1)

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
        self.layers.append(Layer(name, kind, block, level, in_shape, out_shape, formula=formula, **extra))
        self.shape = out_shape

    def _warn(self, kind: str, layer: str, message: str) -> None:
        self.warnings.append(ShapeWarning(kind, layer, message))

    def conv(self, block: str, level: int, index: int, c_out: int, kernel: int, padding: int) -> None:
        c_in = self.shape[1]
        bias = self.cfg.norm == "none" or block == "head"
        out = tuple(conv_out(h, kernel, padding, 1) for h in self.spatial)
        weights = c_out * c_in * kernel**self.d
        name = f"{block}.conv{index}" if block != "head" else "head.conv"
        texts = [f"({h} − {kernel} + 2·{padding})/1 + 1 = {o}" for h, o in zip(self.spatial, out, strict=True)]
        self._step(name, f"Conv{self.d}d", block, level, (self.n, c_out, *out), _per_axis(texts), kernel=kernel,
                   stride=1, padding=padding, params=weights + (c_out if bias else 0),
                   mult_adds=weights * self.n * math.prod(out))  # fmt: skip
        self.rf += (kernel - 1) * self.jump
        if block == "head":
            return
        if self.cfg.norm != "none":
            self._norm(block, level, index, c_out)
        self._step(f"{block}.relu{index}", "ReLU", block, level, self.shape, "same size as input")

    def _norm(self, block: str, level: int, index: int, channels: int) -> None:
        name = f"{block}.norm{index}"
        elements = math.prod(self.shape)
        per_channel = elements // channels
        if self.cfg.norm == "instance" and per_channel // self.n <= 1:
            raise ConfigError("norm", "instance", f"batch or none: instance norm at {name} would normalise a "
                              f"single value ({size_text(self.spatial)}); or a larger input_size")  # fmt: skip
        if self.cfg.norm == "batch" and per_channel <= 1:
            self._warn("norm-single", name, f"{name} sees one value per channel ({size_text(self.spatial)}, "
                       f"batch {self.n}): batch norm cannot train on it")  # fmt: skip
        kind = "BatchNorm" if self.cfg.norm == "batch" else "InstanceNorm"
        self._step(name, f"{kind}{self.d}d", block, level, self.shape, "same size as input", params=2 * channels,
                   mult_adds=elements)  # fmt: skip

    def pool(self, block: str, level: int) -> None:
        out = tuple(conv_out(h, POOL_KERNEL, 0, POOL_KERNEL) for h in self.spatial)
        name = f"{block}.pool"
        kind = "MaxPool" if self.cfg.pooling == "max" else "AvgPool"
        formula = _per_axis([f"⌊({h} − 2 + 2·0)/2⌋ + 1 = {o}" for h, o in zip(self.spatial, out, strict=True)])
        if any(h % 2 for h in self.spatial):
            self._warn("odd-pool", name, f"{name} pools an odd size {size_text(self.spatial)} → {size_text(out)}: "
                       "the last row/column is dropped and the skip no longer lines up")  # fmt: skip
        self._step(name, f"{kind}{self.d}d", block, level, (*self.shape[:2], *out), formula, kernel=POOL_KERNEL,
                   stride=POOL_KERNEL, padding=0)  # fmt: skip
        self.rf += (POOL_KERNEL - 1) * self.jump
        self.jump *= POOL_KERNEL

    def up(self, block: str, level: int, c_out: int) -> None:
        c_in = self.shape[1]
        name = f"{block}.up"
        if self.cfg.upsampling == "transpose":
            out = tuple(transpose_out(h, UP_KERNEL, 0, 2) for h in self.spatial)
            weights = c_in * c_out * UP_KERNEL**self.d
            formula = _per_axis([f"({h} − 1)·2 − 2·0 + 2 = {o}" for h, o in zip(self.spatial, out, strict=True)])
            # A transposed conv multiplies each *input* position by all its weights.
            self._step(name, f"ConvTranspose{self.d}d", block, level, (self.n, c_out, *out), formula,
                       kernel=UP_KERNEL, stride=2, padding=0, params=weights + c_out,
                       mult_adds=weights * self.n * math.prod(self.spatial))  # fmt: skip
        else:
            out = tuple(2 * h for h in self.spatial)
            formula = _per_axis([f"2·{h} = {o}" for h, o in zip(self.spatial, out, strict=True)])
            self._step(name, "Upsample", block, level, (*self.shape[:2], *out), formula, stride=2)
            if self.cfg.upsampling == "bilinear":
                self.rf += self.jump  # linear interpolation reads two neighbours
        self.jump /= 2

    def merge(self, block: str, level: int, skip: Shape) -> tuple[tuple[int, int], ...]:
        up_shape = self.shape
        up_spatial, skip_spatial = self.spatial, skip[2:]
        diffs = [s - u for s, u in zip(skip_spatial, up_spatial, strict=True)]
        amounts = tuple((diff // 2, diff - diff // 2) for diff in diffs)
        if self.cfg.merge == "crop":
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
        else:
            texts = [f"{u} + {a} + {b} = {s}" for u, (a, b), s in zip(up_spatial, amounts, skip_spatial, strict=True)]
            name = f"{block}.pad"
            self._step(name, "Pad", block, level, (*self.shape[:2], *skip_spatial), "up " + _per_axis(texts),
                       amounts=amounts)  # fmt: skip
            if any(diffs):
                self._warn("skip-pad", name, f"{name}: up-sampled map zero-padded {size_text(up_spatial)} → "
                           f"{size_text(skip_spatial)} ({amounts_text(amounts)})")  # fmt: skip
        c_skip, c_up = skip[1], self.shape[1]
        self._step(f"{block}.concat", "Concat", block, level, (self.n, c_skip + c_up, *self.spatial),
                   f"[skip, up]: {c_skip} + {c_up} = {c_skip + c_up} channels")  # fmt: skip
        return amounts


def analyze_shapes(cfg: UNetConfig) -> ShapeAnalysis:
    """Every layer of `cfg`'s UNet from the formulas; raises ConfigError if a map collapses."""
    b = _Builder(cfg)
    widths = cfg.level_widths
    k, p = cfg.kernel_size, cfg.conv_padding
    bottleneck_width, dec_widths = decoder_widths(cfg)
    skips: list[Shape] = []
    for level in range(cfg.depth + 1):
        block = f"enc{level}" if level < cfg.depth else "bottleneck"
        if level > 0:
            b.pool(block, level)
        width = widths[level] if level < cfg.depth else bottleneck_width
        for index in range(1, cfg.convs_per_block + 1):
            b.conv(block, level, index, width, k, p)
        if level < cfg.depth:
            skips.append(b.shape)
    encoder = {level: skips[level] for level in range(cfg.depth)}
    encoder[cfg.depth] = b.shape
    decoder: dict[int, tuple[Shape, tuple[tuple[int, int], ...]]] = {}
    for level in range(cfg.depth - 1, -1, -1):
        block = f"dec{level}"
        first, out = dec_widths[level]
        b.up(block, level, widths[level] if cfg.upsampling == "transpose" else b.shape[1])
        amounts = b.merge(block, level, skips[level])
        for index in range(1, cfg.convs_per_block + 1):
            last = index == cfg.convs_per_block
            b.conv(block, level, index, out if last else first, k, p)
        decoder[level] = (b.shape, amounts)
    b.conv("head", 0, 1, cfg.num_classes, 1, 0)

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
    if any(n > 0 for n in lost):
        cause = "valid padding" if cfg.padding == "valid" else "cropping after pools of odd sizes"
        advice = "tile the image with overlapping inputs" if cfg.padding == "valid" else "use an input size that fits"
        message = f"output {size_text(out_spatial)} is smaller than the input {size_text(in_spatial)} "
        b.warnings.append(ShapeWarning("shrink", None, message + f"({cause} loses {size_text(lost)}): {advice}"))
    result = ShapeAnalysis(cfg, tuple(b.layers), tuple(levels), tuple(b.warnings), math.ceil(b.rf))
    if result.total_params > MAX_PARAMS:
        raise ConfigError(
            "widths",
            list(widths),
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
