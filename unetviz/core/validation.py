"""The config's validation and its one spelling per network: each rule names the field, the bad value and what
is allowed (MONAI's habit of checking every argument up front, with messages that name it)."""

from __future__ import annotations

import json
from typing import Any

from unetviz.core.config import (
    ACTIVATIONS,
    BLOCKS,
    CONV_BIASES,
    MAX_CHANNELS,
    MAX_CONVS,
    MAX_DEPTH,
    MAX_INPUT_AXIS,
    MAX_KERNEL,
    MAX_NAME,
    MAX_STRIDE,
    MERGES,
    NORMS,
    PADDINGS,
    POOLINGS,
    SHORTCUTS,
    UPSAMPLINGS,
    UNetConfig,
    _is_int,
    _lists,
)
from unetviz.core.errors import ConfigError


def _check_int(field: str, value: Any, low: int, high: int) -> None:
    if not _is_int(value) or not low <= value <= high:
        raise ConfigError(field, value, f"an integer from {low} to {high}")


def _check_choice(field: str, value: Any, choices: tuple[Any, ...]) -> None:
    if not any(value is c or (isinstance(value, str) and value == c) for c in choices):
        raise ConfigError(field, value, "one of " + ", ".join(json.dumps(c) for c in choices).replace('"', ""))


def _check_axes(field: str, value: Any, entries: int, dims: int, ok: Any, what: str, null: str = "",
                scalar: bool = True) -> None:  # fmt: skip
    """`value` is (when `scalar`) one int, or a list of `entries` entries, each an int or a list of `dims` ints;
    every int passes `ok`, which `what` says in words. `null` is what null means, when null is allowed."""

    def axes_ok(entry: Any) -> bool:
        if _is_int(entry):
            return bool(ok(entry))
        return isinstance(entry, tuple) and len(entry) == dims and all(_is_int(v) and ok(v) for v in entry)

    listed = f"a list of {entries} entries (one per stage), each {what} or a list of {dims} (one per axis)"
    allowed = (f"null ({null}), " if null else "") + (f"{what}, or " if scalar else "") + listed
    if _is_int(value) and scalar:
        if not ok(value):
            raise ConfigError(field, value, allowed)
        return
    if not isinstance(value, tuple) or len(value) != entries or not all(map(axes_ok, value)):
        raise ConfigError(field, value, allowed)


def _check_int_list(field: str, value: Any, entries: int, low: int, high: int, scalar: bool = False) -> None:
    """null, (scalar) an int, or a list of `entries` ints from low to high."""
    if value is None or (scalar and _is_int(value) and low <= value <= high):
        return
    allowed = f"null{', an integer' if scalar else ''} or a list of {entries} integers from {low} to {high}"
    if not isinstance(value, tuple) or len(value) != entries or not all(_is_int(v) and low <= v <= high for v in value):
        raise ConfigError(field, value, allowed)


def _odd(k: int) -> bool:
    return 1 <= k <= MAX_KERNEL and k % 2 == 1


def validate(cfg: UNetConfig) -> None:
    """Every field on its own, then the rules between fields; the first problem as one ConfigError."""
    if cfg.dims not in (2, 3) or not _is_int(cfg.dims):
        raise ConfigError("dims", cfg.dims, "2 or 3")
    _check_int("in_channels", cfg.in_channels, 1, MAX_CHANNELS)
    _check_int("num_classes", cfg.num_classes, 1, MAX_CHANNELS)
    _check_int("depth", cfg.depth, 1, MAX_DEPTH)
    _check_int("base_width", cfg.base_width, 1, MAX_CHANNELS)
    stages, levels = cfg.depth + 1, cfg.depth
    if cfg.widths is not None:
        allowed = f"null or a list of depth+1 = {stages} integers from 1 to {MAX_CHANNELS}"
        if not isinstance(cfg.widths, tuple) or len(cfg.widths) != stages:
            raise ConfigError("widths", cfg.widths, allowed)
        if not all(_is_int(w) and 1 <= w <= MAX_CHANNELS for w in cfg.widths):
            raise ConfigError("widths", cfg.widths, allowed)
    if _is_int(cfg.kernel_size):
        if not _odd(cfg.kernel_size):  # type: ignore[arg-type]
            raise ConfigError("kernel_size", cfg.kernel_size, f"an odd integer from 1 to {MAX_KERNEL}")
    else:
        _check_axes("kernel_size", cfg.kernel_size, stages, cfg.dims, _odd, f"an odd integer from 1 to {MAX_KERNEL}")
    if not (_is_int(cfg.convs_per_block) and 1 <= cfg.convs_per_block <= MAX_CONVS):  # type: ignore[operator]
        _check_int_list("convs_per_block", cfg.convs_per_block, stages, 1, MAX_CONVS)
        if cfg.convs_per_block is None:
            raise ConfigError("convs_per_block", None, f"an integer from 1 to {MAX_CONVS} or a list of {stages}")
    _check_choice("padding", cfg.padding, PADDINGS)
    _check_choice("norm", cfg.norm, NORMS)
    _check_choice("pooling", cfg.pooling, POOLINGS)
    _check_choice("upsampling", cfg.upsampling, UPSAMPLINGS)
    _check_choice("merge", cfg.merge, MERGES)
    size_allowed = f"a list of dims = {cfg.dims} integers from 1 to {MAX_INPUT_AXIS}"
    if not isinstance(cfg.input_size, tuple) or len(cfg.input_size) != cfg.dims:
        raise ConfigError("input_size", cfg.input_size, size_allowed)
    if not all(_is_int(s) and 1 <= s <= MAX_INPUT_AXIS for s in cfg.input_size):
        raise ConfigError("input_size", cfg.input_size, size_allowed)
    _check_int("batch_size", cfg.batch_size, 1, 1 << 16)
    if cfg.strides is not None:
        _check_axes("strides", cfg.strides, levels, cfg.dims, lambda s: 1 <= s <= MAX_STRIDE,
                    f"an integer from 1 to {MAX_STRIDE}", null="2 on every axis", scalar=False)  # fmt: skip
    _check_int_list("decoder_convs_per_block", cfg.decoder_convs_per_block, levels, 1, MAX_CONVS, scalar=True)
    _check_choice("block", cfg.block, BLOCKS)
    if cfg.decoder_block is not None:
        _check_choice("decoder_block", cfg.decoder_block, BLOCKS)
    _check_choice("shortcut", cfg.shortcut, SHORTCUTS)
    if cfg.stem_channels is not None:
        _check_int("stem_channels", cfg.stem_channels, 1, MAX_CHANNELS)
    _check_choice("conv_bias", cfg.conv_bias, CONV_BIASES)
    _check_int("norm_groups", cfg.norm_groups, 1, MAX_CHANNELS)
    if not isinstance(cfg.norm_affine, bool):
        raise ConfigError("norm_affine", cfg.norm_affine, "true or false")
    _check_choice("activation", cfg.activation, ACTIVATIONS)
    if isinstance(cfg.negative_slope, bool) or not isinstance(cfg.negative_slope, int | float) \
            or not -1e6 <= cfg.negative_slope <= 1e6:  # fmt: skip
        raise ConfigError("negative_slope", cfg.negative_slope, "a number (LeakyReLU's slope below 0, e.g. 0.01)")
    if not isinstance(cfg.shared_activation, bool):
        raise ConfigError("shared_activation", cfg.shared_activation, "true or false")
    if isinstance(cfg.dropout, bool) or not isinstance(cfg.dropout, int | float) or not 0 <= cfg.dropout < 1:
        raise ConfigError("dropout", cfg.dropout, "a probability p with 0 ≤ p < 1")
    if cfg.up_kernel_size is not None:
        _check_axes("up_kernel_size", cfg.up_kernel_size, levels, cfg.dims, lambda k: 1 <= k <= MAX_KERNEL,
                    f"an integer from 1 to {MAX_KERNEL}", null="the stride")  # fmt: skip
    if cfg.decoder_kernel_size is not None:
        _check_axes("decoder_kernel_size", cfg.decoder_kernel_size, levels, cfg.dims, _odd,
                    f"an odd integer from 1 to {MAX_KERNEL}", null="each level's own kernel", scalar=False)  # fmt: skip
    _check_int_list("up_widths", cfg.up_widths, levels, 1, MAX_CHANNELS)
    _check_int_list("decoder_widths", cfg.decoder_widths, levels, 1, MAX_CHANNELS)
    _check_int_list("encoder_first_widths", cfg.encoder_first_widths, stages, 1, MAX_CHANNELS)
    if not isinstance(cfg.deep_supervision, bool) and not (
        _is_int(cfg.deep_supervision) and 0 <= cfg.deep_supervision <= levels - 1
    ):
        raise ConfigError(
            "deep_supervision",
            cfg.deep_supervision,
            f"true (a head at every decoder level but the top), false, or a count of heads from 0 to {levels - 1}",
        )
    if not isinstance(cfg.name, str) or not 0 < len(cfg.name) <= MAX_NAME or not cfg.name.isprintable():
        # control characters, line breaks and lone surrogates reach titles, tables and terminals: refused
        raise ConfigError("name", cfg.name, f"a non-empty string of at most {MAX_NAME} printable characters "
                          "(no control characters or line breaks)")  # fmt: skip
    _validate_together(cfg)


def canonical(cfg: UNetConfig) -> None:
    """One spelling per network, so that equal networks are equal configs: an entry the same on every axis
    becomes one int, a list the same at every stage becomes one int, and a list that says what the default
    says (strides of 2, up kernels equal to the strides, decoder kernels equal to the encoder's) becomes null."""

    def collapse(value: Any) -> Any:
        if not isinstance(value, tuple):
            return value
        entries = tuple(e[0] if isinstance(e, tuple) and len(set(e)) == 1 else e for e in value)
        return entries

    def uniform(value: Any) -> Any:
        if isinstance(value, tuple) and len(set(value)) == 1 and _is_int(value[0]):
            return value[0]
        return value

    for field in ("kernel_size", "strides", "up_kernel_size", "decoder_kernel_size"):
        object.__setattr__(cfg, field, collapse(getattr(cfg, field)))
    for field in ("kernel_size", "convs_per_block", "decoder_convs_per_block"):
        object.__setattr__(cfg, field, uniform(getattr(cfg, field)))
    if cfg.decoder_block == "plain":
        object.__setattr__(cfg, "decoder_block", None)
    if cfg.strides is not None and all(s == 2 for s in cfg.strides):
        object.__setattr__(cfg, "strides", None)
    plan = cfg.plan
    if cfg.up_kernel_size is not None and all(d.up_kernel == d.stride for d in plan.decoder):
        object.__setattr__(cfg, "up_kernel_size", None)
    if cfg.decoder_kernel_size is not None and all(d.kernel == plan.encoder[d.level].kernel for d in plan.decoder):
        object.__setattr__(cfg, "decoder_kernel_size", None)
    if isinstance(cfg.decoder_convs_per_block, int) and cfg.decoder_convs_per_block == cfg.convs_per_block:
        object.__setattr__(cfg, "decoder_convs_per_block", None)


def _validate_together(cfg: UNetConfig) -> None:
    """Rules between fields: what one field allows depends on another."""
    interpolating = cfg.upsampling != "transpose"
    if interpolating and cfg.up_widths is None and cfg.decoder_widths is None and min(cfg.level_widths[1:]) < 2:
        raise ConfigError(
            "widths",
            list(cfg.level_widths),
            f"widths ≥ 2 below level 0 with {cfg.upsampling} up-sampling (the decoder halves them)",
        )
    if interpolating and cfg.up_widths is not None:
        raise ConfigError("up_widths", list(cfg.up_widths), "null with bilinear or nearest up-sampling "
                          "(interpolation keeps the channels)")  # fmt: skip
    if cfg.up_kernel_size is not None and interpolating:
        raise ConfigError("up_kernel_size", _lists(cfg.up_kernel_size), "null with bilinear or nearest up-sampling")
    plan = cfg.plan  # resolving the plan checks what only the resolved, per-axis values show
    if cfg.norm == "group":
        from unetviz.core.plan import all_widths

        bad = sorted(w for w in set(all_widths(plan)) if w % cfg.norm_groups)
        if bad:
            raise ConfigError("norm_groups", cfg.norm_groups, f"a group count that divides every width "
                              f"({bad[0]} is not a multiple of {cfg.norm_groups})")  # fmt: skip
