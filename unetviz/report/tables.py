"""The layer table as text, CSV, Markdown or JSON: one writer for `summary`, `export` and the app."""

from __future__ import annotations

import csv
import io
import json

from unetviz.core.analysis import Analysis
from unetviz.core.config import UNetConfig, load_preset
from unetviz.core.inspection import Inspection
from unetviz.core.records import amounts_text
from unetviz.core.shapes import size_text

TABLE_FORMATS = ("table", "json", "csv", "markdown")
COLUMNS = ("layer", "type", "input", "output", "formula", "params", "mult_adds")


def shape_text(shape: tuple[int, ...]) -> str:
    """`[N, C, H, W]` as `C × H×W` (the batch is shown once, in the totals)."""
    if len(shape) < 3:  # no longer a map (a classifier's logits)
        return " × ".join(str(s) for s in shape[1:]) or "scalar"
    return f"{shape[1]} × {size_text(shape[2:])}"


def layer_rows(analysis: Analysis | Inspection) -> list[dict[str, str | int]]:
    return [
        {
            "layer": layer.name,
            "type": layer.type,
            "input": shape_text(layer.in_shape),
            "output": shape_text(layer.out_shape),
            "formula": layer.formula,
            "params": layer.params,
            "mult_adds": layer.mult_adds,
        }
        for layer in analysis.layers
    ]


def human(n: float, unit: str = "") -> str:
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{n / size:.2f} {suffix}{unit}"
    return f"{n:g} {unit}".rstrip()


def inspection_lines(found: Inspection) -> list[str]:
    """The totals under an inspected model's table: what was traced, the U found, and whether it is a config."""
    kwargs = f", kwargs {found.kwargs}" if found.kwargs else ""
    output = f"fails at {found.failure.split(':')[0]}" if found.failure else f"{list(found.output_shape)}"
    lines = [
        f"model             {found.name} ({found.target}{kwargs})",
        f"input → output    {list(found.input_shape)} → {output}",
        f"parameters        {found.total_params:,} (sum of the model's parameters)",
        f"mult-adds         {found.mult_adds:,} ({human(found.mult_adds)}; batch {found.input_shape[0]})",
        f"activations       {human(found.activation_bytes, 'B')} (float32, every recorded step's output)",
    ]
    if found.failure:
        lines.insert(2, f"forward fails     {found.failure}")
    if found.u_found:
        depth = max((level.level for level in found.levels), default=0)
        lines.append(f"U                 {depth + 1} levels ({', '.join(found.resolutions)}), {len(found.skips)} skips")
        for skip in found.skips:
            how = {"none": "as is", "crop": "cropped", "pad": "padded"}[skip.adjust]
            which = (
                "" if skip.adjust == "none" else " (the skip)" if skip.adjusted == "skip" else " (the up-sampled map)"
            )
            amounts = f" {amounts_text(skip.amounts)}" if skip.amounts and skip.adjust != "none" else ""
            lines.append(f"  level {skip.level}: {skip.source} → {skip.join}, {skip.kind} {how}{which}{amounts}")
    else:
        lines.append(f"U                 {found.no_u_reason}")
    for entry in found.valid_input_sizes():
        listed = ", ".join(f"{i}→{o}" for i, o in entry.sizes) or "none found"
        lines.append(f"valid sizes {entry.label}: {listed} (re-traced on meta)")
    lines.append(
        f"trace             {found.device}: recorded in {found.seconds * 1000:.0f} ms (the trace is the source)"
    )
    if found.matched is not None:
        lines.append(f"matches config    {found.matched.name}: the same layers, shapes and parameters "
                     f"(open it: {open_command(found.matched)})")  # fmt: skip
    lines += [f"differs           {text}" for text in found.differs]
    lines += [f"warning: {w.message}" for w in found.warnings]
    return lines


def open_command(cfg: UNetConfig) -> str:
    """`unetviz gui --preset milesial --set in_channels=1`: the command that opens `cfg`, a preset with changes."""
    preset = load_preset(cfg.name).to_dict()
    changes = [f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in cfg.to_dict().items() if preset.get(k) != v]
    return " ".join(["unetviz gui --preset", cfg.name, *(f"--set {c}" for c in changes)])


def totals_lines(analysis: Analysis | Inspection) -> list[str]:
    if isinstance(analysis, Inspection):
        return inspection_lines(analysis)
    s = analysis.shapes
    cfg = analysis.config
    lines = [
        f"config            {cfg.name}",
        f"input → output    {list(s.input_shape)} → "
        + (f"fails at {_failing_layer(analysis)}" if s.failure else f"{list(s.output_shape)}"),
        f"parameters        {s.total_params:,} (all trainable"
        + ("; BatchNorm running statistics are buffers, not counted)" if cfg.norm == "batch" else ")"),
        f"mult-adds         {s.mult_adds:,} ({human(s.mult_adds)}; batch {cfg.batch_size})",
        f"activations       {human(s.activation_bytes, 'B')} (float32, every layer's output)",
        f"receptive field   {s.receptive_field_text}",
    ]
    if s.failure:
        lines.insert(2, f"forward fails     {s.failure}")
    for entry in analysis.valid_input_sizes():
        listed = ", ".join(f"{i}→{o}" for i, o in entry.sizes) or "none found"
        lines.append(f"valid sizes {entry.label}: {listed}")
    trace = analysis.trace
    if trace is None and s.failure:
        lines.append("trace             not run: the forward pass would fail (see above)")
    elif trace is None:
        lines.append("trace             not run (--device none)")
    else:
        verdict = "analytic and traced sizes agree" if trace.agreed else f"{len(trace.mismatches)} layers DISAGREE"
        lines.append(f"trace             {trace.device}: {verdict} ({trace.seconds * 1000:.0f} ms)")
        for m in trace.mismatches:
            lines.append(f"  mismatch {m.layer}: analytic {m.analytic}, traced {m.traced}")
        if trace.note:
            lines.append(f"  note: {trace.note}")
        if trace.peak_memory_bytes is not None:
            lines.append(f"  peak CUDA memory {human(trace.peak_memory_bytes, 'B')}")
        check = trace.torchinfo
        if check is not None:
            agree = "agrees" if check.params_agree else "DIFFERS"
            lines.append(f"torchinfo         params {check.params:,} ({agree}); mult-adds {check.mult_adds:,}")
            if check.differing:
                kinds = ", ".join(f"{n} {t}" for t, n in check.differing_types().items())
                lines.append(
                    f"  torchinfo counts mult-adds differently on {kinds} (biases, transposed conv per output)"
                )
    if analysis.imported is not None:
        lines.append(f"imported          {analysis.imported.source}")
        lines += [f"  assumed: {text}" for text in analysis.imported.assumed]
    for warning in analysis.warnings:
        lines.append(f"warning: {warning.message}")
    return lines


def _failing_layer(analysis: Analysis) -> str:
    return next((layer.name for layer in analysis.layers if layer.error), "?")


def to_text(analysis: Analysis | Inspection) -> str:
    rows = layer_rows(analysis)
    headers = {
        "layer": "layer",
        "type": "type",
        "output": "output (C × size)",
        "formula": "formula",
        "params": "params",
    }
    cells = [[str(row[key]) if key != "params" else f"{row[key]:,}" for key in headers] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers.values())]
    right = {4}

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    out = [line(list(headers.values())), "  ".join("-" * w for w in widths)]
    out += [line(c) for c in cells]
    out += ["", *totals_lines(analysis)]
    return "\n".join(out) + "\n"


def to_csv(analysis: Analysis | Inspection) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(layer_rows(analysis))
    return buffer.getvalue()


def to_markdown(analysis: Analysis | Inspection) -> str:
    rows = layer_rows(analysis)
    out = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---:" if c in ("params", "mult_adds") else "---" for c in COLUMNS) + "|",
    ]
    for row in rows:
        out.append("| " + " | ".join(f"{row[c]:,}" if isinstance(row[c], int) else str(row[c]) for c in COLUMNS) + " |")
    out.append("")
    out += [f"- {line}" for line in totals_lines(analysis)]
    return "\n".join(out) + "\n"


def to_json(analysis: Analysis | Inspection) -> str:
    return json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_table(analysis: Analysis | Inspection, fmt: str) -> str:
    writers = {"table": to_text, "json": to_json, "csv": to_csv, "markdown": to_markdown}
    return writers[fmt](analysis)
