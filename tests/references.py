"""The reference libraries' own arguments as unetviz configs, through unetviz's importers.

A test passes the keyword arguments it gives the library's class; these wrap them the way the library's
files hold them (an nnU-Net plans configuration, a MONAI bundle's `network_def`) and import that, so every
library comparison also tests the importers. Nothing here is a hand-copied number.
"""

from __future__ import annotations

from typing import Any

from unetviz.core.config import UNetConfig
from unetviz.sources.monai import import_bundle
from unetviz.sources.nnunet import import_plans


def _dotted(value: Any) -> Any:
    return f"{value.__module__}.{value.__qualname__}" if isinstance(value, type) else value


def from_dynamic_network_architectures(kwargs: dict[str, Any], input_size: tuple[int, ...]) -> UNetConfig:
    """nnU-Net's PlainConvUNet / ResidualEncoderUNet arguments (`n_blocks_per_stage` means residual)."""
    arch = {k: _dotted(v) for k, v in kwargs.items() if k not in ("input_channels", "num_classes", "deep_supervision")}
    residual = "n_blocks_per_stage" in kwargs
    name = "ResidualEncoderUNet" if residual else "PlainConvUNet"
    plans = {"configurations": {"test": {
        "patch_size": list(input_size),
        "architecture": {"network_class_name": f"dynamic_network_architectures.architectures.unet.{name}",
                         "arch_kwargs": arch},
    }}}  # fmt: skip
    dataset = {"channel_names": {str(i): "ch" for i in range(kwargs["input_channels"])},
               "labels": {str(i): i for i in range(kwargs["num_classes"])}}  # fmt: skip
    return import_plans(plans, "test", dataset).config.replace(name="custom")


def from_monai_basicunet(kwargs: dict[str, Any], input_size: tuple[int, ...]) -> UNetConfig:
    """MONAI BasicUNet(spatial_dims, in_channels, out_channels, features, act, norm, bias) with deconv up-sampling."""
    net = {"_target_": "BasicUNet", **kwargs}
    return import_bundle({"network_def": net, "inferer": {"roi_size": list(input_size)}}).config.replace(name="custom")


def from_monai_dynunet(kwargs: dict[str, Any], input_size: tuple[int, ...]) -> UNetConfig:
    """MONAI DynUNet(spatial_dims, in_channels, out_channels, kernel_size, strides, upsample_kernel_size, …)."""
    net = {"_target_": "DynUNet", **kwargs}
    return import_bundle({"network_def": net, "inferer": {"roi_size": list(input_size)}}).config.replace(name="custom")
