"""The analytic engine: the paper's Figure 1, reference parameter counts, hand-computed mult-adds."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unetviz.core.config import UNetConfig, load_config
from unetviz.core.errors import ConfigError
from unetviz.core.shapes import analyze_shapes, axis_output, valid_sizes_near

# (layer, output edge) from the 2015 paper's Figure 1.
FIGURE_1 = [
    ("enc0.conv1", 570), ("enc0.conv2", 568),
    ("enc1.pool", 284), ("enc1.conv1", 282), ("enc1.conv2", 280),
    ("enc2.pool", 140), ("enc2.conv1", 138), ("enc2.conv2", 136),
    ("enc3.pool", 68), ("enc3.conv1", 66), ("enc3.conv2", 64),
    ("bottleneck.pool", 32), ("bottleneck.conv1", 30), ("bottleneck.conv2", 28),
    ("dec3.up", 56), ("dec3.conv1", 54), ("dec3.conv2", 52),
    ("dec2.up", 104), ("dec2.conv1", 102), ("dec2.conv2", 100),
    ("dec1.up", 200), ("dec1.conv1", 198), ("dec1.conv2", 196),
    ("dec0.up", 392), ("dec0.conv1", 390), ("dec0.conv2", 388),
    ("head.conv", 388),
]  # fmt: skip


def test_paper_figure_1_sizes() -> None:
    shapes = analyze_shapes(load_config("ronneberger2015"))
    by_name = {layer.name: layer for layer in shapes.layers}
    for name, edge in FIGURE_1:
        assert by_name[name].out_shape[2:] == (edge, edge), name
    assert shapes.output_shape == (1, 2, 388, 388)
    assert [level.skip_amounts for level in shapes.levels[:4]] == [
        ((88, 88), (88, 88)),
        ((40, 40), (40, 40)),
        ((16, 16), (16, 16)),
        ((4, 4), (4, 4)),
    ]
    assert by_name["dec0.concat"].out_shape == (1, 128, 392, 392)


@pytest.mark.parametrize(
    ("preset", "params"),
    [("ronneberger2015", 31_030_658), ("milesial", 31_037_698), ("milesial-bilinear", 17_263_042)],
)
def test_reference_parameter_counts(preset: str, params: int) -> None:
    assert analyze_shapes(load_config(preset)).total_params == params


def test_formula_written_with_numbers() -> None:
    by_name = {layer.name: layer for layer in analyze_shapes(load_config("ronneberger2015")).layers}
    assert by_name["enc0.conv1"].formula == "(572 − 3 + 2·0)/1 + 1 = 570"
    assert by_name["enc1.pool"].formula == "⌊(568 − 2 + 2·0)/2⌋ + 1 = 284"
    assert by_name["dec3.up"].formula == "(28 − 1)·2 − 2·0 + 2 = 56"
    assert by_name["dec3.crop"].formula == "skip 64 − 4 − 4 = 56"


def test_formula_per_axis_when_axes_differ() -> None:
    shapes = analyze_shapes(UNetConfig(depth=2, input_size=(64, 96)))
    assert shapes.layers[0].formula == "H: (64 − 3 + 2·1)/1 + 1 = 64; W: (96 − 3 + 2·1)/1 + 1 = 96"


def test_hand_computed_mult_adds() -> None:
    by_name = {layer.name: layer for layer in analyze_shapes(load_config("ronneberger2015")).layers}
    # conv: weights (64·1·3·3) once per output position (570²), no bias
    assert by_name["enc0.conv1"].mult_adds == 64 * 1 * 9 * 570 * 570
    # transposed conv 1024 → 512, 2×2: weights once per *input* position (28²)
    assert by_name["dec3.up"].mult_adds == 1024 * 512 * 4 * 28 * 28
    assert by_name["enc1.pool"].mult_adds == 0
    milesial = {layer.name: layer for layer in analyze_shapes(load_config("milesial")).layers}
    assert milesial["enc0.norm1"].mult_adds == 64 * 572 * 572  # one affine multiply per element
    assert milesial["enc0.conv1"].params == 64 * 3 * 9  # no bias before a norm
    batch = analyze_shapes(load_config("ronneberger2015").replace(batch_size=3))
    assert batch.mult_adds == 3 * analyze_shapes(load_config("ronneberger2015")).mult_adds


def test_same_padding_keeps_size_when_pools_see_even_sizes() -> None:
    shapes = analyze_shapes(load_config("ronneberger2015").replace(padding="same", input_size=(576, 576)))
    assert shapes.output_shape == (1, 2, 576, 576)
    assert all(level.skip_amounts in (None, ((0, 0), (0, 0))) for level in shapes.levels)
    assert not shapes.warnings


def test_same_padding_at_572_pools_an_odd_size() -> None:
    # 572 = 4·143: pools see 143 and 71 and drop a row each; crop loses 12 pixels, pad restores them.
    paper_same = load_config("ronneberger2015").replace(padding="same")
    cropped = analyze_shapes(paper_same)
    assert cropped.output_shape[2:] == (560, 560)
    assert [w.layer for w in cropped.warnings if w.kind == "odd-pool"] == ["enc3.pool", "bottleneck.pool"]
    padded = analyze_shapes(paper_same.replace(merge="pad"))
    assert padded.output_shape[2:] == (572, 572)
    assert [level.skip_amounts for level in padded.levels[2:4]] == [((0, 1), (0, 1))] * 2


def test_odd_pool_warns_and_pad_aligns() -> None:
    shapes = analyze_shapes(UNetConfig(depth=2, input_size=(101, 100)))
    kinds = [w.kind for w in shapes.warnings]
    assert "odd-pool" in kinds and "skip-pad" in kinds
    pad = next(layer for layer in shapes.layers if layer.name == "dec0.pad")
    assert pad.amounts == ((0, 1), (0, 0))
    assert shapes.output_shape[2:] == (101, 100)


def test_collapse_is_a_config_error_naming_input_size() -> None:
    with pytest.raises(ConfigError) as info:
        analyze_shapes(load_config("ronneberger2015").replace(input_size=(64, 64)))
    assert info.value.field == "input_size"
    assert "enc" in str(info.value) or "bottleneck" in str(info.value)


def test_too_many_parameters_refused() -> None:
    with pytest.raises(ConfigError, match="parameters"):
        analyze_shapes(UNetConfig(depth=6, base_width=4096, input_size=(128, 128)))


def test_valid_sizes_near_paper() -> None:
    cfg = load_config("ronneberger2015")
    sizes = valid_sizes_near(cfg, 572, 4)
    assert (572, 388) in sizes
    assert all((size - 572) % 16 == 0 for size, _ in sizes)
    assert axis_output(cfg, 573) is None
    assert axis_output(cfg, 572) == 388


def test_valid_sizes_agree_with_full_analysis() -> None:
    cfg = UNetConfig(depth=3, padding="valid", merge="crop", input_size=(100, 100))
    for size, out in valid_sizes_near(cfg, 100, 5):
        shapes = analyze_shapes(cfg.replace(input_size=(size, size)))
        assert shapes.output_shape[2:] == (out, out)
        assert not [w for w in shapes.warnings if w.kind == "odd-pool"]


def test_receptive_field() -> None:
    # two 3×3 convs per level, depth 1: 1 + 2·2 (enc0) + 1 (pool) + 2·2·2 (bottleneck) + 2·2 (dec0) = 18
    assert analyze_shapes(UNetConfig(depth=1, input_size=(64, 64))).receptive_field == 18
    assert analyze_shapes(load_config("ronneberger2015")).receptive_field == 200


def test_activation_bytes_counts_every_output() -> None:
    shapes = analyze_shapes(load_config("small"))
    assert shapes.activation_bytes == 4 * sum(math.prod(layer.out_shape) for layer in shapes.layers)


def test_engine_imports_no_torch() -> None:
    import subprocess

    code = "import sys, unetviz.core.analysis as a, unetviz.core.config as c; a.analyze(c.load_config('unet3d')); " \
           "print('torch' in sys.modules)"  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@given(
    depth=st.integers(1, 5),
    kernel=st.sampled_from([1, 3, 5, 7]),
    convs=st.integers(1, 3),
    padding=st.sampled_from(["same", "valid"]),
    merge=st.sampled_from(["crop", "pad"]),
    near=st.integers(1, 3000),
)
def test_valid_sizes_search_is_exhaustive(
    depth: int, kernel: int, convs: int, padding: str, merge: str, near: int
) -> None:
    cfg = UNetConfig(depth=depth, kernel_size=kernel, convs_per_block=convs, padding=padding, merge=merge,
                     input_size=(2**depth * 64,) * 2)  # fmt: skip
    found = valid_sizes_near(cfg, near, 3)
    brute = [s for s in range(1, near + 3 * 2**depth + 5000) if axis_output(cfg, s) is not None]
    brute.sort(key=lambda s: (abs(s - near), s))
    assert [size for size, _ in found] == sorted(brute[:3])


def test_shrink_warning_names_its_cause() -> None:
    valid = analyze_shapes(load_config("ronneberger2015"))
    assert "valid padding loses 184×184" in next(w.message for w in valid.warnings if w.kind == "shrink")
    same = analyze_shapes(load_config("ronneberger2015").replace(padding="same"))
    assert "cropping after pools of odd sizes loses 12×12" in next(
        w.message for w in same.warnings if w.kind == "shrink"
    )
