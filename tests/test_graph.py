"""The graph model and its DOT: deterministic, golden, the U's ranks and skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from unetviz.core.analysis import analyze
from unetviz.core.config import load_config
from unetviz.core.errors import ConfigError
from unetviz.draw.graph import VIEWS, build_graph
from unetviz.draw.render import to_dot

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("preset", ["ronneberger2015", "milesial", "nnunet-3d-fullres", "nnunet-resenc-m-3d"])
@pytest.mark.parametrize("view", VIEWS)
def test_dot_matches_golden(preset: str, view: str, overwrite: bool) -> None:
    source = to_dot(build_graph(analyze(load_config(preset)), view))
    golden = GOLDEN / f"{preset}-{view}.dot"
    if overwrite:
        golden.write_text(source, encoding="utf-8")
    assert source == golden.read_text(encoding="utf-8"), f"regenerate with pytest --overwrite and review {golden}"


def test_same_config_same_bytes() -> None:
    first = to_dot(build_graph(analyze(load_config("unet3d")), "layers"))
    second = to_dot(build_graph(analyze(load_config("unet3d")), "layers"))
    assert first == second


def test_u_view_nodes_and_edges() -> None:
    graph = build_graph(analyze(load_config("ronneberger2015")), "u")
    ids = [n.id for n in graph.nodes]
    assert ids == ["input", "enc0", "enc1", "enc2", "enc3", "bottleneck", "dec3", "dec2", "dec1", "dec0", "head"]
    skips = {(e.source, e.target): e.label for e in graph.edges if e.kind == "skip"}
    assert skips == {
        ("enc0", "dec0"): "copy and crop −88",
        ("enc1", "dec1"): "copy and crop −40",
        ("enc2", "dec2"): "copy and crop −16",
        ("enc3", "dec3"): "copy and crop −4",
    }
    enc1 = graph.node("enc1")
    assert enc1.lines[:2] == ("128 × 280×280", "284 → 282 → 280")
    assert graph.subtitle.startswith("1 × 572×572 → 2 × 388×388 · 31,030,658 parameters")
    assert sum(n.params for n in graph.nodes) == 31_030_658


def test_pad_skips_say_how_much() -> None:
    graph = build_graph(analyze(load_config("milesial")), "u")
    skips = {e.source: e.label for e in graph.edges if e.kind == "skip"}
    assert skips == {"enc0": "copy", "enc1": "copy", "enc2": "copy, pad +0/1", "enc3": "copy, pad +0/1"}


def test_every_layer_has_a_node_in_every_view() -> None:
    analysis = analyze(load_config("milesial-bilinear"))
    for view in VIEWS:
        graph = build_graph(analysis, view)
        for layer in analysis.layers:
            assert graph.node_of_layer(layer.name) is not None, (view, layer.name)
        node_ids = {n.id for n in graph.nodes}
        assert all(e.source in node_ids and e.target in node_ids for e in graph.edges)


def test_layers_view_crop_hangs_off_the_skip() -> None:
    graph = build_graph(analyze(load_config("ronneberger2015")), "layers")
    into_crop = [e for e in graph.edges if e.target == "dec0_crop"]
    assert [(e.source, e.kind) for e in into_crop] == [("enc0_relu2", "skip")]
    into_concat = sorted(e.source for e in graph.edges if e.target == "dec0_concat")
    assert into_concat == ["dec0_crop", "dec0_up"]


def test_unknown_view() -> None:
    with pytest.raises(ConfigError, match="view"):
        build_graph(analyze(load_config("small")), "sideways")


def test_u_view_labels_per_axis_kernels_and_strides() -> None:
    graph = build_graph(analyze(load_config("nnunet-3d-fullres")), "u")
    assert "2× conv 1×3×3 same, IN, LeakyReLU" in graph.node("enc0").lines
    assert "2× conv 3×3×3 (first /1×2×2) same, IN, LeakyReLU" in graph.node("enc1").lines
    downs = {e.target: e.label for e in graph.edges if e.kind == "pool"}
    assert downs["enc1"] == "strided conv /1×2×2" and downs["enc2"] == "strided conv /2"
    ups = {e.target: e.label for e in graph.edges if e.kind == "up"}
    assert ups["dec0"] == "up-conv 1×2×2" and ups["dec4"] == "up-conv 2×2×2"
    sides = [n.id for n in graph.nodes if n.kind == "side"]
    assert sides == ["ds4", "ds3", "ds2", "ds1"]
    assert {(e.source, e.target) for e in graph.edges if e.label == "deep supervision"} == {
        (f"dec{i}", f"ds{i}") for i in range(1, 5)
    }


def test_residual_blocks_and_shortcuts_are_drawn() -> None:
    analysis = analyze(load_config("nnunet-resenc-m-3d"))
    u = build_graph(analysis, "u")
    assert "stem conv 1×3×3, 1× res block: 2× conv 1×3×3 same, IN, LeakyReLU" in u.node("enc0").lines
    layers = build_graph(analysis, "layers")
    shortcut = [(e.source, e.target, e.label) for e in layers.edges if e.kind == "residual"]
    assert ("enc1_res1_skip_conv", "enc1_res1_skip_norm", "") in shortcut
    assert ("enc1_res1_skip_norm", "enc1_res1_add", "") in shortcut
    assert ("enc0_stem_leaky_relu", "enc0_res1_add", "identity") in shortcut
    assert ("enc0_res1_leaky_relu2", "enc1_res1_skip_pool", "") in shortcut
    assert ("residual", "residual shortcut") in layers.legend


def test_failing_strict_concat_is_marked_red() -> None:
    analysis = analyze(load_config("nnunet-2d").replace(input_size=(500, 512)))
    for view in VIEWS:
        graph = build_graph(analysis, view)
        alerts = [n for n in graph.nodes if n.alert]
        assert [n.alert for n in alerts] == ["torch.cat fails: 63 vs 64"], view  # the first failure; the rest follow
        assert any(e.kind == "fail" for e in graph.edges), view
        dot = to_dot(graph)
        assert 'color="#e00000"' in dot and "torch.cat fails: 63 vs 64" in dot
