"""Small models for the inspector's tests: the 2015 paper's crop by slicing, a concat that fails at some sizes,
and two that are not U-shaped."""

from __future__ import annotations

import torch
from torch import nn


def _double(c_in: int, c_out: int, padding: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=padding), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=padding), nn.ReLU()
    )


class CropUNet(nn.Module):
    """Two levels, valid convs, the skip centre-cropped by slicing (the 2015 paper's 'copy and crop')."""

    def __init__(self, in_channels: int = 1, classes: int = 2, width: int = 8) -> None:
        super().__init__()
        self.enc = _double(in_channels, width, 0)
        self.pool = nn.MaxPool2d(2)
        self.bottom = _double(width, 2 * width, 0)
        self.up = nn.ConvTranspose2d(2 * width, width, 2, stride=2)
        self.dec = _double(2 * width, width, 0)
        self.head = nn.Conv2d(width, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.enc(x)
        x = self.up(self.bottom(self.pool(skip)))
        dy = (skip.shape[2] - x.shape[2]) // 2
        dx = (skip.shape[3] - x.shape[3]) // 2
        skip = skip[:, :, dy : dy + x.shape[2], dx : dx + x.shape[3]]
        return self.head(self.dec(torch.cat([skip, x], dim=1)))


class StrictUNet(nn.Module):
    """Same padding and no pad at the join: `torch.cat` fails when a pool meets an odd size."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.enc = _double(1, width, 1)
        self.pool = nn.MaxPool2d(2)
        self.bottom = _double(width, 2 * width, 1)
        self.up = nn.ConvTranspose2d(2 * width, width, 2, stride=2)
        self.dec = _double(2 * width, width, 1)
        self.head = nn.Conv2d(width, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.enc(x)
        x = self.up(self.bottom(self.pool(skip)))
        return self.head(self.dec(torch.cat([skip, x], dim=1)))


class Classifier(nn.Module):
    """Not a U: convs, pools, a global pool and a linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))  # fmt: skip
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.features(x), 1))


def make_not_a_module() -> int:
    return 3
