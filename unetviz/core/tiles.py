"""Tile sizes: the input sizes for which every pool sees an even size (the 2015 paper's rule)."""

from __future__ import annotations

from unetviz.core.config import UNetConfig


def axis_output(cfg: UNetConfig, size: int) -> int | None:
    """The output size along one axis of `size`, or None if a pool sees an odd size or a map collapses."""
    shrink = cfg.convs_per_block * (cfg.kernel_size - 1 - 2 * cfg.conv_padding)
    skips = []
    h = size
    for level in range(cfg.depth + 1):
        if level > 0:
            if h % 2:
                return None
            h //= 2
        h -= shrink
        if h < 1:
            return None
        skips.append(h)
    for level in range(cfg.depth - 1, -1, -1):
        h = 2 * h
        if cfg.merge == "pad":
            h = skips[level]
        h -= shrink
        if h < 1:
            return None
    return h


def valid_sizes_near(cfg: UNetConfig, near: int, count: int = 6) -> list[tuple[int, int]]:
    """The `count` input sizes closest to `near` (per axis) that no pool truncates: (input, output)."""
    found: list[tuple[int, int]] = []
    # Fitting sizes repeat every 2^depth (the pools) from the smallest one, which is at most
    # 2^depth·(2·(depth+1)·shrink + 1): this many steps from any `near` find `count` of them.
    shrink = cfg.convs_per_block * (cfg.kernel_size - 1 - 2 * cfg.conv_padding)
    limit = 2**cfg.depth * (count + 2 + 2 * (cfg.depth + 1) * shrink)
    for step in range(limit):
        for size in sorted({near - step, near + step}):
            if size < 1 or len(found) >= count:
                continue
            out = axis_output(cfg, size)
            if out is not None:
                found.append((size, out))
        if len(found) >= count:
            break
    return sorted(found)
