"""The per-stage space in the analytic engine: validation, one spelling per network, per-axis formulas,
up-kernels, shortcuts, PReLU and deep-supervision counts, strict joins, per-axis tile sizes and warnings.
(Equality with nnU-Net and MONAI themselves is in test_references; formulas against torch in test_trace.)"""

from __future__ import annotations

from typing import Any

import pytest

from unetviz.core.analysis import analyze
from unetviz.core.config import UNetConfig, apply_assignments, load_config
from unetviz.core.errors import ConfigError
from unetviz.core.shapes import analyze_shapes
from unetviz.core.tiles import axis_output, valid_sizes_per_axis

BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"kernel_size": [3, 3, 3]}, "kernel_size", "a list of 5 entries"),
    ({"kernel_size": [3, 3, [1, 3, 3], 3, 3]}, "kernel_size", "a list of 2 (one per axis)"),
    ({"kernel_size": [3, 3, 2, 3, 3]}, "kernel_size", "an odd integer"),
    ({"strides": [2, 2, 0, 2]}, "strides", "from 1 to 16"),
    ({"strides": [2, 2, 2]}, "strides", "a list of 4 entries"),
    ({"strides": 2}, "strides", "null (2 on every axis), a list of 4 entries"),
    ({"convs_per_block": [2, 2]}, "convs_per_block", "a list of 5 integers"),
    ({"decoder_convs_per_block": [1, 2, 3, 4, 5]}, "decoder_convs_per_block", "a list of 4 integers"),
    ({"pooling": "lp"}, "pooling", "max, avg, conv"),
    ({"merge": "add"}, "merge", "crop, pad, strict"),
    ({"block": "dense"}, "block", "plain, residual"),
    ({"shortcut": "none"}, "shortcut", "pool_conv, strided_conv"),
    ({"conv_bias": "yes"}, "conv_bias", "auto, true, false"),
    ({"norm": "group", "norm_groups": 3}, "norm_groups", "64 is not a multiple of 3"),
    ({"norm_affine": 1}, "norm_affine", "true or false"),
    ({"activation": "swish"}, "activation", "relu, leaky_relu, prelu, gelu, elu"),
    ({"dropout": 1.0}, "dropout", "0 ≤ p < 1"),
    ({"up_kernel_size": [2, 2, 2, 0]}, "up_kernel_size", "from 1 to 99"),
    ({"up_kernel_size": 4, "upsampling": "bilinear"}, "up_kernel_size", "null with bilinear"),
    ({"strides": [[1, 2], 2, 2, 2], "up_kernel_size": [[2, 2], 2, 2, 2]}, "up_kernel_size", "stride 1"),
    ({"strides": [3, 2, 2, 2], "up_kernel_size": [1, 2, 2, 2]}, "up_kernel_size", "at least the stride − 1"),
    ({"up_widths": [1, 2]}, "up_widths", "a list of 4 integers"),
    ({"deep_supervision": 4}, "deep_supervision", "from 0 to 3"),
    ({"stem_channels": 0}, "stem_channels", "from 1 to"),
    ({"block": "residual", "encoder_first_widths": [8, 16, 32, 64, 128]}, "encoder_first_widths", "residual"),
]


@pytest.mark.parametrize(("changes", "field", "allowed"), BAD)
def test_bad_stage_fields_name_field_value_and_allowed(changes: dict[str, Any], field: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as info:
        UNetConfig(**changes)
    assert info.value.field == field
    assert allowed in str(info.value) and "\n" not in str(info.value)


def test_one_spelling_per_network() -> None:
    spelled = UNetConfig(dims=3, depth=2, input_size=(32, 64, 64), kernel_size=[[3, 3, 3], 3, [3, 3, 3]],
                         strides=[[2, 2, 2], 2], convs_per_block=[2, 2, 2], decoder_convs_per_block=2,
                         up_kernel_size=[2, [2, 2, 2]], decoder_kernel_size=[3, 3], decoder_block="plain")  # fmt: skip
    assert spelled == UNetConfig(dims=3, depth=2, input_size=(32, 64, 64))
    kept = UNetConfig(dims=3, depth=2, input_size=(32, 64, 64), kernel_size=[[1, 3, 3], 3, 3])
    assert kept.kernel_size == ((1, 3, 3), 3, 3)


def test_depth_and_dims_changes_keep_per_stage_lists_consistent() -> None:
    cfg = load_config("nnunet-3d-fullres")
    shallower = apply_assignments(cfg, ["depth=3"])
    assert shallower.kernel_size == ((1, 3, 3), 3, 3, 3) and shallower.strides == ((1, 2, 2), 2, 2)
    assert shallower.widths is None and shallower.level_widths == (64, 128, 256, 512)
    deeper = apply_assignments(cfg, ["depth=6"])
    assert deeper.kernel_size == ((1, 3, 3), 3, 3, 3, 3, 3, 3) and len(deeper.plan.encoder) == 7
    flat = apply_assignments(cfg, ["dims=2"])
    assert flat.dims == 2 and flat.strides is None and flat.kernel_size == 3


def test_strided_conv_formula_per_axis() -> None:
    cfg = UNetConfig(dims=3, depth=1, input_size=(40, 96, 96), kernel_size=[[1, 3, 3], 3], strides=[[1, 2, 2]],
                     pooling="conv")  # fmt: skip
    conv = next(layer for layer in analyze_shapes(cfg).layers if layer.name == "bottleneck.conv1")
    assert conv.formula == ("D: (40 − 3 + 2·1)/1 + 1 = 40; H: ⌊(96 − 3 + 2·1)/2⌋ + 1 = 48; "
                            "W: ⌊(96 − 3 + 2·1)/2⌋ + 1 = 48")  # fmt: skip
    assert conv.stride == (1, 2, 2) and conv.kernel == 3
    first = analyze_shapes(cfg).layers[0]
    assert first.formula.startswith("D: (40 − 1 + 2·0)/1 + 1 = 40; H: (96 − 3 + 2·1)/1 + 1 = 96")


@pytest.mark.parametrize("kernel", [2, 3, 4, 5])
def test_up_kernels_double_exactly(kernel: int) -> None:
    cfg = UNetConfig(depth=1, input_size=(64, 64), up_kernel_size=kernel, base_width=8)
    up = next(layer for layer in analyze_shapes(cfg).layers if layer.name == "dec0.up")
    assert up.in_shape[2:] == (32, 32) and up.out_shape[2:] == (64, 64)
    padding = -((2 - kernel) // 2)
    assert up.padding == padding and up.params == 16 * 8 * kernel**2 + 8


def test_rounding_of_a_strided_conv_differs_from_a_pool() -> None:
    conv = analyze_shapes(UNetConfig(depth=1, input_size=(15, 15), pooling="conv", merge="pad", base_width=4))
    pool = analyze_shapes(UNetConfig(depth=1, input_size=(15, 15), pooling="max", merge="pad", base_width=4))
    assert conv.levels[1].encoder_size == (8, 8)  # ⌊(15 − 3 + 2)/2⌋ + 1
    assert pool.levels[1].encoder_size == (7, 7)  # ⌊15/2⌋
    warning = next(w for w in conv.warnings if w.kind == "odd-pool")
    assert "H 15, W 15" in warning.message and "strided conv" in warning.message


def test_strict_join_reports_torch_words_at_the_layer() -> None:
    shapes = analyze_shapes(UNetConfig(depth=2, input_size=(90, 88), merge="strict", base_width=4))
    assert shapes.failure is not None
    assert "Expected size 45 but got size 44" in shapes.failure and "dec1.concat" in shapes.failure
    warning = next(w for w in shapes.warnings if w.kind == "concat-fails")
    assert warning.layer == "dec1.concat" and "H 45 vs 44" in warning.message


def test_prelu_counted_per_layer_or_per_block() -> None:
    per_layer = analyze_shapes(UNetConfig(depth=2, activation="prelu", input_size=(32, 32)))
    shared = analyze_shapes(UNetConfig(depth=2, activation="prelu", shared_activation=True, input_size=(32, 32)))
    relu = analyze_shapes(UNetConfig(depth=2, input_size=(32, 32)))
    convs = 2 * 3 + 2 * 2  # two per encoder stage and per decoder stage
    assert per_layer.total_params - relu.total_params == convs
    assert shared.total_params - relu.total_params == 5  # one per block


def test_deep_supervision_heads() -> None:
    cfg = UNetConfig(depth=3, base_width=8, num_classes=3, input_size=(64, 64))
    plain = analyze_shapes(cfg)
    heads = analyze_shapes(cfg.replace(deep_supervision=True))
    one = analyze_shapes(cfg.replace(deep_supervision=1))
    assert [layer.name for layer in heads.layers if layer.block.startswith("ds")] == ["ds2.conv", "ds1.conv"]
    assert heads.total_params - plain.total_params == (32 * 3 + 3) + (16 * 3 + 3)
    assert one.total_params - plain.total_params == 16 * 3 + 3
    assert heads.output_shape == plain.output_shape


def test_residual_shortcuts_follow_their_library() -> None:
    base: dict[str, Any] = {"depth": 1, "base_width": 8, "in_channels": 4, "block": "residual", "pooling": "conv",
            "input_size": (16, 16)}  # fmt: skip
    nnunet = {layer.name: layer for layer in analyze_shapes(UNetConfig(**base, shortcut="pool_conv")).layers}
    monai = {layer.name: layer for layer in analyze_shapes(UNetConfig(**base, shortcut="strided_conv")).layers}
    assert nnunet["bottleneck.res1.skip_pool"].type == "AvgPool2d"
    assert nnunet["bottleneck.res1.skip_conv"].stride == 1 and nnunet["bottleneck.res1.skip_conv"].params == 16 * 8
    assert "bottleneck.res1.skip_pool" not in monai and monai["bottleneck.res1.skip_conv"].stride == 2
    assert "bottleneck.res2.skip_conv" not in nnunet  # same width, stride 1: the identity
    assert "enc0.res1.skip_conv" in nnunet  # 4 → 8 channels


def test_group_norm_and_affine_counts() -> None:
    group = {layer.name: layer for layer in analyze_shapes(UNetConfig(norm="group", norm_groups=4)).layers}
    assert group["enc0.norm1"].type == "GroupNorm" and group["enc0.norm1"].params == 2 * 64
    bare = {layer.name: layer for layer in analyze_shapes(UNetConfig(norm="instance", norm_affine=False)).layers}
    assert bare["enc0.norm1"].params == 0 and bare["enc0.norm1"].mult_adds == 0


def test_receptive_field_per_axis() -> None:
    nnunet = analyze_shapes(load_config("nnunet-3d-fullres"))
    depth, height, width = nnunet.receptive_field_axes
    assert height == width > depth
    assert nnunet.receptive_field_text == f"{depth}×{height}×{width} px"


def test_nnunet_pools_fit_80_by_160_by_160() -> None:
    cfg = load_config("nnunet-3d-fullres")  # strides give [4, 5, 5] down-samplings per axis
    assert axis_output(cfg, 80, 0) == 80 and axis_output(cfg, 160, 1) == 160 and axis_output(cfg, 160, 2) == 160
    assert axis_output(cfg, 90, 0) is None  # 90 is not a multiple of 2^4
    assert axis_output(cfg, 80, 1) is None and axis_output(cfg, 96, 1) == 96  # in-plane needs 2^5
    groups = {g.axes: g for g in valid_sizes_per_axis(cfg.replace(input_size=(90, 160, 160)), 4)}
    assert (90, 90) not in groups[("D",)].sizes and (96, 96) in groups[("D",)].sizes
    assert (160, 160) in groups[("H", "W")].sizes
    analysis = analyze(cfg)
    assert not [w for w in analysis.warnings if w.kind in ("odd-pool", "concat-fails")]


def test_cicek_channels_double_inside_each_encoder_block() -> None:
    layers = {layer.name: layer for layer in analyze_shapes(load_config("cicek2016-3d")).layers}
    assert [layers[f"enc0.conv{i}"].out_shape[1] for i in (1, 2)] == [32, 64]
    assert [layers[f"bottleneck.conv{i}"].out_shape[1] for i in (1, 2)] == [256, 512]
    assert layers["dec2.up"].out_shape[1] == 512 and layers["dec2.concat"].out_shape[1] == 768
