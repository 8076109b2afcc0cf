"""The summary of an inspected model, as HTML for the summary panel: what was traced, the U found, whether it is
exactly a unetviz config (with a link that opens it), and the valid input sizes (a click inspects again there).

The same facts as `report.tables.inspection_lines`, laid out for the panel; the user's text is escaped.
"""

from __future__ import annotations

import json
from html import escape as _escape

from unetviz.core.inspection import Inspection
from unetviz.core.records import amounts_text, axis_names
from unetviz.core.tiles import ValidSizes
from unetviz.report.tables import human, shape_text

OPEN_MATCHED_LINK = "open-matched:"
SHAPE_LINK = "shape:"  # shape:1,3,580,580 — inspect again at this input shape
ERROR_STYLE = "color:#c53030"


def escape(text: str) -> str:
    return _escape(text, quote=False)


def inspection_html(found: Inspection) -> str:
    kwargs = f" with {escape(json.dumps(found.kwargs, ensure_ascii=False, default=str))}" if found.kwargs else ""
    parts = [
        f"<h3 style='margin:0'>{escape(found.name)}</h3>",
        f"<p style='color:#2c5282'>inspected model <b>{escape(found.target)}</b>{kwargs}; read-only: its layers "
        "come from tracing it</p>",
        "<table cellspacing='3'>",
    ]
    rows = [
        ("input → output", f"{shape_text(found.input_shape)} → {_output_text(found)} (batch {found.input_shape[0]})"),
        ("parameters", f"{found.total_params:,} (sum of the model's parameters)"),
        ("mult-adds", f"{found.mult_adds:,} ({human(found.mult_adds)})"),
        ("activations", f"{human(found.activation_bytes, 'B')} (float32, every recorded step's output)"),
        ("U", _u_text(found)),
        ("trace", f"{escape(found.device)}: recorded in {found.seconds * 1000:.0f} ms (the trace is the source)"),
    ]
    parts += [f"<tr><td style='white-space:nowrap'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows]
    parts.append("</table>")
    if found.failure:
        parts.append(f"<p style='{ERROR_STYLE}'><b>the forward pass fails</b> at {escape(found.failure)}</p>")
    if found.matched is not None:
        parts.append(
            f"<p><b>matches config {escape(found.matched.name)}</b>: the same layers, shapes and parameters. "
            f"<a href='{OPEN_MATCHED_LINK}'>Open as an editable config</a></p>"
        )
    elif found.differs:
        parts.append("<p><b>matches no unetviz config</b>:</p><ul style='margin-left:-20px'>")
        parts += [f"<li>{escape(text)}</li>" for text in found.differs]
        parts.append("</ul>")
    parts += _skips_html(found)
    parts += _sizes_html(found)
    if found.unattributed:
        parts.append(f"<p><b>parameters no recorded step used</b>: {escape(', '.join(found.unattributed))}</p>")
    if found.warnings:
        parts.append("<p><b>warnings</b></p><ul style='margin-left:-20px'>")
        parts += [f"<li style='color:#975a16'>{escape(w.message)}</li>" for w in found.warnings]
        parts.append("</ul>")
    return "".join(parts)


def _output_text(found: Inspection) -> str:
    if found.failure:
        return f"<span style='{ERROR_STYLE}'><b>fails at {escape(found.failure.split(':')[0])}</b></span>"
    return shape_text(found.output_shape)


def _u_text(found: Inspection) -> str:
    if not found.u_found:
        return escape(found.no_u_reason or "no U found")
    return f"{found.depth + 1} levels, {len(found.skips)} skips"


def _skips_html(found: Inspection) -> list[str]:
    if not found.skips:
        return []
    parts = ["<p><b>skips</b></p><ul style='margin-left:-20px'>"]
    for skip in found.skips:
        how = {"none": "as is", "crop": "cropped", "pad": "padded"}.get(skip.adjust, skip.adjust)
        which = {"skip": " (the skip)", "up": " (the up-sampled map)"}.get(skip.adjusted, "")
        amounts = f" {amounts_text(skip.amounts)}" if skip.amounts and skip.adjust != "none" else ""
        parts.append(f"<li>level {skip.level}: {escape(skip.source)} → {escape(skip.join)}, {escape(skip.kind)} "
                     f"{how}{which}{escape(amounts)}</li>")  # fmt: skip
    parts.append("</ul>")
    return parts


def _sizes_html(found: Inspection) -> list[str]:
    entries = found.valid_input_sizes()
    if not entries:
        return []
    parts = ["<p><b>valid input sizes</b> (re-traced on meta; input→output, click to inspect there)</p>"]
    for entry in entries:
        links = [
            f"<b>{i}→{o}</b>" if i == entry.near else f"<a href='{_shape_link(found, entry, i)}'>{i}→{o}</a>"
            for i, o in entry.sizes
        ] or ["none found"]
        parts.append(f"<p>{escape(entry.label)}: {' · '.join(links)}</p>")
    return parts


def _shape_link(found: Inspection, entry: ValidSizes, size: int) -> str:
    """shape:1,3,580,580 — the input shape with `size` for `entry.near` on its axes (all when it names none)."""
    spatial = found.input_shape[2:]
    names = axis_names(len(spatial))
    chosen = set(entry.axes) if entry.axes else set(names)
    sizes = [size if s == entry.near and a in chosen else s for a, s in zip(names, spatial, strict=True)]
    return SHAPE_LINK + ",".join(str(v) for v in (*found.input_shape[:2], *sizes))


def shape_from_link(link: str) -> tuple[int, ...] | None:
    if not link.startswith(SHAPE_LINK):
        return None
    try:
        return tuple(int(v) for v in link.removeprefix(SHAPE_LINK).split(","))
    except ValueError:
        return None
