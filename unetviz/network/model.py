"""build_model(config) -> the real torch.nn.Module, built from the resolved stage plan (`core.plan`) and named
layer for layer like the analytic engine, so the trace can compare the two name by name.

Blocks follow their references: a conv unit is conv → dropout → norm → activation (nnU-Net's
`ConvDropoutNormReLU`); a residual block is nnU-Net's `BasicBlockD` (shortcut `pool_conv`) or MONAI's
`UnetResBlock` (shortcut `strided_conv`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError
from unetviz.core.plan import DecoderStage, EncoderStage, StagePlan
from unetviz.core.shapes import activation_name, analyze_shapes
from unetviz.core.shapes import one_value as _one

Axes = tuple[int, ...]


class Crop(nn.Module):
    """Centre-crops the skip to the up-sampled map's size (the 2015 paper's 'copy and crop')."""

    def forward(self, skip: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        slices = [slice(None), slice(None)]
        for s, r in zip(skip.shape[2:], ref.shape[2:], strict=True):
            start = (s - r) // 2
            slices.append(slice(start, start + r))
        return skip[tuple(slices)]


class Pad(nn.Module):
    """Zero-pads the up-sampled map to the skip's size: diff//2 before, the rest after (Pytorch-UNet)."""

    def forward(self, up: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        pads: list[int] = []
        for u, r in zip(reversed(up.shape[2:]), reversed(ref.shape[2:]), strict=True):  # F.pad: last axis first
            diff = r - u
            pads += [diff // 2, diff - diff // 2]
        return F.pad(up, pads)


class Concat(nn.Module):
    """torch.cat([skip, up], dim=1): raises torch's own error when the sizes differ (a `strict` merge)."""

    def forward(self, skip: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        return torch.cat([skip, up], dim=1)


class Add(nn.Module):
    """The residual sum: main path + shortcut."""

    def forward(self, main: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        return main + shortcut


class _Layers:
    """Makes the torch modules of one plan: convs, norms and activations with the plan's settings."""

    def __init__(self, plan: StagePlan) -> None:
        self.plan = plan
        self.cfg = plan.config
        d = plan.dims
        self.conv_type: Any = nn.Conv2d if d == 2 else nn.Conv3d
        self.transpose_type: Any = nn.ConvTranspose2d if d == 2 else nn.ConvTranspose3d
        self.max_pool: Any = nn.MaxPool2d if d == 2 else nn.MaxPool3d
        self.avg_pool: Any = nn.AvgPool2d if d == 2 else nn.AvgPool3d

    def conv(self, c_in: int, c_out: int, kernel: Axes, padding: Axes, stride: Axes | None = None,
             bias: bool | None = None) -> nn.Module:  # fmt: skip
        bias = self.plan.conv_bias if bias is None else bias
        return self.conv_type(c_in, c_out, _one(kernel), stride=_one(stride or (1,)), padding=_one(padding), bias=bias)

    def norm(self, channels: int) -> nn.Module | None:
        affine, d = self.plan.norm_affine, self.plan.dims
        if self.plan.norm == "batch":
            return (nn.BatchNorm2d if d == 2 else nn.BatchNorm3d)(channels, affine=affine)
        if self.plan.norm == "instance":
            return (nn.InstanceNorm2d if d == 2 else nn.InstanceNorm3d)(channels, affine=affine)
        if self.plan.norm == "group":
            return nn.GroupNorm(self.cfg.norm_groups, channels, affine=affine)
        return None

    def act(self) -> nn.Module:
        kind = self.plan.activation
        if kind == "relu":
            return nn.ReLU(inplace=True)
        if kind == "leaky_relu":
            return nn.LeakyReLU(self.cfg.negative_slope, inplace=True)
        if kind == "prelu":
            return nn.PReLU()
        if kind == "gelu":
            return nn.GELU()
        return nn.ELU(inplace=True)

    def conv_unit(
        self,
        c_in: int,
        c_out: int,
        kernel: Axes,
        padding: Axes,
        index: int | str,
        stride: Axes | None = None,
        act: bool = True,
        dropout: bool = True,
    ) -> list[tuple[str, nn.Module]]:
        """conv → dropout → norm → activation, named as the analytic engine names them."""
        layers: list[tuple[str, nn.Module]] = [(f"conv{index}", self.conv(c_in, c_out, kernel, padding, stride))]
        if dropout and self.cfg.dropout > 0:
            layers.append((f"drop{index}", nn.Dropout(self.cfg.dropout)))
        norm = self.norm(c_out)
        if norm is not None:
            layers.append((f"norm{index}", norm))
        if act:
            layers.append((activation_name(self.cfg, index), self.act()))
        return layers

    def share_activation(self, modules: list[nn.Module]) -> None:
        """MONAI's blocks apply one activation module after each conv: tie the PReLU slopes the same way."""
        prelus = [m for m in modules if isinstance(m, nn.PReLU)]
        if self.cfg.shared_activation:
            for prelu in prelus[1:]:
                prelu.weight = prelus[0].weight


class ResidualBlock(nn.Module):
    """conv-norm-act, conv-norm, + shortcut, act: nnU-Net's BasicBlockD or MONAI's UnetResBlock."""

    def __init__(self, make: _Layers, c_in: int, c_out: int, kernel: Axes, padding: Axes, stride: Axes | None) -> None:
        super().__init__()
        cfg = make.cfg
        for name, module in [*make.conv_unit(c_in, c_out, kernel, padding, 1, stride),
                             *make.conv_unit(c_out, c_out, kernel, padding, 2, act=False, dropout=False)]:  # fmt: skip
            self.add_module(name, module)
        self.main_names = [name for name, _ in self.named_children()]
        strided = stride is not None and any(s > 1 for s in stride)
        ones, zeros = (1,) * make.plan.dims, (0,) * make.plan.dims
        self.shortcut_names: list[str] = []
        if cfg.shortcut == "pool_conv":
            if strided:
                assert stride is not None
                self.skip_pool = make.avg_pool(_one(stride), _one(stride))
                self.shortcut_names.append("skip_pool")
            needs_conv, conv_stride = c_in != c_out, None
        else:
            needs_conv, conv_stride = c_in != c_out or strided, stride
        if needs_conv:
            self.skip_conv = make.conv(c_in, c_out, ones, zeros, conv_stride, bias=False)
            self.shortcut_names.append("skip_conv")
            norm = make.norm(c_out)
            if norm is not None:
                self.skip_norm = norm
                self.shortcut_names.append("skip_norm")
        self.add = Add()
        self.add_module(activation_name(cfg, 2), make.act())
        self.out_act = activation_name(cfg, 2)
        make.share_activation(list(self.children()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for name in self.main_names:
            out = self.get_submodule(name)(out)
        shortcut = x
        for name in self.shortcut_names:
            shortcut = self.get_submodule(name)(shortcut)
        return self.get_submodule(self.out_act)(self.add(out, shortcut))


def _stage_layers(make: _Layers, c_in: int, widths: tuple[int, ...], kernel: Axes, padding: Axes, residual: bool,
                  stride: Axes | None) -> list[tuple[str, nn.Module]]:  # fmt: skip
    """The convs (or residual blocks) of one stage; `stride` goes to the first."""
    layers: list[tuple[str, nn.Module]] = []
    for index, width in enumerate(widths, start=1):
        first_stride = stride if index == 1 else None
        if residual:
            layers.append((f"res{index}", ResidualBlock(make, c_in, width, kernel, padding, first_stride)))
        else:
            layers += make.conv_unit(c_in, width, kernel, padding, index, first_stride)
        c_in = width
    if not residual:
        make.share_activation([module for _, module in layers])
    return layers


def encoder_stage(make: _Layers, stage: EncoderStage) -> nn.Sequential:
    layers: list[tuple[str, nn.Module]] = []
    if stage.down in ("max", "avg"):
        pool = make.max_pool if stage.down == "max" else make.avg_pool
        layers.append(("pool", pool(_one(stage.stride), _one(stage.stride))))
    c_in = stage.c_in
    if stage.stem is not None:
        layers.append(("stem", nn.Sequential(OrderedDict(make.conv_unit(c_in, stage.stem, stage.kernel,
                                                                        stage.padding, "")))))  # fmt: skip
        c_in = stage.stem
    stride = stage.stride if stage.down == "conv" else None
    layers += _stage_layers(make, c_in, stage.widths, stage.kernel, stage.padding, stage.residual, stride)
    return nn.Sequential(OrderedDict(layers))


class DecoderBlock(nn.Module):
    def __init__(self, make: _Layers, stage: DecoderStage) -> None:
        super().__init__()
        cfg = make.cfg
        if stage.up == "transpose":
            self.up: nn.Module = make.transpose_type(
                stage.c_in, stage.up_width, _one(stage.up_kernel), stride=_one(stage.stride),
                padding=_one(stage.up_padding), output_padding=_one(stage.up_output_padding), bias=make.plan.up_bias,
            )  # fmt: skip
        else:
            linear = "bilinear" if make.plan.dims == 2 else "trilinear"
            mode = linear if stage.up == "bilinear" else "nearest"
            scale = _one(stage.stride)
            self.up = nn.Upsample(scale_factor=scale, mode=mode, align_corners=True if mode != "nearest" else None)
        self.merge_kind = cfg.merge
        if cfg.merge == "crop":
            self.crop = Crop()
        elif cfg.merge == "pad":
            self.pad = Pad()
        self.concat = Concat()
        self.conv_names: list[str] = []
        layers = _stage_layers(make, stage.skip_width + stage.up_width, stage.widths, stage.kernel, stage.padding,
                               stage.residual, None)  # fmt: skip
        for name, module in layers:
            self.add_module(name, module)
            self.conv_names.append(name)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        if self.merge_kind == "crop":
            skip = self.crop(skip, x)
        elif self.merge_kind == "pad":
            x = self.pad(x, skip)
        x = self.concat(skip, x)
        for name in self.conv_names:
            x = self.get_submodule(name)(x)
        return x


class UNet(nn.Module):
    """The UNet of a config. forward(x) returns the output, or with deep supervision a tuple
    (output, head at level 1, head at level 2, …) — the largest first, as nnU-Net returns them."""

    def __init__(self, cfg: UNetConfig) -> None:
        super().__init__()
        plan = cfg.plan
        make = _Layers(plan)
        self.depth = cfg.depth
        for stage in plan.encoder:
            self.add_module(stage.block, encoder_stage(make, stage))
        self.ds_levels: list[int] = []
        for dec in plan.decoder:
            self.add_module(dec.block, DecoderBlock(make, dec))
            if dec.deep_supervision:
                ones, zeros = (1,) * cfg.dims, (0,) * cfg.dims
                head = make.conv(dec.width, cfg.num_classes, ones, zeros, bias=True)
                self.add_module(f"ds{dec.level}", nn.Sequential(OrderedDict([("conv", head)])))
                self.ds_levels.append(dec.level)
        top = plan.decoder[-1].width
        ones, zeros = (1,) * cfg.dims, (0,) * cfg.dims
        self.head = nn.Sequential(OrderedDict([("conv", make.conv(top, cfg.num_classes, ones, zeros, bias=True))]))

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        skips = []
        for level in range(self.depth):
            x = self.get_submodule(f"enc{level}")(x)
            skips.append(x)
        x = self.get_submodule("bottleneck")(x)
        side: dict[int, torch.Tensor] = {}
        for level in range(self.depth - 1, -1, -1):
            x = self.get_submodule(f"dec{level}")(x, skips[level])
            if level in self.ds_levels:
                side[level] = self.get_submodule(f"ds{level}")(x)
        out = self.head(x)
        if not side:
            return out
        return (out, *(side[level] for level in sorted(side)))


def build_model(cfg: UNetConfig, device: str | torch.device = "cpu") -> UNet:
    """The UNet for `cfg`; on the meta device it costs no memory (shapes only). A config the analysis refuses
    (more than MAX_PARAMS parameters) is refused here too, before torch allocates anything."""
    if not isinstance(cfg, UNetConfig):
        raise ConfigError("config", type(cfg).__name__, "a UNetConfig")
    analyze_shapes(cfg)  # raises the analysis's own ConfigError for a model too large to build
    with torch.device(device):
        return UNet(cfg)
