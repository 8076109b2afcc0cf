"""build_model(config) -> the real torch.nn.Module, named layer for layer like the analytic engine."""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from unetviz.core.channels import decoder_widths
from unetviz.core.config import UNetConfig
from unetviz.core.shapes import POOL_KERNEL, UP_KERNEL


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
    def forward(self, skip: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        return torch.cat([skip, up], dim=1)


def _conv_layers(cfg: UNetConfig, c_in: int, widths: list[int]) -> list[tuple[str, nn.Module]]:
    conv = nn.Conv2d if cfg.dims == 2 else nn.Conv3d
    norm: dict[str, type[nn.Module]] = {
        "batch": nn.BatchNorm2d if cfg.dims == 2 else nn.BatchNorm3d,
        "instance": nn.InstanceNorm2d if cfg.dims == 2 else nn.InstanceNorm3d,
    }
    layers: list[tuple[str, nn.Module]] = []
    for index, c_out in enumerate(widths, start=1):
        bias = cfg.norm == "none"
        layers.append((f"conv{index}", conv(c_in, c_out, cfg.kernel_size, padding=cfg.conv_padding, bias=bias)))
        if cfg.norm == "batch":
            layers.append((f"norm{index}", norm["batch"](c_out)))
        elif cfg.norm == "instance":
            layers.append((f"norm{index}", norm["instance"](c_out, affine=True)))
        layers.append((f"relu{index}", nn.ReLU(inplace=True)))
        c_in = c_out
    return layers


def _pool(cfg: UNetConfig) -> nn.Module:
    if cfg.pooling == "max":
        return (nn.MaxPool2d if cfg.dims == 2 else nn.MaxPool3d)(POOL_KERNEL)
    return (nn.AvgPool2d if cfg.dims == 2 else nn.AvgPool3d)(POOL_KERNEL)


class DecoderBlock(nn.Module):
    def __init__(self, cfg: UNetConfig, c_in: int, c_skip: int, c_up: int, first: int, out: int) -> None:
        super().__init__()
        if cfg.upsampling == "transpose":
            transpose = nn.ConvTranspose2d if cfg.dims == 2 else nn.ConvTranspose3d
            self.up: nn.Module = transpose(c_in, c_up, UP_KERNEL, stride=2)
        elif cfg.upsampling == "bilinear":
            mode = "bilinear" if cfg.dims == 2 else "trilinear"
            self.up = nn.Upsample(scale_factor=2, mode=mode, align_corners=True)
        else:
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.merge_kind = cfg.merge
        if cfg.merge == "crop":
            self.crop = Crop()
        else:
            self.pad = Pad()
        self.concat = Concat()
        widths = [first] * (cfg.convs_per_block - 1) + [out]
        self.conv_names: list[str] = []
        for name, module in _conv_layers(cfg, c_skip + c_up, widths):
            self.add_module(name, module)
            self.conv_names.append(name)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        if self.merge_kind == "crop":
            skip = self.crop(skip, x)
        else:
            x = self.pad(x, skip)
        x = self.concat(skip, x)
        for name in self.conv_names:
            x = self.get_submodule(name)(x)
        return x


class UNet(nn.Module):
    def __init__(self, cfg: UNetConfig) -> None:
        super().__init__()
        self.depth = cfg.depth
        widths = cfg.level_widths
        bottleneck_width, dec_widths = decoder_widths(cfg)
        c_in = cfg.in_channels
        for level in range(cfg.depth + 1):
            width = widths[level] if level < cfg.depth else bottleneck_width
            layers = [("pool", _pool(cfg))] if level > 0 else []
            layers += _conv_layers(cfg, c_in, [width] * cfg.convs_per_block)
            name = f"enc{level}" if level < cfg.depth else "bottleneck"
            self.add_module(name, nn.Sequential(OrderedDict(layers)))
            c_in = width
        for level in range(cfg.depth - 1, -1, -1):
            first, out = dec_widths[level]
            c_up = widths[level] if cfg.upsampling == "transpose" else c_in
            self.add_module(f"dec{level}", DecoderBlock(cfg, c_in, widths[level], c_up, first, out))
            c_in = out
        conv = nn.Conv2d if cfg.dims == 2 else nn.Conv3d
        self.head = nn.Sequential(OrderedDict([("conv", conv(c_in, cfg.num_classes, 1))]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for level in range(self.depth):
            x = self.get_submodule(f"enc{level}")(x)
            skips.append(x)
        x = self.get_submodule("bottleneck")(x)
        for level in range(self.depth - 1, -1, -1):
            x = self.get_submodule(f"dec{level}")(x, skips[level])
        return self.head(x)


def build_model(cfg: UNetConfig, device: str | torch.device = "cpu") -> UNet:
    """The UNet for `cfg`; on the meta device it costs no memory (shapes only)."""
    with torch.device(device):
        return UNet(cfg)
