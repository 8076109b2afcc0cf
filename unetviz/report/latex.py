"""The layer table and the per-level summary as LaTeX `tabular` snippets (booktabs rules) for a paper to
`\\input`: names escaped, shapes and formulas in math mode."""

from __future__ import annotations

import re

from unetviz.core.analysis import Analysis
from unetviz.core.errors import printable
from unetviz.core.inspection import Inspection
from unetviz.core.records import Level, amounts_text
from unetviz.report.tables import layer_rows, shape_text

# One pass over the text, so that the backslash a replacement brings is never escaped again.
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
MATH_SYMBOLS = {
    "−": "-",
    "·": r"\cdot ",
    "×": r"\times ",
    "⌊": r"\lfloor ",
    "⌋": r" \rfloor",
    "⌈": r"\lceil ",
    "⌉": r" \rceil",
    "→": r"\to ",
}
# A run of arithmetic that holds a number (`⌊(572 − 3 + 2·0)/2⌋ + 1 = 285`, `64 × 568×568`); words around it
# (`up`, `skip D:`, `[skip, up]:`, `channels`) stay text, so per-axis parts keep their axis labels.
MATH_RUN = re.compile(r"[0-9(⌊⌈−][0-9 +−·×/=()⌊⌋⌈⌉.]*")
PACKAGES = "Needs \\usepackage{booktabs}."


def escape(text: str) -> str:
    """`text` safe in a LaTeX paragraph or table cell: its special characters written as commands."""
    return "".join(LATEX_SPECIALS.get(c, c) for c in text)


def math_text(text: str) -> str:
    """A formula or shape as LaTeX: its arithmetic in `$…$` (`×` as `\\times`, `−` as `-`, `·` as `\\cdot`,
    `⌊⌋` `⌈⌉` as `\\lfloor\\rfloor` `\\lceil\\rceil`), the words between escaped text."""
    parts: list[str] = []
    end = 0
    for run in MATH_RUN.finditer(text):
        arithmetic = run.group().rstrip()
        if not any(c.isdigit() for c in arithmetic):
            continue
        parts.append(escape(text[end : run.start()]))
        parts.append("$" + " ".join("".join(MATH_SYMBOLS.get(c, c) for c in arithmetic).split()) + "$")
        end = run.start() + len(arithmetic)
    parts.append(escape(text[end:]))
    return "".join(parts)


def number(n: int) -> str:
    """`31030658` as `31{,}030{,}658`: the braces keep math mode from spacing the comma as punctuation."""
    return f"{n:,}".replace(",", "{,}")


def _row(cells: list[str]) -> str:
    # `\\` looks past the line break for `[` or `*` (its options): a row starting so would be eaten by the last.
    first = "{}" if cells[0].startswith(("[", "*")) else ""
    return first + " & ".join(cells) + r" \\"


def _head(analysis: Analysis | Inspection, what: str, spec: str) -> list[str]:
    name = analysis.name if isinstance(analysis, Inspection) else analysis.config.name
    return [
        f"% {what} of {printable(name)}, written by unetviz. {PACKAGES}",
        r"\begin{tabular}{" + spec + "}",
        r"\toprule",
    ]


def _in_out(analysis: Analysis | Inspection) -> str:
    s = analysis.shapes
    return f"input {math_text(shape_text(s.input_shape))}, output {math_text(shape_text(s.output_shape))}"


def layers_tex(analysis: Analysis | Inspection) -> str:
    """The layer table: layer, type, output (C × size), formula, params, mult-adds; totals last."""
    lines = _head(analysis, "Layer table", "llllrr")
    lines.append(_row(["Layer", "Type", r"Output ($C \times{}$ size)", "Formula", "Params", "Mult-adds"]))
    lines.append(r"\midrule")
    for row in layer_rows(analysis):
        cells = [escape(str(row["layer"])), escape(str(row["type"]))]
        cells += [math_text(str(row["output"])), math_text(str(row["formula"]))]
        cells += [number(int(row["params"])), number(int(row["mult_adds"]))]
        lines.append(_row(cells))
    s = analysis.shapes
    lines += [
        r"\midrule",
        _row([rf"\multicolumn{{4}}{{l}}{{Total ({_in_out(analysis)})}}", number(s.total_params), number(s.mult_adds)]),
        r"\bottomrule",
        r"\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


def levels_tex(analysis: Analysis | Inspection) -> str:
    """The per-level summary: encoder and decoder maps (C × size) and what the skip does at each level."""
    lines = _head(analysis, "Per-level summary", "rlll")
    lines.append(
        _row(["Level", r"Encoder ($C \times{}$ size)", r"Decoder ($C \times{}$ size)", "Skip (before + after)"])
    )
    lines.append(r"\midrule")
    for level in analysis.levels:
        lines.append(_row([str(level.level), _map(level.encoder_channels, level.encoder_size),
                           _map(level.decoder_channels, level.decoder_size), _skip(level)]))  # fmt: skip
    lines += [
        r"\midrule",
        rf"\multicolumn{{4}}{{l}}{{{_in_out(analysis)}; {number(analysis.shapes.total_params)} parameters}} \\",
        r"\bottomrule",
        r"\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


def _map(channels: int | None, size: tuple[int, ...] | None) -> str:
    if channels is None or size is None:  # the bottleneck has no decoder map of its own
        return "--"
    return math_text(shape_text((1, channels, *size)))


def _skip(level: Level) -> str:
    """`crop $88 + 88$` (before + after on every axis), `pad H: $0 + 1$; W: $0 + 1$`, `as is`, or `--`."""
    amounts = level.skip_amounts
    if level.skip == "none" or amounts is None:  # the bottleneck: no skip
        return "--"
    if not any(a or b for a, b in amounts):
        return "as is"
    before, after = amounts[0]
    words = f"{before} + {after}" if len(set(amounts)) == 1 else amounts_text(amounts)
    return f"{escape(level.skip)} {math_text(words)}"
