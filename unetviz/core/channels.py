"""The channel rules: how wide each decoder conv is, for transposed-conv and interpolating up-sampling."""

from __future__ import annotations

from unetviz.core.config import UNetConfig


def decoder_widths(cfg: UNetConfig) -> tuple[int, tuple[tuple[int, int], ...]]:
    """The bottleneck's width and, per decoder level 0…depth−1, (first conv's width, block's width)."""
    widths = cfg.level_widths
    depth = cfg.depth
    transpose = cfg.upsampling == "transpose"
    bottleneck = widths[depth] if transpose else widths[depth] // 2
    per_level: list[tuple[int, int]] = []
    c_up = bottleneck
    for level in range(depth - 1, -1, -1):
        if transpose:
            first, out = widths[level], widths[level]
        else:  # Pytorch-UNet's bilinear scheme: halve the concat, end at half the level width
            first = (c_up + widths[level]) // 2
            out = widths[level] // 2 if level > 0 else widths[0]
        per_level.append((first, out))
        c_up = out
    return bottleneck, tuple(reversed(per_level))
