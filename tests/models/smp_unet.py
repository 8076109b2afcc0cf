"""segmentation_models_pytorch's Unet with a ResNet-34 encoder (no weights downloaded), for the inspector.

PyPI's torchvision does not load beside the CPU torch wheel ('operator torchvision::nms does not exist': its
import registers fake kernels for two compiled ops its extension could not define). smp needs only its pure
Python models, so those two ops are declared first when the extension is missing."""

from __future__ import annotations

import sys
from typing import Any

import torch
from torch import nn


def _import_torchvision() -> None:
    try:
        import torchvision
    except RuntimeError:
        for name in [n for n in sys.modules if n.startswith("torchvision")]:
            del sys.modules[name]
        library = torch.library.Library("torchvision", "DEF")
        library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        library.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _LIBRARIES.append(library)  # a Library undefines its ops when collected
        import torchvision  # noqa: F401


_LIBRARIES: list[Any] = []


def resnet34_unet(in_channels: int = 3, classes: int = 2) -> nn.Module:
    _import_torchvision()
    import segmentation_models_pytorch as smp

    return smp.Unet("resnet34", encoder_weights=None, in_channels=in_channels, classes=classes)
