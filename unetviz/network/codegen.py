"""`export -o model.py`: the model of a config as standalone, readable PyTorch code (only torch imported).

The code is written from the module tree `build_model` makes (on the meta device, so nothing is allocated),
module by module with the constructor arguments that matter, so the generated network is the built one:
same modules, same names (those of the layer table), same parameters, same shapes. Shared PReLU slopes
(`shared_activation`) are tied again after construction.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from unetviz.core.config import UNetConfig
from unetviz.network.model import Add, Concat, Crop, DecoderBlock, Pad, ResidualBlock, UNet, build_model

HEADER = '''"""{name}: a UNet written out by unetviz from its config.

Needs only torch. Module names are those of unetviz's layer table (enc0.conv1, dec3.up, head.conv, …).
`build_model()` returns the network; `python {file}` builds it, counts its parameters and runs a
dummy input of INPUT_SHAPE through it on the meta device (no memory).

Config: {config}
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

INPUT_SHAPE = {input_shape}
PARAMETERS = {params}


class Crop(nn.Module):
    """Centre-crops the skip to the up-sampled map's size (the 2015 paper's 'copy and crop')."""

    def forward(self, skip: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        slices = [slice(None), slice(None)]
        for s, r in zip(skip.shape[2:], ref.shape[2:]):
            start = (s - r) // 2
            slices.append(slice(start, start + r))
        return skip[tuple(slices)]


class Pad(nn.Module):
    """Zero-pads the up-sampled map to the skip's size: diff//2 before, the rest after (Pytorch-UNet)."""

    def forward(self, up: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        pads = []
        for u, r in zip(reversed(up.shape[2:]), reversed(ref.shape[2:])):
            pads += [(r - u) // 2, (r - u) - (r - u) // 2]
        return F.pad(up, pads)


class Concat(nn.Module):
    def forward(self, skip: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        return torch.cat([skip, up], dim=1)


class Add(nn.Module):
    def forward(self, main: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        return main + shortcut


class ResidualBlock(nn.Module):
    """Main path, then main + shortcut, then the activation `out`."""

    def __init__(self, main: list, shortcut: list, out: tuple) -> None:
        super().__init__()
        for name, module in main + shortcut:
            self.add_module(name, module)
        self.main_names = [name for name, _ in main]
        self.shortcut_names = [name for name, _ in shortcut]
        self.add = Add()
        self.add_module(out[0], out[1])
        self.out_name = out[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for name in self.main_names:
            out = self.get_submodule(name)(out)
        shortcut = x
        for name in self.shortcut_names:
            shortcut = self.get_submodule(name)(shortcut)
        return self.get_submodule(self.out_name)(self.add(out, shortcut))


class DecoderBlock(nn.Module):
    """Up-sample, join the skip (crop it, pad the up-sampled map, or neither), concatenate, then convs."""

    def __init__(self, up: nn.Module, merge: str, layers: list) -> None:
        super().__init__()
        self.up = up
        self.merge = merge
        if merge == "crop":
            self.crop = Crop()
        elif merge == "pad":
            self.pad = Pad()
        self.concat = Concat()
        for name, module in layers:
            self.add_module(name, module)
        self.conv_names = [name for name, _ in layers]

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        if self.merge == "crop":
            skip = self.crop(skip, x)
        elif self.merge == "pad":
            x = self.pad(x, skip)
        x = self.concat(skip, x)
        for name in self.conv_names:
            x = self.get_submodule(name)(x)
        return x
'''

FOOTER = """

def build_model() -> UNet:
    return UNet()


if __name__ == "__main__":
    with torch.device("meta"):
        model = build_model()
    params = sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        out = model.eval()(torch.zeros(INPUT_SHAPE, device="meta"))
    main = out[0] if isinstance(out, tuple) else out
    print(f"parameters {params:,} (expected {PARAMETERS:,}); output {list(main.shape)}")
"""


def _value(value: Any) -> str:
    if isinstance(value, tuple) and len(set(value)) == 1:
        return repr(value[0])
    return repr(value)


def _leaf(module: nn.Module) -> str:
    """The constructor call of one leaf module, with the arguments that make it what it is."""
    kind = type(module).__name__
    if isinstance(module, nn.Conv2d | nn.Conv3d | nn.ConvTranspose2d | nn.ConvTranspose3d):
        extra = ""
        if isinstance(module, nn.ConvTranspose2d | nn.ConvTranspose3d):
            extra = f", output_padding={_value(module.output_padding)}"
        sizes = f"kernel_size={_value(module.kernel_size)}, stride={_value(module.stride)}"
        return (f"nn.{kind}({module.in_channels}, {module.out_channels}, {sizes}, padding={_value(module.padding)}"
                f"{extra}, bias={module.bias is not None})")  # fmt: skip
    if isinstance(module, nn.BatchNorm2d | nn.BatchNorm3d | nn.InstanceNorm2d | nn.InstanceNorm3d):
        return f"nn.{kind}({module.num_features}, affine={module.affine})"
    if isinstance(module, nn.GroupNorm):
        return f"nn.GroupNorm({module.num_groups}, {module.num_channels}, affine={module.affine})"
    if isinstance(module, nn.LeakyReLU):
        return f"nn.LeakyReLU({module.negative_slope!r}, inplace={module.inplace})"
    if isinstance(module, nn.ReLU | nn.ELU):
        return f"nn.{kind}(inplace={module.inplace})"
    if isinstance(module, nn.PReLU | nn.GELU):
        return f"nn.{kind}()"
    if isinstance(module, nn.MaxPool2d | nn.MaxPool3d | nn.AvgPool2d | nn.AvgPool3d):
        return f"nn.{kind}({_value(_tuple(module.kernel_size))}, stride={_value(_tuple(module.stride))})"
    if isinstance(module, nn.Upsample):
        scale = module.scale_factor
        scale = tuple(int(s) for s in scale) if isinstance(scale, tuple) else int(scale)  # type: ignore[arg-type]
        corners = ", align_corners=True" if module.align_corners else ""
        return f"nn.Upsample(scale_factor={_value(_tuple(scale))}, mode={module.mode!r}{corners})"
    if isinstance(module, nn.Dropout):
        return f"nn.Dropout({module.p!r})"
    if isinstance(module, Crop | Pad | Concat | Add):
        return f"{kind}()"
    raise TypeError(f"no code for {kind}")  # every module build_model makes is listed above


def _tuple(value: Any) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _pairs(items: list[tuple[str, nn.Module]], indent: str) -> str:
    return "\n".join(f"{indent}({name!r}, {_module(module, indent)})," for name, module in items)


def _module(module: nn.Module, indent: str) -> str:
    inner = indent + "    "
    if isinstance(module, nn.Sequential):
        return f"nn.Sequential(OrderedDict([\n{_pairs(list(module.named_children()), inner)}\n{indent}]))"
    if isinstance(module, ResidualBlock):
        children = dict(module.named_children())
        main = [(n, children[n]) for n in module.main_names]
        shortcut = [(n, children[n]) for n in module.shortcut_names]
        out = (module.out_act, children[module.out_act])
        return (f"ResidualBlock(\n{inner}main=[\n{_pairs(main, inner + '    ')}\n{inner}],\n"
                f"{inner}shortcut=[\n{_pairs(shortcut, inner + '    ')}\n{inner}],\n"
                f"{inner}out=({out[0]!r}, {_leaf(out[1])}),\n{indent})")  # fmt: skip
    return _leaf(module)


def _decoder(block: DecoderBlock, indent: str) -> str:
    inner = indent + "    "
    children = dict(block.named_children())
    layers = [(n, children[n]) for n in block.conv_names]
    return (f"DecoderBlock(\n{inner}up={_leaf(block.up)},\n{inner}merge={block.merge_kind!r},\n"
            f"{inner}layers=[\n{_pairs(layers, inner + '    ')}\n{inner}],\n{indent})")  # fmt: skip


def _ties(model: UNet) -> list[str]:
    """Lines that tie shared PReLU slopes again: `self.enc0.prelu2.weight = self.enc0.prelu1.weight`."""
    first: dict[int, str] = {}
    lines = []
    for name, module in model.named_modules(remove_duplicate=False):
        if isinstance(module, nn.PReLU):
            key = id(module.weight)
            if key in first:
                lines.append(f"        self.{name}.weight = self.{first[key]}.weight")
            else:
                first[key] = name
    return lines


def model_code(cfg: UNetConfig, file_name: str = "model.py") -> str:
    """Standalone PyTorch code for `cfg`'s model: the classes, UNet.__init__ with every module, forward."""
    model = build_model(cfg, "meta")
    params = sum(p.numel() for p in model.parameters())
    input_shape = (cfg.batch_size, cfg.in_channels, *cfg.input_size)
    config = ", ".join(f"{k}={v!r}" for k, v in cfg.to_dict().items() if k != "name")
    out = [HEADER.format(name=cfg.name, file=file_name, config=_wrap(config), input_shape=input_shape,
                         params=params)]  # fmt: skip
    out.append("\nclass UNet(nn.Module):")
    out.append(f'    """{cfg.name}: returns the output, or with deep supervision (output, side heads by level)."""\n')
    out.append("    def __init__(self) -> None:")
    out.append("        super().__init__()")
    out.append(f"        self.depth = {model.depth}")
    out.append(f"        self.ds_levels = {model.ds_levels!r}")
    for name, child in model.named_children():
        code = _decoder(child, "        ") if isinstance(child, DecoderBlock) else _module(child, "        ")
        out.append(f"        self.{name} = {code}")
    out += _ties(model)
    out.append("""
    def forward(self, x: torch.Tensor):
        skips = []
        for level in range(self.depth):
            x = self.get_submodule(f"enc{level}")(x)
            skips.append(x)
        x = self.bottleneck(x)
        side = {}
        for level in range(self.depth - 1, -1, -1):
            x = self.get_submodule(f"dec{level}")(x, skips[level])
            if level in self.ds_levels:
                side[level] = self.get_submodule(f"ds{level}")(x)
        out = self.head(x)
        if not side:
            return out
        return (out, *(side[level] for level in sorted(side)))""")
    out.append(FOOTER)
    return "\n".join(out)


def _wrap(text: str, width: int = 100) -> str:
    lines, line = [], ""
    for word in text.split(", "):
        if line and len(line) + len(word) + 2 > width:
            lines.append(line + ",")
            line = word
        else:
            line = f"{line}, {word}" if line else word
    return "\n".join([*lines, line])
