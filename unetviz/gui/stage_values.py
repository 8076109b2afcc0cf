"""What the stage table shows and how a typed cell changes a per-stage field; plain Python, no Qt.

A row is a level 0…depth. Encoder columns read entry `level` of their field; the stride column reads
`strides[level − 1]` (the down-sampling into the level); decoder columns read entry `level` (the level the
decoder returns to) and have no bottleneck row. A cell shows the effective value from the resolved plan;
typing "3", "1,3,3" or "1×3×3" sets that entry, and the rest of a defaulted (null) field is filled with
its effective values so nothing else changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError
from unetviz.core.plan import StagePlan

Entry = int | tuple[int, ...]


@dataclass(frozen=True)
class StageColumn:
    key: str
    header: str
    field: str
    tip: str
    per_axis: bool  # an entry may hold one int per axis
    decoder: bool = False  # no bottleneck row
    offset: int = 0  # the field's entry for row r is r − offset (the stride into a level)


COLUMNS: tuple[StageColumn, ...] = (
    StageColumn("width", "enc\nWidth", "widths", "channels of the level (widths; default base width · 2^level)", False),
    StageColumn(
        "kernel",
        "enc\nKernel",
        "kernel_size",
        "conv kernel per axis (kernel_size; nnU-Net uses 1,3,3 where an axis is coarse)",
        True,
    ),
    StageColumn(
        "stride",
        "enc\nStride",
        "strides",
        "down-sampling into this level per axis (strides; default 2; "
        "nnU-Net's pool_op_kernel_sizes, MONAI DynUNet's strides)",
        True,
        offset=1,
    ),
    StageColumn(
        "convs",
        "enc\nConvs",
        "convs_per_block",
        "convs per encoder stage, or residual blocks with "
        "block = residual (convs_per_block; nnU-Net's n_conv_per_stage / n_blocks_per_stage)",
        False,
    ),
    StageColumn(
        "first",
        "enc\n1st W",
        "encoder_first_widths",
        "width of each encoder stage's first conv (encoder_first_widths; plain blocks only; default the level width)",
        False,
    ),
    StageColumn(
        "dec_convs",
        "dec\nConvs",
        "decoder_convs_per_block",
        "convs per decoder stage "
        "(decoder_convs_per_block; default the encoder's count; nnU-Net's n_conv_per_stage_decoder)",
        False,
        decoder=True,
    ),
    StageColumn(
        "up_kernel",
        "dec\nUp K",
        "up_kernel_size",
        "transposed-conv kernel back to this level "
        "(up_kernel_size; default the stride; MONAI DynUNet's upsample_kernel_size)",
        True,
        decoder=True,
    ),
    StageColumn(
        "up_width",
        "dec\nUp W",
        "up_widths",
        "channels the transposed conv makes (up_widths; default the level width)",
        False,
        decoder=True,
    ),
    StageColumn(
        "dec_kernel",
        "dec\nKernel",
        "decoder_kernel_size",
        "decoder conv kernel (decoder_kernel_size; "
        "default the level's encoder kernel as in nnU-Net; DynUNet uses the next level's)",
        True,
        decoder=True,
    ),
    StageColumn(
        "dec_width",
        "dec\nWidth",
        "decoder_widths",
        "decoder conv widths (decoder_widths; default the level width, or Pytorch-UNet's halving with interpolation)",
        False,
        decoder=True,
    ),
)
COLUMN = {column.key: column for column in COLUMNS}
STAGE_FIELD_NAMES = tuple(column.field for column in COLUMNS)
NOT_APPLICABLE = "—"
# Fields that the core allows as one int for every stage: a uniform list is written back as that int.
_SCALAR_OK = {"kernel_size", "convs_per_block", "decoder_convs_per_block", "up_kernel_size"}


def stage_fields(cfg: UNetConfig) -> dict[str, Any]:
    return {field: getattr(cfg, field) for field in STAGE_FIELD_NAMES}


def applies(column: StageColumn, row: int, cfg: UNetConfig, depth: int) -> bool:
    """Whether the cell has a value at all (the bottleneck has no decoder, level 0 no stride …), for a table of
    `depth` (which runs ahead of `cfg` while a new depth is not yet valid)."""
    if row < column.offset or (column.decoder and row >= depth):
        return False
    if column.field in ("up_kernel_size", "up_widths"):
        return cfg.upsampling == "transpose"
    if column.field == "encoder_first_widths":
        return cfg.block == "plain"
    return True


def effective(column: StageColumn, row: int, plan: StagePlan) -> Entry:
    """The value the network uses in this cell (defaults applied), as one int when it is the same per axis."""
    cfg = plan.config
    encoder = plan.encoder[row]
    decoder = plan.decoder[cfg.depth - 1 - row] if row < cfg.depth else None
    values: dict[str, Any] = {
        "width": cfg.level_widths[row],
        "kernel": encoder.kernel,
        "stride": encoder.stride,
        "convs": len(encoder.widths),
        "first": encoder.widths[0],
    }
    if decoder is not None:
        values.update(
            dec_convs=len(decoder.widths),
            up_kernel=decoder.up_kernel,
            up_width=decoder.up_width,
            dec_kernel=decoder.kernel,
            dec_width=decoder.widths[-1],
        )
    return _collapse(values[column.key])


def entry_text(entry: Entry) -> str:
    return str(entry) if isinstance(entry, int) else ",".join(str(v) for v in entry)


def explicit(column: StageColumn, row: int, value: Any) -> bool:
    """Whether the field gives this cell a value of its own (not null, not one int for every stage)."""
    return value is not None and not isinstance(value, int) and 0 <= row - column.offset < len(value)


def parse_entry(column: StageColumn, text: str) -> Entry:
    """ "3", "1,3,3", "1×3×3", "1 3 3" or "[1, 3, 3]"; ConfigError naming the field otherwise."""
    between_digits = re.sub(r"(?<=\d)\s*[x×*]\s*(?=\d)", ",", text.strip().strip("[]()"))
    parts = [p for p in re.split(r"[,;\s]+", between_digits) if p]
    example = "3 or 1,3,3" if column.per_axis else "32"
    what = "an integer, or one per axis" if column.per_axis else "an integer"
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(column.field, text, f"{what}, e.g. {example}") from None
    if not values or (len(values) > 1 and not column.per_axis):
        raise ConfigError(column.field, text, f"{what}, e.g. {example}")
    return values[0] if len(values) == 1 else values


def with_entries(
    fields: dict[str, Any], plan: StagePlan, column: StageColumn, entries: dict[int, Entry], depth: int
) -> dict[str, Any]:
    """`fields` (the table's per-stage fields, for `depth`) with these rows of `column` set; every other row
    keeps its own entry, or its effective value from `plan` (the last valid config) when the field is null."""
    current = fields[column.field]
    last = plan.config.depth - (1 if column.decoder else 0)
    values = []
    for row in range(column.offset, depth if column.decoder else depth + 1):
        if row in entries:
            values.append(entries[row])
        elif explicit(column, row, current):
            values.append(current[row - column.offset])
        elif isinstance(current, int):
            values.append(current)
        else:  # a row the plan has not seen yet (depth just grew and was not valid) repeats the last one
            values.append(effective(column, min(row, last), plan))
    out = dict(fields)
    out[column.field] = _write_back(column.field, values)
    return out


def _write_back(field: str, values: list[Entry]) -> Any:
    if field in _SCALAR_OK and len(set(values)) == 1 and isinstance(values[0], int):
        return values[0]
    if field == "strides" and all(v == 2 for v in values):
        return None  # the default: 2 on every axis
    return tuple(values)


def _collapse(axes: tuple[int, ...] | int) -> Entry:
    if isinstance(axes, int):
        return axes
    return axes[0] if len(set(axes)) == 1 else tuple(axes)


def fit_stages(fields: dict[str, Any], old_depth: int, depth: int, dims_changed: bool) -> dict[str, Any]:
    """Per-stage lists follow a new depth (cut, or extended: widths double, the rest repeat the last entry);
    after a change of dims each per-axis entry keeps its in-plane (last axis) value."""
    out = dict(fields)
    for column in COLUMNS:
        value = out[column.field]
        if not isinstance(value, tuple):
            continue
        if dims_changed and column.per_axis:
            value = tuple(entry[-1] if isinstance(entry, tuple) else entry for entry in value)
        wanted = len(value) + depth - old_depth
        while len(value) < wanted:
            last = value[-1]
            value = (*value, last * 2 if column.field == "widths" and isinstance(last, int) else last)
        out[column.field] = value[:wanted]
    return out
