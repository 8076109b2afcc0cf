"""Drawing with both engines: valid SVG/PNG/PDF, the same nodes and labels, a U that looks like one."""

from __future__ import annotations

import itertools
import re
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from unetviz.cli import main
from unetviz.core.analysis import analyze
from unetviz.core.config import load_config, preset_names
from unetviz.draw.graph import VIEWS, Graph, build_graph
from unetviz.draw.render import embedded_dot, layout_boxes, render, system_dot

SVG_NS = "{http://www.w3.org/2000/svg}"
ENGINES = [
    pytest.param("system", marks=pytest.mark.skipif(system_dot() is None, reason="no system Graphviz `dot` on PATH")),
    "embedded",
]


def graph_of(preset: str, view: str = "u") -> Graph:
    return build_graph(analyze(load_config(preset)), view)


def svg_nodes(svg: bytes) -> dict[str, str]:
    """Node id -> all the text drawn inside it."""
    root = ET.fromstring(svg)
    nodes = {}
    for group in root.iter(f"{SVG_NS}g"):
        if group.get("class") == "node":
            nodes[group.get("id", "")] = " ".join(t.text or "" for t in group.iter(f"{SVG_NS}text"))
    return nodes


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("view", VIEWS)
def test_svg_holds_every_label(engine: str, view: str) -> None:
    graph = graph_of("ronneberger2015", view)
    svg = render(graph, "svg", engine=engine)
    assert f"drawn by the {engine} engine".encode() in svg
    nodes = svg_nodes(svg)
    for node in graph.nodes:
        text = nodes[node.id]
        assert node.title in text
        for line in node.lines:
            assert line in text, (node.id, line)


@pytest.mark.parametrize("view", VIEWS)
def test_both_engines_draw_the_same_graph(view: str) -> None:
    if system_dot() is None:
        pytest.skip(reason="no system Graphviz `dot` on PATH")
    graph = graph_of("milesial", view)
    assert svg_nodes(render(graph, "svg", engine="system")) == svg_nodes(render(graph, "svg", engine="embedded"))


@pytest.mark.parametrize("engine", ENGINES)
def test_png_signature_and_dpi(engine: str) -> None:
    graph = graph_of("small")
    svg = render(graph, "svg", engine=engine).decode()
    width_pt = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))  # type: ignore[union-attr]
    for dpi in (72, 150):
        png = render(graph, "png", engine=engine, dpi=dpi)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width = struct.unpack(">I", png[16:20])[0]
        assert abs(width - width_pt * dpi / 72) <= 3, (dpi, width, width_pt)


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf(engine: str) -> None:
    pdf = render(graph_of("small"), "pdf", engine=engine)
    assert pdf.startswith(b"%PDF")
    assert b"/Font" in pdf or b"/FontFile" in pdf  # vector text, not a bitmap


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("preset", ["ronneberger2015", "milesial", "unet3d"])
def test_u_layout_levels_side_by_side(engine: str, preset: str) -> None:
    graph = graph_of(preset)
    boxes = layout_boxes(graph, engine)
    for level in range(load_config(preset).depth):
        enc, dec = boxes[f"enc{level}"], boxes[f"dec{level}"]
        assert enc[1] == pytest.approx(dec[1]), f"level {level} encoder and decoder on one rank: skip is horizontal"
        assert enc[0] < dec[0], "encoder on the left"
    enc_x = {round(boxes[f"enc{level}"][0], 2) for level in range(load_config(preset).depth)}
    assert len(enc_x) == 1, "the encoder column is straight"
    assert boxes["bottleneck"][1] < min(b[1] for k, b in boxes.items() if k.startswith("enc")), "bottleneck lowest"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("preset", preset_names())
def test_no_two_nodes_overlap(engine: str, view: str, preset: str) -> None:
    boxes = layout_boxes(graph_of(preset, view), engine)
    for (a, (ax, ay, aw, ah)), (b, (bx, by, bw, bh)) in itertools.combinations(boxes.items(), 2):
        apart = abs(ax - bx) >= (aw + bw) / 2 - 1e-3 or abs(ay - by) >= (ah + bh) / 2 - 1e-3
        assert apart, f"{a} overlaps {b}"


def test_export_cli_writes_every_format(tmp_path: Path) -> None:
    names = ["u.svg", "u.png", "u.pdf", "u.dot", "u.json", "u.csv", "u.md"]
    assert (
        main(["export", "--preset", "ronneberger2015", *itertools.chain(*(["-o", str(tmp_path / n)] for n in names))])
        == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert (tmp_path / "u.csv").read_text().startswith("layer,type,input,output")
    assert '"view": "u"' in (tmp_path / "u.json").read_text()


def test_export_without_dot_on_path_uses_embedded(tmp_path: Path) -> None:
    import subprocess

    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}
    target = tmp_path / "u.svg"
    done = subprocess.run([sys.executable, "-m", "unetviz.cli", "export", "--preset", "milesial", "-o", str(target)],
                          env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    svg = target.read_bytes()
    assert b"drawn by the embedded engine" in svg
    assert set(svg_nodes(svg)) == {n.id for n in graph_of("milesial").nodes} | {"legend"}


def test_no_engine_one_line_exit_2_and_still_writes_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("unetviz.draw.render.system_dot", lambda: None)
    monkeypatch.setattr("unetviz.draw.render.embedded_dot", lambda: None)
    outputs = ["d.svg", "d.dot", "d.json", "d.csv", "d.png"]
    code = main(["export", "--preset", "small", *itertools.chain(*(["-o", str(tmp_path / n)] for n in outputs))])
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "install Graphviz" in err and "graphviz-pure" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "d.dot", "d.json"]


def test_engine_binaries_are_found() -> None:
    assert embedded_dot() is not None, "graphviz-pure is a declared dependency"


def test_bad_export_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--preset", "small", "-o", str(tmp_path / "x.bmp")]) == 2
    assert "-o" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _text_width(family: str, bold: bool, size: float, text: str) -> float:
    from PySide6.QtGui import QFont, QFontMetricsF

    font = QFont(family)
    font.setPixelSize(100)  # measure large, then scale: sizes are fractional points
    font.setBold(bold)
    return QFontMetricsF(font).horizontalAdvance(text) * size / 100


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("view", VIEWS)
def test_no_label_overflows_its_box(engine: str, view: str, qapp: object) -> None:
    """Measured with the fonts a Qt viewer (the app, the PDF) draws with, every line fits inside its node."""
    svg = render(graph_of("ronneberger2015", view), "svg", engine=engine)
    root = ET.fromstring(svg)
    checked = 0
    for group in root.iter(f"{SVG_NS}g"):
        if group.get("class") != "node":
            continue
        outline = next(e for e in group if e.tag in (f"{SVG_NS}path", f"{SVG_NS}polygon"))
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", outline.get("d") or outline.get("points") or "")]
        left, right = min(numbers[0::2]), max(numbers[0::2])
        for text in group.iter(f"{SVG_NS}text"):
            if not (text.text or "").strip():
                continue
            width = _text_width(
                text.get("font-family", "Arial"),
                text.get("font-weight") == "bold",
                float(text.get("font-size", "14")),
                text.text or "",
            )
            x = float(text.get("x", "0"))
            start = {"middle": x - width / 2, "end": x - width}.get(text.get("text-anchor", "start"), x)
            assert left - 1 <= start and start + width <= right + 1, (group.get("id"), text.text, start, width)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("preset", ["ronneberger2015", "milesial"])
def test_layers_view_is_a_u_with_straight_skips(engine: str, preset: str) -> None:
    graph = graph_of(preset, "layers")
    boxes = layout_boxes(graph, engine)
    for edge in (e for e in graph.edges if e.kind == "skip"):
        (sx, sy, _, _), (tx, ty, _, _) = boxes[edge.source], boxes[edge.target]
        assert sy == pytest.approx(ty), f"{edge.source} → {edge.target} runs straight across"
        assert sx < tx, "encoder on the left, decoder on the right"
    assert boxes["dec0_relu2"][1] > boxes["dec0_up"][1], "the decoder climbs (plain y grows upwards)"
    assert boxes["head_conv"][1] == pytest.approx(boxes["input"][1]), "output beside the input, at the top"
