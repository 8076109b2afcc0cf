"""A Comparison as a text table, Markdown, JSON, or one self-contained HTML page with the diagrams."""

from __future__ import annotations

import html
import json
import re

from unetviz.core.errors import RenderError
from unetviz.report.compare import Comparison

COMPARE_FORMATS = ("table", "json", "markdown", "html")
DIFFERS = "≠"


def to_text(comparison: Comparison) -> str:
    header = ["", *comparison.labels, DIFFERS]
    cells = [[row.label, *row.values, DIFFERS if row.differs else ""] for row in comparison.rows]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *cells]]
    lines.insert(1, "  ".join("-" * w for w in widths).rstrip())
    lines += ["", "differences:"] + [f"- {d}" for d in comparison.differences]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(comparison: Comparison) -> str:
    lines = ["| | " + " | ".join(_md(x) for x in comparison.labels) + " |", "|---" * (len(comparison.labels) + 1) + "|"]
    for row in comparison.rows:
        values = [f"**{_md(v)}**" if row.differs else _md(v) for v in row.values]
        lines.append(f"| {row.label} | " + " | ".join(values) + " |")
    lines += ["", "Cells in **bold** differ.", "", "**Differences**", ""]
    lines += [f"- {_md(d)}" for d in comparison.differences]
    return "\n".join(lines) + "\n"


def to_json(comparison: Comparison) -> str:
    return json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _inline_svg(svg: bytes) -> str:
    text = svg.decode("utf-8")
    start = text.find("<svg")
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="diagram"', text[start:], count=1)


def to_html(comparison: Comparison, engine: str = "auto") -> str:
    from unetviz.draw.graph import build_graph
    from unetviz.draw.render import render

    rows = []
    for row in comparison.rows:
        cls = ' class="differs"' if row.differs else ""
        cells = "".join(f"<td>{html.escape(v)}</td>" for v in row.values)
        rows.append(f"<tr{cls}><th>{html.escape(row.label)}</th>{cells}</tr>")
    figures = []
    for label, analysis in zip(comparison.labels, comparison.analyses, strict=True):
        try:
            body = _inline_svg(render(build_graph(analysis, "u"), "svg", engine=engine))
        except RenderError as exc:
            body = f"<p>diagram not drawn: {html.escape(str(exc))}</p>"
        figures.append(f"<figure><figcaption>{html.escape(label)}</figcaption>{body}</figure>")
    title = " vs ".join(comparison.labels)
    heads = "".join(f"<th>{html.escape(label)}</th>" for label in comparison.labels)
    diffs = "".join(f"<li>{html.escape(d)}</li>" for d in comparison.differences)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>unetviz: {html.escape(title)}</title>
<style>
body {{ font-family: Arial, Helvetica, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 10px; text-align: left; font-variant-numeric: tabular-nums; }}
tr.differs td {{ background: #fff3cd; font-weight: bold; }}
.diagrams {{ display: flex; flex-wrap: wrap; gap: 2em; }}
figure {{ margin: 0; flex: 1 1 420px; }} figcaption {{ font-weight: bold; margin-bottom: .5em; }}
svg.diagram {{ width: 100%; height: auto; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<h2>Differences</h2><ul>{diffs}</ul>
<table><thead><tr><th></th>{heads}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
<p>Highlighted rows differ.</p>
<div class="diagrams">{"".join(figures)}</div>
</body></html>
"""


def render_comparison(comparison: Comparison, fmt: str, engine: str = "auto") -> str:
    if fmt == "html":
        return to_html(comparison, engine)
    return {"table": to_text, "json": to_json, "markdown": to_markdown}[fmt](comparison)
