"""Comparisons: the paper against its same-padding twin, bilinear vs transpose, --vary, HTML, 2D vs 3D."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from unetviz.core.analysis import analyze
from unetviz.core.config import load_config
from unetviz.report.compare import compare


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "unetviz.cli", *args], capture_output=True, text=True)


def rows(comparison_dict: dict[str, object]) -> dict[str, list[str]]:
    return {row["label"]: row["values"] for row in comparison_dict["rows"]}  # type: ignore[attr-defined]


def test_paper_against_same_padding_twin() -> None:
    paper = load_config("ronneberger2015")
    twin = paper.replace(padding="same", merge="pad")  # pad: 572 = 4·143 pools odd sizes, crop would lose 12 px
    comparison = compare(analyze(paper), analyze(twin), ("valid", "same"))
    table = rows(comparison.to_dict())
    assert table["output"] == ["2 × 388×388", "2 × 572×572"]
    assert [table[f"level {i} skip"][0] for i in range(4)] == ["crop 88+88", "crop 40+40", "crop 16+16", "crop 4+4"]
    assert [table[f"level {i} skip"][1] for i in range(2)] == ["none", "none"]
    assert table["parameters"][0] == table["parameters"][1] == "31,030,658"
    words = "\n".join(comparison.differences)
    assert "output 388×388 vs 572×572: valid convolutions lose 184 pixels per axis" in words
    assert "skips cropped by 4, 16, 40, 88 (levels 3→0) vs padded by 0+1, 0+1 (levels 3→2)" in words
    assert "equal parameters (31,030,658)" in words
    assert "enc3.pool sees 143×143" in words  # the honest warning about the twin


def test_twin_at_an_even_size_has_no_skips() -> None:
    paper = load_config("ronneberger2015").replace(input_size=(576, 576))
    comparison = compare(analyze(paper), analyze(paper.replace(padding="same")), ("valid", "same"))
    table = rows(comparison.to_dict())
    assert table["output"][1] == "2 × 576×576"
    assert all(table[f"level {i} skip"][1] == "none" for i in range(4))
    assert any("vs none" in d for d in comparison.differences)


def test_bilinear_vs_transpose_parameter_difference() -> None:
    transpose, bilinear = analyze(load_config("milesial")), analyze(load_config("milesial-bilinear"))
    comparison = compare(transpose, bilinear)
    difference = transpose.shapes.total_params - bilinear.shapes.total_params
    assert difference == 31_037_698 - 17_263_042
    assert f"−{difference:,}" in "\n".join(comparison.differences)


def test_vary_three_values() -> None:
    out = run("compare", "--preset", "small", "--vary", "depth=2,3,4", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["labels"] == ["depth=2", "depth=3", "depth=4"]
    table = rows(data)
    assert table["level 2 encoder"][0] == "64 × 32×32"
    assert table["level 4 encoder"][:2] == ["—", "—"]
    assert len({*table["parameters"]}) == 3


def test_vary_padding_table_reads_without_docs() -> None:
    out = run("compare", "--preset", "ronneberger2015", "--vary", "padding=valid,same")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].split() == ["padding=valid", "padding=same", "≠"]
    assert "differences:" in out.stdout and "≠" in out.stdout


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_html_report_holds_two_svgs(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    out = run("compare", "ronneberger2015", "milesial", "--format", "html", "-o", str(target))
    assert out.returncode == 0, out.stderr
    text = target.read_text()
    parser = _Collector()
    parser.feed(text)
    assert parser.tags.count("svg") == 2 and "table" in parser.tags
    for start in range(2):
        begin = [i for i in range(len(text)) if text.startswith("<svg", i)][start]
        ET.fromstring(text[begin : text.index("</svg>", begin) + len("</svg>")])  # each inline SVG is valid XML


def test_2d_vs_3d_is_a_statement_not_a_crash() -> None:
    out = run("compare", "small", "unet3d", "--format", "markdown")
    assert out.returncode == 0, out.stderr
    assert "is 2D and" in out.stdout and "cannot be compared level by level" in out.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["compare", "ronneberger2015"], "two configs"),
        (["compare", "small", "nope"], "preset"),
        (["compare", "--preset", "small", "--vary", "depth=3"], "--vary"),
        (["compare", "--preset", "small", "--vary", "kernel_size=3,4"], "kernel_size"),
        (["compare", "--preset", "small", "--vary", "colour=1,2"], "colour"),
        (["compare", "--preset", "small", "--vary", "depth=3,abc"], 'depth: "abc"'),
        (["compare", "--preset", "small", "--vary", "depth=3,4", "--set-b", "depth=5"], "--set-b"),
    ],
)
def test_bad_compare_input(args: list[str], needle: str) -> None:
    out = run(*args)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and needle in out.stderr
    assert "Traceback" not in out.stderr


def test_per_stage_changes_said_level_by_level() -> None:
    a = load_config("nnunet-3d-fullres")
    b = a.replace(strides=((2, 2, 2), 2, 2, 2, 2), input_size=(96, 160, 160), activation="prelu")
    words = "\n".join(compare(analyze(a), analyze(b)).differences)
    assert "strides (stride into): level 1 1×2×2 → 2" in words
    assert "activation leaky_relu → prelu" in words
    assert "input_size 80×160×160 → 96×160×160" in words
    table = rows(compare(analyze(a), analyze(b)).to_dict())
    assert table["receptive field"][0] != table["receptive field"][1]
    assert "near 80 (D)" in table["valid input sizes"][0] and "near 96 (D)" in table["valid input sizes"][1]


def test_residual_against_plain_in_words() -> None:
    plain = load_config("nnunet-3d-fullres")
    residual = load_config("nnunet-resenc-m-3d")
    words = "\n".join(compare(analyze(plain), analyze(residual)).differences)
    assert "block plain → residual" in words
    assert "convs_per_block (convs/blocks): level 0 2 → 1, level 1 2 → 3" in words
    assert "stem_channels default → 32" in words
