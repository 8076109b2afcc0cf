"""What the analytic engine returns: one record per layer, per level, per warning, and the whole."""

from __future__ import annotations

import math
from dataclasses import dataclass

from unetviz.core.config import UNetConfig

BYTES_PER_VALUE = 4  # float32 activations

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Layer:
    """One step of the forward pass, in execution order."""

    name: str
    type: str
    block: str
    level: int
    in_shape: Shape
    out_shape: Shape
    kernel: int | tuple[int, ...] | None = None  # an int when every axis has it, else one per axis
    stride: int | tuple[int, ...] | None = None
    padding: int | tuple[int, ...] | None = None
    params: int = 0
    mult_adds: int = 0
    formula: str = ""
    amounts: tuple[tuple[int, int], ...] | None = None  # crop/pad per spatial axis: (before, after)
    error: str | None = None  # what torch would raise here (a `strict` concat of unequal sizes)

    @property
    def kernel_text(self) -> str:
        """`3×3`, `3×3×3` or `1×3×3`: the kernel per spatial axis; "" for a layer without one."""
        if self.kernel is None:
            return ""
        if isinstance(self.kernel, tuple):
            return "×".join(str(k) for k in self.kernel)
        return "×".join([str(self.kernel)] * (len(self.out_shape) - 2))

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "block": self.block,
            "level": self.level,
            "kernel": _axes(self.kernel),
            "stride": _axes(self.stride),
            "padding": _axes(self.padding),
            "input_shape": list(self.in_shape),
            "output_shape": list(self.out_shape),
            "params": self.params,
            "mult_adds": self.mult_adds,
            "formula": self.formula,
            "amounts": [list(a) for a in self.amounts] if self.amounts is not None else None,
            **({"error": self.error} if self.error else {}),
        }


def by_block(layers: tuple[Layer, ...] | list[Layer]) -> dict[str, list[Layer]]:
    """The layers grouped by their block (enc0, dec1, head …), blocks and layers in execution order."""
    blocks: dict[str, list[Layer]] = {}
    for layer in layers:
        blocks.setdefault(layer.block, []).append(layer)
    return blocks


def _axes(value: int | tuple[int, ...] | None) -> int | list[int] | None:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Level:
    """One level of the U: what the encoder hands over the skip and what the decoder makes of it."""

    level: int
    encoder_channels: int
    encoder_size: Shape
    decoder_channels: int | None
    decoder_size: Shape | None
    skip: str  # "crop", "pad" or "none" (the bottleneck has no skip)
    skip_amounts: tuple[tuple[int, int], ...] | None

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "encoder_channels": self.encoder_channels,
            "encoder_size": list(self.encoder_size),
            "decoder_channels": self.decoder_channels,
            "decoder_size": list(self.decoder_size) if self.decoder_size is not None else None,
            "skip": self.skip,
            "skip_amounts": [list(a) for a in self.skip_amounts] if self.skip_amounts is not None else None,
        }


@dataclass(frozen=True)
class ShapeWarning:
    kind: str  # odd-pool, shrink, skip-crop, skip-pad, norm-single, concat-fails
    layer: str | None
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "layer": self.layer, "message": self.message}


class LayerTotals:
    """Totals over `layers`, for a config's analysis and an inspected model alike."""

    layers: tuple[Layer, ...]

    @property
    def mult_adds(self) -> int:
        return sum(layer.mult_adds for layer in self.layers)

    @property
    def activation_bytes(self) -> int:
        """Float32 bytes of every layer's output: what a training forward keeps for backward."""
        return BYTES_PER_VALUE * sum(math.prod(layer.out_shape) for layer in self.layers)


@dataclass(frozen=True)
class ShapeAnalysis(LayerTotals):
    config: UNetConfig
    layers: tuple[Layer, ...]
    levels: tuple[Level, ...]
    warnings: tuple[ShapeWarning, ...]
    receptive_field: int  # the largest over the axes
    receptive_field_axes: tuple[int, ...] = ()  # per spatial axis (D, H, W)
    failure: str | None = None  # the error a forward pass would raise (a `strict` concat), with the layer

    @property
    def receptive_field_text(self) -> str:
        """`200 px`, or per axis `44×200×200 px` when the axes differ."""
        axes = self.receptive_field_axes or (self.receptive_field,)
        return f"{axes[0] if len(set(axes)) == 1 else size_text(axes)} px"

    @property
    def input_shape(self) -> Shape:
        return self.layers[0].in_shape

    @property
    def output_shape(self) -> Shape:
        return self.layers[-1].out_shape

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)


def size_text(spatial: Shape) -> str:
    return "×".join(str(s) for s in spatial)


def amounts_text(amounts: tuple[tuple[int, int], ...]) -> str:
    """Crop/pad amounts in words: `4 before + 4 after on each axis`, or axis by axis."""
    if len(set(amounts)) == 1:
        before, after = amounts[0]
        return f"{before} before + {after} after on each axis"
    return "; ".join(f"{axis}: {a} + {b}" for axis, (a, b) in zip(axis_names(len(amounts)), amounts, strict=True))


def axis_names(n: int) -> tuple[str, ...]:
    return ("D", "H", "W")[3 - n :]


@dataclass(frozen=True)
class Imported:
    """What an importer made of a foreign file: the config, the keys it read and what it assumed."""

    config: UNetConfig
    source: str  # in words: `nnU-Net plans Dataset042_Heart, configuration 3d_fullres`
    keys: tuple[str, ...]
    assumed: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "keys": list(self.keys), "assumed": list(self.assumed)}
