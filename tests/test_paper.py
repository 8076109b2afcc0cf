"""The paper view: the 2015 Figure 1 laid out by unetviz, measured (no label overlaps a label or a bar), written as
SVG, PNG, PDF and TikZ, and the TikZ compiled with pdflatex and compared with the SVG's rendering."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from tests.cli_run import one_line_error, run
from tests.test_trace import stage_configs
from unetviz.core.analysis import Analysis, analyze
from unetviz.core.config import UNetConfig, load_config, preset_names
from unetviz.core.errors import ConfigError
from unetviz.draw.paper import build_paper
from unetviz.draw.paper_svg import svg_to_png, to_svg
from unetviz.draw.paper_tikz import BEGIN, END, to_tikz
from unetviz.sources.open import open_config

FIXTURES = Path(__file__).parent / "fixtures"
NNUNET_PLANS = FIXTURES / "nnunet" / "Dataset042_Heart" / "nnUNetPlans.json"


def _analyses() -> dict[str, Analysis]:
    out = {name: analyze(load_config(name)) for name in preset_names()}
    if NNUNET_PLANS.is_file():
        out["nnunet-plans-3d_fullres"] = analyze(open_config(str(NNUNET_PLANS), "3d_fullres", None).config)
    return out


ANALYSES = _analyses()


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_no_label_overlaps_a_label_or_a_bar(name: str) -> None:
    figure = build_paper(ANALYSES[name])
    assert figure.overlaps() == []
    assert all(t.box()[0] >= 0 and t.box()[2] <= figure.width and t.box()[1] >= 0 for t in figure.texts)
    assert all(b.x >= 0 and b.right <= figure.width and b.bottom <= figure.height for b in figure.bars)


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_every_map_is_a_bar(name: str) -> None:
    """One bar per conv output and pooled map on the main path, a white bar per copied skip, the input and the
    output; each with its own channels and size."""
    analysis = ANALYSES[name]
    figure = build_paper(analysis)
    drawn = {bar.layer: bar for bar in figure.bars}
    for layer in analysis.layers:
        main_conv = layer.type.startswith("Conv") and "Transpose" not in layer.type and ".skip_" not in layer.name
        if main_conv or layer.name.endswith(".pool"):
            assert layer.name in drawn, layer.name
        if layer.name.endswith(".concat"):
            assert drawn[layer.name].kind == "copy"
    assert sum(bar.kind == "input" for bar in figure.bars) == 1
    assert sum(bar.kind == "output" for bar in figure.bars) == 1
    channels = {t.text for t in figure.texts if t.role == "channels"}
    assert str(analysis.config.num_classes) in channels and str(analysis.config.in_channels) in channels


def test_the_papers_net_reads_like_figure_1() -> None:
    """ronneberger2015: the paper's numbers (572×572 in, 388×388 out, 64…1024 channels, crops 88/40/16/4)
    and its five arrows, in its order."""
    figure = build_paper(ANALYSES["ronneberger2015"])
    texts = {t.text for t in figure.texts}
    assert {"572×572", "570×570", "568×568", "32×32", "28×28", "388×388", "1024", "64", "2"} <= texts
    assert sorted(t.text for t in figure.texts if t.role == "note") == ["crop 16", "crop 4", "crop 40", "crop 88"]
    assert [words for _kind, words in figure.legend] == [
        "conv 3×3, ReLU", "max pool 2×2", "up-conv 2×2", "copy and crop", "conv 1×1",
    ]  # fmt: skip
    # heights grow with the size and widths with the channels
    bars = {bar.layer: bar for bar in figure.bars}
    assert bars["enc0.conv1"].h > bars["enc1.conv1"].h > bars["bottleneck.conv1"].h
    assert bars["bottleneck.conv2"].w > bars["enc3.conv2"].w > bars["enc0.conv2"].w


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stage_configs())
def test_no_overlaps_across_the_config_space(cfg: UNetConfig) -> None:
    try:
        analysis = analyze(cfg)
    except ConfigError:
        assume(False)
        return
    assert build_paper(analysis).overlaps() == []


def test_output_is_deterministic_and_scales() -> None:
    analysis = ANALYSES["milesial"]
    assert to_svg(build_paper(analysis)) == to_svg(build_paper(analysis))
    assert to_tikz(build_paper(analysis)) == to_tikz(build_paper(analysis))
    power, linear = build_paper(analysis), build_paper(analysis, "linear")
    assert [b.w for b in power.bars] != [b.w for b in linear.bars]
    with pytest.raises(ConfigError, match="--bar-scale"):
        build_paper(analysis, "log")


# --- TikZ: compiles, and looks like the SVG --------------------------------------------------------------------
def _grey(png: bytes) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage.fromData(png).convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(height, stride)[:, :width]
    return data.astype(float) / 255


NO_TEX = "needs pdflatex (texlive-latex-base, texlive-pictures) and pdftoppm (poppler-utils): make system"


@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftoppm") is None, reason=NO_TEX)
@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_tikz_compiles_and_looks_like_the_svg(name: str, tmp_path: Path) -> None:
    figure = build_paper(ANALYSES[name])
    tex = to_tikz(figure)
    assert tex.count(BEGIN) == 1 and tex.count(END) == 1
    (tmp_path / "fig.tex").write_text(tex, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "fig.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    dpi = 36
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", "fig.pdf", "fig"], cwd=tmp_path, check=True)
    tikz = _grey((tmp_path / "fig.png").read_bytes())
    svg = _grey(svg_to_png(to_svg(figure), dpi))
    assert abs(tikz.shape[0] - svg.shape[0]) <= 1 and abs(tikz.shape[1] - svg.shape[1]) <= 1
    # what each draws (bars, arrows, text) lies within a pixel of what the other draws: 0.99+ for the same figure,
    # 0.86 for the closest other preset (ronneberger2015's against milesial's)
    assert _covered(tikz, svg) > 0.95, "the compiled TikZ and the SVG draw different things"


def _covered(a: np.ndarray, b: np.ndarray) -> float:
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    drawn = [g[:h, :w] < 0.92 for g in (a, b)]
    near = []
    for m in drawn:  # grown by one pixel every way: the fonts differ (the document's, Liberation Sans)
        grown = m.copy()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                grown |= np.roll(np.roll(m, dy, 0), dx, 1)
        near.append(grown)
    return float(min((drawn[0] & near[1]).sum() / drawn[0].sum(), (drawn[1] & near[0]).sum() / drawn[1].sum()))


def test_the_comparison_can_fail() -> None:
    one, other = (_grey(svg_to_png(to_svg(build_paper(ANALYSES[n])), 36)) for n in ("ronneberger2015", "milesial"))
    assert _covered(one, one) == 1.0
    assert _covered(one, other) < 0.95


# --- exports ----------------------------------------------------------------------------------------------------
def test_export_paper_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = [tmp_path / f"fig.{ext}" for ext in ("svg", "png", "pdf", "tex")]
    code, _out, err = run(capsys, "export", "--preset", "ronneberger2015", "--view", "paper",
                          *[arg for path in outputs for arg in ("-o", str(path))])  # fmt: skip
    assert code == 0, err
    svg, png, pdf, tex = (p.read_bytes() for p in outputs)
    assert b"572\xc3\x97572" in svg and png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF")
    assert tex.startswith(b"% unetviz paper figure") and b"\\begin{tikzpicture}" in tex


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["export", "--preset", "small", "--view", "paper", "-o", "x.dot"], "no .dot or .json"),
        (["export", "--preset", "small", "--view", "paper", "--dpi", "5", "-o", "x.png"], "--dpi"),
    ],
)
def test_paper_refusals_are_one_line(args: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, *args)
    assert words in one_line_error(code, err)


# --- inspected models -------------------------------------------------------------------------------------------
MODELS = Path(__file__).parent / "models"
INSPECTED = {
    "pytorch-unet-571": (f"{MODELS / 'pytorch_unet.py'}:UNet", {}, (1, 3, 571, 571)),
    "monai-unet": ("monai.networks.nets:UNet", {"spatial_dims": 3, "in_channels": 1, "out_channels": 2,
                   "channels": [16, 32, 64, 128], "strides": [2, 2, 2], "num_res_units": 2}, (1, 1, 64, 64, 64)),
    "monai-dynunet": ("monai.networks.nets:DynUNet", {"spatial_dims": 2, "in_channels": 1, "out_channels": 2,
                      "kernel_size": [3, 3, 3], "strides": [1, 2, 2], "upsample_kernel_size": [2, 2],
                      "deep_supervision": True, "deep_supr_num": 1}, (1, 1, 64, 64)),
    "crop-unet": (f"{MODELS / 'small_models.py'}:CropUNet", {}, (1, 1, 64, 64)),
}  # fmt: skip


@pytest.mark.parametrize("key", sorted(INSPECTED))
def test_an_inspected_model_is_drawn_from_its_recorded_steps(key: str) -> None:
    from unetviz.draw.paper_inspect import build_inspected_paper, main_path
    from unetviz.sources.inspect import inspect, load_model

    target, kwargs, shape = INSPECTED[key]
    found = inspect(load_model(target, kwargs), shape, valid_sizes=False)
    figure = build_inspected_paper(found)
    assert figure.overlaps() == []
    copies = [bar for bar in figure.bars if bar.kind == "copy"]
    assert sorted(bar.layer for bar in copies) == sorted(skip.join for skip in found.skips)
    drawn = {bar.layer for bar in figure.bars}
    path = main_path(found)
    convs = [layer for layer in found.layers if layer.type.startswith("Conv") and layer.name in path]
    assert convs and all(layer.name in drawn for layer in convs)
    (output,) = [bar for bar in figure.bars if bar.kind == "output"]
    shapes = {layer.name: layer.out_shape for layer in found.layers}
    assert shapes[output.layer] == found.output_shape


def test_the_main_path_leaves_residual_shortcuts_out() -> None:
    """MONAI's residual units run a strided shortcut conv before the main path: it is not the path."""
    from unetviz.draw.paper_inspect import main_path
    from unetviz.sources.inspect import inspect, load_model

    target, kwargs, shape = INSPECTED["monai-unet"]
    found = inspect(load_model(target, kwargs), shape, valid_sizes=False)
    path = main_path(found)
    shortcuts = [layer.name for layer in found.layers if layer.name.endswith(".residual") and "Conv" in layer.type]
    assert shortcuts and not set(shortcuts) & path


def test_inspect_exports_the_paper_view(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "crop.tex"
    code, _out, err = run(capsys, "inspect", f"{MODELS / 'small_models.py'}:CropUNet", "--input-size", "1,1,64,64",
                          "--view", "paper", "-o", str(target), "-o", str(tmp_path / "crop.svg"))  # fmt: skip
    assert code == 0, err
    assert "crop" in (tmp_path / "crop.svg").read_text() and "\\begin{tikzpicture}" in target.read_text()
    code, _out, err = run(capsys, "inspect", f"{MODELS / 'small_models.py'}:Classifier", "--input-size", "1,3,32,32",
                          "--view", "paper", "-o", str(tmp_path / "c.svg"))  # fmt: skip
    assert "no U found" in one_line_error(code, err)
