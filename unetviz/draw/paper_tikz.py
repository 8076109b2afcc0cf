"""The paper figure as TikZ: a standalone document that compiles with `pdflatex` as it is, whose `tikzpicture`
(between the two marker lines) can be pasted or `\\input` into a paper. Colours, line widths and fonts are named
styles at the top, so an author restyles the figure in one place; text is set in the document's own font.

Needs only `tikz` (texlive-pictures) and LaTeX's base; the page is sized to the figure with pdfTeX's own
`\\paperwidth`/`\\paperheight`, so no `standalone` class or `geometry` package is needed."""

from __future__ import annotations

from unetviz.draw.paper_layout import PaperFigure, Text
from unetviz.draw.paper_svg import ARROW_STYLE, BAR_STYLE

BEGIN = "% --- unetviz tikzpicture: begin (paste from here, or \\input a file holding this part) ---"
END = "% --- unetviz tikzpicture: end ---"
FONT = {"channels": r"\unetlabelfont", "size": r"\unetlabelfont", "note": r"\unetlabelfont",
        "legend": r"\unetlegendfont", "label": r"\unetlabelfont"}  # fmt: skip
ANCHOR = {"start": "base west", "middle": "base", "end": "base east"}
SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}  # fmt: skip
SYMBOLS = {"×": r"$\times$", "−": "$-$", "·": r"$\cdot$", "→": r"$\rightarrow$", "…": r"\dots{}"}


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def tex_text(text: str) -> str:
    """`text` for LaTeX: specials escaped, ×, −, · and → as math symbols."""
    return "".join(SYMBOLS.get(ch, SPECIALS.get(ch, ch)) for ch in text)


def _colour_name(kind: str) -> str:
    return "unet" + kind.replace("-", "")


def _styles() -> list[str]:
    lines = [r"\usetikzlibrary{arrows.meta}"]
    for kind, (colour, _dash, _width) in ARROW_STYLE.items():
        lines.append(rf"\definecolor{{{_colour_name(kind)}}}{{HTML}}{{{colour[1:].upper()}}}")
    for kind, (fill, stroke) in BAR_STYLE.items():
        lines.append(rf"\definecolor{{{_colour_name(kind)}fill}}{{HTML}}{{{fill[1:].upper()}}}")
        lines.append(rf"\definecolor{{{_colour_name(kind)}line}}{{HTML}}{{{stroke[1:].upper()}}}")
    lines += [r"\newcommand{\unetlabelfont}{\fontsize{7}{8}\selectfont}",
              r"\newcommand{\unetlegendfont}{\fontsize{8}{9}\selectfont}", r"\tikzset{"]  # fmt: skip
    for kind in BAR_STYLE:
        lines.append(f"  unet bar {kind}/.style={{draw={_colour_name(kind)}line, fill={_colour_name(kind)}fill, "
                     "line width=0.5pt},")  # fmt: skip
    for kind, (_colour, dash, width) in ARROW_STYLE.items():
        pattern = ""
        if dash:
            parts = dash.split()
            pattern = ", dash pattern=" + " ".join(
                f"{'on' if i % 2 == 0 else 'off'} {p}pt" for i, p in enumerate(parts)
            )
        lines.append(f"  unet {kind}/.style={{draw={_colour_name(kind)}, line width={_n(width * 0.75)}pt"
                     f"{pattern}, -{{Stealth[length=4pt, width=3.5pt]}}}},")  # fmt: skip
    lines += ["  unet label/.style={inner sep=0pt, outer sep=0pt},", "}"]
    return lines


def _node(text: Text) -> str:
    rotate = ", rotate=90" if text.rotated else ""
    return (rf"\node[unet label, anchor={ANCHOR[text.anchor]}{rotate}, font={FONT[text.role]}] at "
            f"({_n(text.x)},{_n(text.y)}) {{{tex_text(text.text)}}};")  # fmt: skip


def to_tikz(figure: PaperFigure) -> str:
    """A standalone LaTeX document of `figure`: 1 px of the SVG is 1 bp (1/72 in, the PDF point) here, x to the
    right and y down."""
    w, h = _n(figure.width), _n(figure.height)
    picture = [BEGIN, r"\begin{tikzpicture}[x=1bp, y=-1bp]",
               rf"\path[use as bounding box] (0,0) rectangle ({w},{h});"]  # fmt: skip
    for arrow in figure.arrows:  # under the bars: copies that pass behind other bars
        if arrow.behind:
            picture.append(
                rf"\draw[unet {arrow.kind}] " + " -- ".join(f"({_n(x)},{_n(y)})" for x, y in arrow.points) + ";"
            )
    for bar in figure.bars:
        picture.append(rf"\draw[unet bar {bar.kind}] ({_n(bar.x)},{_n(bar.y)}) rectangle ({_n(bar.right)},"
                       f"{_n(bar.bottom)}); % {tex_text(bar.layer or bar.kind)}")  # fmt: skip
    for arrow in (a for a in figure.arrows if not a.behind):
        path = " -- ".join(f"({_n(x)},{_n(y)})" for x, y in arrow.points)
        picture.append(rf"\draw[unet {arrow.kind}] {path};")
    picture += [_node(t) for t in figure.texts]
    picture += [r"\end{tikzpicture}", END]
    return "\n".join(
        [
            f"% unetviz paper figure: {tex_text(figure.title)}. Compile: pdflatex this file. In a paper:",
            "% \\usepackage{tikz} and the styles below in the preamble, the picture inside a figure environment.",
            r"\documentclass{article}",
            r"\usepackage{tikz}",
            *_styles(),
            rf"\paperwidth={w}bp \paperheight={h}bp \pdfpagewidth={w}bp \pdfpageheight={h}bp",
            r"\hoffset=-1in \voffset=-1in \oddsidemargin=0pt \evensidemargin=0pt \topmargin=0pt",
            rf"\headheight=0pt \headsep=0pt \textwidth={w}bp \textheight={h}bp \parindent=0pt",
            r"\pagestyle{empty}",
            r"\begin{document}",
            *picture,
            r"\end{document}",
            "",
        ]
    )
