"""Two (or more) analyses side by side: level by level, the totals, and the differences in plain words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from unetviz.core.analysis import Analysis
from unetviz.core.config import FIELD_NAMES
from unetviz.core.inspection import Inspection
from unetviz.core.records import Level, size_text
from unetviz.core.shapes import axes_text
from unetviz.report.tables import human

Compared = Analysis | Inspection  # a config's analysis or an inspected model


@dataclass(frozen=True)
class CompareRow:
    section: str  # level, totals
    label: str
    values: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1

    def to_dict(self) -> dict[str, object]:
        return {"section": self.section, "label": self.label, "values": list(self.values), "differs": self.differs}


@dataclass(frozen=True)
class Comparison:
    labels: tuple[str, ...]
    analyses: tuple[Compared, ...]
    rows: tuple[CompareRow, ...]
    differences: tuple[str, ...]  # each analysis against the first, in words

    def to_dict(self) -> dict[str, object]:
        return {
            "labels": list(self.labels),
            "configs": [a.config.to_dict() if a.config is not None else None for a in self.analyses],
            "rows": [row.to_dict() for row in self.rows],
            "differences": list(self.differences),
        }


def _tensor(channels: int | None, size: tuple[int, ...] | None) -> str:
    return "—" if channels is None or size is None else f"{channels} × {size_text(size)}"


def _skip(level: Level | None) -> str:
    if level is None or level.skip_amounts is None:
        return "—"
    if not any(a or b for a, b in level.skip_amounts):
        return "none"
    sides = {(a, b) for a, b in level.skip_amounts}
    amounts = "; ".join(f"{a}+{b}" for a, b in level.skip_amounts) if len(sides) > 1 else "{}+{}".format(*sides.pop())
    return f"{level.skip} {amounts}"


def _depth(analysis: Compared) -> int:
    return analysis.config.depth if isinstance(analysis, Analysis) else analysis.depth


def _valid_sizes(analysis: Compared) -> str:
    parts = []
    for entry in analysis.valid_input_sizes():
        parts.append(f"{entry.label}: " + ", ".join(f"{i}→{o}" for i, o in entry.sizes[:5]))
    return "; ".join(parts)


def _rows(analyses: tuple[Compared, ...]) -> list[CompareRow]:
    rows = [
        CompareRow(
            "totals", "input", tuple(_tensor(a.shapes.input_shape[1], a.shapes.input_shape[2:]) for a in analyses)
        )
    ]
    depth = max(_depth(a) for a in analyses)
    for level in range(depth + 1):
        levels = [next((lv for lv in a.levels if lv.level == level), None) for a in analyses]
        name = f"level {level}"
        rows.append(
            CompareRow(
                "level",
                f"{name} encoder",
                tuple(_tensor(lv.encoder_channels, lv.encoder_size) if lv else "—" for lv in levels),
            )
        )
        if level < depth:
            rows.append(CompareRow("level", f"{name} skip", tuple(_skip(lv) for lv in levels)))
            rows.append(
                CompareRow(
                    "level",
                    f"{name} decoder",
                    tuple(_tensor(lv.decoder_channels, lv.decoder_size) if lv else "—" for lv in levels),
                )
            )
    shapes = [a.shapes for a in analyses]
    rows += [
        CompareRow("totals", "output", tuple(_tensor(s.output_shape[1], s.output_shape[2:]) for s in shapes)),
        CompareRow("totals", "parameters", tuple(f"{s.total_params:,}" for s in shapes)),
        CompareRow("totals", "mult-adds", tuple(human(s.mult_adds) for s in shapes)),
        CompareRow("totals", "activation memory", tuple(human(s.activation_bytes, "B") for s in shapes)),
        CompareRow("totals", "receptive field", tuple(s.receptive_field_text for s in shapes)),
        CompareRow("totals", "valid input sizes", tuple(_valid_sizes(a) for a in analyses)),
        CompareRow("totals", "warnings", tuple(str(len(a.warnings)) for a in analyses)),
    ]
    return rows


def _change(a: int, b: int) -> str:
    if a == b:
        return "equal"
    sign = "+" if b > a else "−"
    share = abs(b - a) / a if a else 0.0
    percent = f", {sign}{share:.2%}" if share < 0.01 else f", {sign}{share:.1%}"
    return f"{sign}{abs(b - a):,}{percent}"


def _differences(a: Compared, b: Compared, label_a: str, label_b: str) -> list[str]:
    out = []
    if isinstance(a, Analysis) and isinstance(b, Analysis):
        changed = [f for f in FIELD_NAMES if f != "name" and getattr(a.config, f) != getattr(b.config, f)]
        if changed:
            out.append("changed: " + "; ".join(_change_words(a, b, f) for f in changed))
    for label, analysis in ((label_a, a), (label_b, b)):
        if isinstance(analysis, Inspection):
            matched = f"it is exactly {analysis.matched.name}" if analysis.matched else "it matches no unetviz config"
            out.append(f"{label} is an inspected model ({analysis.target}); {matched}")
    for label, analysis in ((label_a, a), (label_b, b)):
        if analysis.shapes.failure:  # its numbers stop at the failing layer: say so before comparing them
            out.append(f"{label}: the forward pass fails: {analysis.shapes.failure}")
    sa, sb = a.shapes, b.shapes
    dims_a, dims_b = len(sa.input_shape) - 2, len(sb.input_shape) - 2
    if dims_a != dims_b:
        out.append(
            f"{label_a} is {dims_a}D and {label_b} is {dims_b}D: sizes per axis, crops and tile "
            "sizes cannot be compared level by level; channels, parameters, mult-adds and memory can"
        )
    else:
        out.append(_output_words(a, b))
        skips_a, skips_b = _skip_words(a), _skip_words(b)
        if skips_a != skips_b:
            out.append(f"skips {skips_a} vs {skips_b}")
    pa, pb = sa.total_params, sb.total_params
    out.append(f"parameters {pa:,} vs {pb:,} ({_change(pa, pb)})" if pa != pb else f"equal parameters ({pa:,})")
    out.append(f"mult-adds {human(sa.mult_adds)} vs {human(sb.mult_adds)} ({_ratio(sa.mult_adds, sb.mult_adds)})")
    out.append(
        f"activation memory {human(sa.activation_bytes, 'B')} vs {human(sb.activation_bytes, 'B')} "
        f"({_ratio(sa.activation_bytes, sb.activation_bytes)})"
    )
    if sa.receptive_field_text != sb.receptive_field_text:
        out.append(f"receptive field {sa.receptive_field_text.removesuffix(' px')} vs {sb.receptive_field_text}")
    for label, analysis in ((label_a, a), (label_b, b)):
        pooled = {layer.name: layer.in_shape[2:] for layer in analysis.layers}
        odd = [
            f"{w.layer} sees {size_text(pooled[w.layer])}"
            for w in analysis.warnings
            if w.kind == "odd-pool" and w.layer
        ]
        if odd:
            entries = analysis.valid_input_sizes()
            suggestion = ", ".join(f"{i}→{o}" for i, o in entries[0].sizes[:4]) if entries else "none found"
            out.append(f"{label}: a pool sees an odd size ({', '.join(odd)}); input sizes that fit: {suggestion}")
    return out


# Per-stage fields, said level by level from the resolved plans: (the plan attribute, which side, words)
_PER_LEVEL = {
    "kernel_size": ("kernel", "encoder", "kernel"),
    "strides": ("stride", "encoder", "stride into"),
    "convs_per_block": ("widths", "encoder", "convs/blocks"),
    "encoder_first_widths": ("widths", "encoder", "widths"),
    "decoder_convs_per_block": ("widths", "decoder", "decoder convs"),
    "up_kernel_size": ("up_kernel", "decoder", "up kernel"),
    "decoder_kernel_size": ("kernel", "decoder", "decoder kernel"),
}


def _change_words(a: Analysis, b: Analysis, field: str) -> str:
    """`padding valid → same`, or for a per-stage field what changed level by level: `strides: level 1
    stride into 1×2×2 → 2×2×2`."""
    if field in _PER_LEVEL and a.config.depth == b.config.depth and a.config.dims == b.config.dims:
        attribute, side, words = _PER_LEVEL[field]
        stages_a: tuple[Any, ...] = a.config.plan.encoder if side == "encoder" else a.config.plan.decoder
        stages_b: tuple[Any, ...] = b.config.plan.encoder if side == "encoder" else b.config.plan.decoder
        parts = []
        for sa, sb in zip(stages_a, stages_b, strict=True):
            va, vb = getattr(sa, attribute), getattr(sb, attribute)
            if attribute == "widths" and words != "widths":
                va, vb = len(va), len(vb)
            if va != vb:
                parts.append(f"level {sa.level} {_axes(va)} → {_axes(vb)}")
        if parts:
            return f"{field} ({words}): " + ", ".join(parts)
    return f"{field} {_field(a, field)} → {_field(b, field)}"


def _axes(value: object) -> str:
    return axes_text(value, short=True) if isinstance(value, tuple) else str(value)


def _field(analysis: Analysis, field: str) -> str:
    value = getattr(analysis.config, field)
    if value is None:
        return "default"
    if isinstance(value, bool):
        return "true" if value else "false"
    if field == "input_size":
        return size_text(value)
    return value if isinstance(value, str) else json.dumps(_lists(value))


def _lists(value: Any) -> Any:
    return [_lists(v) for v in value] if isinstance(value, tuple) else value


def _ratio(a: int, b: int) -> str:
    return "equal" if a == b else f"×{b / a:.2f}" if a else "—"


def _output_words(a: Compared, b: Compared) -> str:
    oa, ob = a.shapes.output_shape[2:], b.shapes.output_shape[2:]
    if a.shapes.failure or b.shapes.failure:
        return "no output to compare: a forward pass fails (see above)"
    if oa == ob:
        return f"same output {size_text(oa)}"
    text = f"output {size_text(oa)} vs {size_text(ob)}"
    for analysis, out in ((a, oa), (b, ob)):
        lost = {i - o for i, o in zip(analysis.shapes.input_shape[2:], out, strict=True)}
        valid = analysis.config is None or analysis.config.padding == "valid"
        if valid and len(lost) == 1 and (n := lost.pop()) > 0:
            text += f": valid convolutions lose {n} pixels per axis"
            break
    return text


def _skip_words(analysis: Compared) -> str:
    moved = [lv for lv in reversed(analysis.levels) if lv.skip_amounts and any(a or b for a, b in lv.skip_amounts)]
    if not moved:
        return "none"
    kind = "cropped" if moved[0].skip == "crop" else "padded"
    amounts = ", ".join(_side(lv) for lv in moved)
    return f"{kind} by {amounts} (levels {moved[0].level}→{moved[-1].level})"


def _side(level: Level) -> str:
    """Per side when both sides move alike (`88`), else before+after as in the table (`0+1`)."""
    per_axis = level.skip_amounts or ()
    if len(set(per_axis)) > 1:
        return "; ".join(f"{a}+{b}" for a, b in per_axis)
    before, after = per_axis[0]
    return str(before) if before == after else f"{before}+{after}"


def compare_all(analyses: list[Compared], labels: list[str]) -> Comparison:
    """Each analysis in a column; the differences are each one against the first."""
    items = tuple(analyses)
    differences: list[str] = []
    for label, analysis in zip(labels[1:], items[1:], strict=True):
        prefix = f"{labels[0]} vs {label}: " if len(items) > 2 else ""
        differences += [prefix + line for line in _differences(items[0], analysis, labels[0], label)]
    return Comparison(tuple(labels), items, tuple(_rows(items)), tuple(differences))


def compare(a: Analysis, b: Analysis, labels: tuple[str, str] | None = None) -> Comparison:
    if labels is None:
        labels = (a.config.name, b.config.name) if a.config.name != b.config.name else ("A", "B")
    return compare_all([a, b], list(labels))
