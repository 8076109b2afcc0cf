"""The LaTeX tables (`-o layers.tex`, `-o levels.tex`): formulas in math mode, names escaped, and every preset's
tables compile with pdflatex (one document per kind, so the test stays quick)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from unetviz.cli import main
from unetviz.core.analysis import Analysis, analyze
from unetviz.core.config import load_preset, preset_names
from unetviz.core.inspection import Inspection
from unetviz.report.export import export_file
from unetviz.report.latex import escape, layers_tex, levels_tex, math_text, number

MODELS = Path(__file__).parent / "models"
PDFLATEX = shutil.which("pdflatex")
NO_PDFLATEX = "no `pdflatex` on PATH (Debian: texlive-latex-base texlive-pictures; make test installs them)"
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason=NO_PDFLATEX)
Tables = Callable[[Analysis | Inspection], str]


def test_a_floor_formula_is_math() -> None:
    assert math_text("⌊(572 − 3 + 2·0)/2⌋ + 1 = 285") == r"$\lfloor (572 - 3 + 2\cdot 0)/2 \rfloor + 1 = 285$"
    assert math_text("⌈(5 − 1)/2⌉ = 2") == r"$\lceil (5 - 1)/2 \rceil = 2$"
    assert math_text("64 × 570×570") == r"$64 \times 570\times 570$"


def test_a_per_axis_formula_keeps_its_axis_labels_as_text() -> None:
    formula = "skip D: 22 − 4 − 4 = 14; H: ⌊(26 − 3 + 2·1)/2⌋ + 1 = 13"
    assert math_text(formula) == r"skip D: $22 - 4 - 4 = 14$; H: $\lfloor (26 - 3 + 2\cdot 1)/2 \rfloor + 1 = 13$"
    assert math_text("[skip, up]: 32 + 32 = 64 channels") == "[skip, up]: $32 + 32 = 64$ channels"
    assert math_text("same size as input") == "same size as input"


def test_names_and_numbers_are_escaped() -> None:
    assert escape("enc0.leaky_relu1#2") == r"enc0.leaky\_relu1\#2"
    special = r"a\%b\&c\$d\{e\}f\textasciitilde{}g\textasciicircum{}h\textbackslash{}i"
    assert escape(r"a%b&c$d{e}f~g^h\i") == special
    assert math_text("a_b: 3 × 4") == r"a\_b: $3 \times 4$"
    assert number(31030658) == "31{,}030{,}658" and number(640) == "640"


def _analyses() -> dict[str, Analysis | Inspection]:
    from unetviz.sources.inspect import inspect, load_model

    found: dict[str, Analysis | Inspection] = {name: analyze(load_preset(name)) for name in preset_names()}
    for target, shape in ((f"{MODELS / 'pytorch_unet.py'}:UNet", (1, 3, 64, 64)),
                          (f"{MODELS / 'small_models.py'}:Classifier", (2, 3, 32, 32))):  # fmt: skip
        found[target] = inspect(load_model(target, {}), shape, name=target.rpartition(":")[2], target=target)
    return found


@pytest.fixture(scope="module")
def analyses() -> dict[str, Analysis | Inspection]:
    return _analyses()


def test_every_layer_row_starts_with_its_name_escaped(analyses: dict[str, Analysis | Inspection]) -> None:
    for name, analysis in analyses.items():
        tex = layers_tex(analysis)
        rows = [line for line in tex.splitlines() if line.endswith(r"\\")]
        assert len(rows) == len(analysis.layers) + 2, name  # the header and the total
        for layer, row in zip(analysis.layers, rows[1:], strict=False):
            # Layer names are dotted paths; an underscore is the one LaTeX special they hold.
            assert re.fullmatch(r"[A-Za-z0-9._]+", layer.name), layer.name
            assert row.startswith(layer.name.replace("_", r"\_") + " & "), (name, row)
        assert "\\begin{tabular}{llllrr}\n\\toprule" in tex and tex.endswith("\\bottomrule\n\\end{tabular}\n")
        assert not any(c in tex for c in "−·×⌊⌋⌈⌉"), name  # every symbol became a command


def test_the_levels_table_of_the_paper_unet() -> None:
    tex = levels_tex(analyze(load_preset("ronneberger2015")))
    assert r"0 & $64 \times 568\times 568$ & $64 \times 388\times 388$ & crop $88 + 88$ \\" in tex
    assert r"4 & $1024 \times 28\times 28$ & -- & -- \\" in tex
    assert "31{,}030{,}658 parameters" in tex
    assert tex.startswith("% ") and r"\usepackage{booktabs}" in tex.splitlines()[0]


def _compile(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[margin=5mm,landscape]{geometry}\n\\usepackage{booktabs}\n"
        f"\\begin{{document}}\n\\tiny\n{body}\\end{{document}}\n",
        encoding="utf-8",
    )
    assert PDFLATEX is not None
    command = [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)


@needs_pdflatex
@pytest.mark.parametrize("tables", [layers_tex, levels_tex], ids=["layers", "levels"])
def test_every_presets_tables_compile(
    tables: Tables, analyses: dict[str, Analysis | Inspection], tmp_path: Path
) -> None:
    body = ""
    for i, analysis in enumerate(analyses.values()):
        (tmp_path / f"table{i}.tex").write_text(tables(analysis), encoding="utf-8")
        body += f"\\input{{table{i}.tex}}\n\\newpage\n"
    done = _compile(tmp_path, body)
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    assert re.search(rf"Output written on doc\.pdf \({len(analyses)} pages?", done.stdout), done.stdout[-1000:]


@needs_pdflatex
def test_the_compile_check_catches_an_unescaped_name(tmp_path: Path) -> None:
    # Without this, a pdflatex that said yes to anything would pass the test above.
    done = _compile(tmp_path, "\\begin{tabular}{l}\\toprule enc0.leaky_relu1 \\\\ \\bottomrule\\end{tabular}\n")
    assert done.returncode != 0 and "Missing $ inserted" in done.stdout


def test_export_writes_the_table_its_name_asks_for(tmp_path: Path) -> None:
    analysis = analyze(load_preset("small"))
    assert main(["export", "--preset", "small", "-o", str(tmp_path / "layers.tex"), "-o",
                 str(tmp_path / "unet-Levels.tex")]) == 0  # fmt: skip
    assert (tmp_path / "layers.tex").read_text(encoding="utf-8") == layers_tex(analysis)
    assert (tmp_path / "unet-Levels.tex").read_text(encoding="utf-8") == levels_tex(analysis)
    export_file(analysis, tmp_path / "figure.tex")  # any other name: the paper figure, as TikZ
    assert "\\begin{tikzpicture}" in (tmp_path / "figure.tex").read_text(encoding="utf-8")
