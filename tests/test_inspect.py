"""`inspect`: any PyTorch model traced, its levels and skips found, compared with the libraries' own models and
with our configs (never with hand-copied numbers)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from unetviz.core.config import load_preset
from unetviz.core.inspection import Inspection
from unetviz.core.shapes import analyze_shapes
from unetviz.draw.graph import build_graph
from unetviz.draw.render import to_dot
from unetviz.sources.inspect import inspect, load_model

MODELS = Path(__file__).parent / "models"
GOLDEN = Path(__file__).parent / "golden"
PYTORCH_UNET = f"{MODELS / 'pytorch_unet.py'}:UNet"
SMALL = MODELS / "small_models.py"


def _inspected(target: str, kwargs: dict[str, Any], shape: tuple[int, ...]) -> tuple[Inspection, nn.Module]:
    model = load_model(target, kwargs)
    return inspect(model, shape, name=target.rpartition(":")[2], target=target, kwargs=kwargs), model


def _levels(levels: Any) -> list[tuple[Any, ...]]:
    """Channels and sizes per level, and the crop/pad amounts where they are not zero."""
    out = []
    for lv in levels:
        moved = lv.skip_amounts if lv.skip_amounts and any(a or b for a, b in lv.skip_amounts) else None
        out.append((lv.level, lv.encoder_channels, lv.encoder_size, lv.decoder_channels, lv.decoder_size, moved))
    return out


# --- Pytorch-UNet, against our milesial presets ----------------------------------------------------------------
@pytest.mark.parametrize("bilinear", [False, True])
@pytest.mark.parametrize("size", [572, 571, 500, 97])
def test_pytorch_unet_equals_the_milesial_preset(bilinear: bool, size: int) -> None:
    found, model = _inspected(PYTORCH_UNET, {"bilinear": bilinear}, (1, 3, size, size))
    preset = "milesial-bilinear" if bilinear else "milesial"
    cfg = load_preset(preset).replace(input_size=(size, size))
    ours = analyze_shapes(cfg)
    assert found.total_params == sum(p.numel() for p in model.parameters()) == ours.total_params
    assert found.u_found and len(found.skips) == cfg.depth
    assert _levels(found.levels) == _levels(ours.levels)
    assert found.output_shape == ours.output_shape
    assert found.matched is not None and found.matched.name == preset
    assert found.matched == cfg.replace(name=preset, batch_size=1)


def test_pytorch_unet_pads_the_up_sampled_map_by_the_traced_difference() -> None:
    found, _ = _inspected(PYTORCH_UNET, {}, (1, 3, 571, 571))
    padded = [s for s in found.skips if s.adjust == "pad"]
    assert padded and all(s.adjusted == "up" and s.kind == "concat" for s in padded)
    pads = {layer.name: layer for layer in found.layers if layer.type == "Pad"}
    for skip in padded:
        pad = pads[skip.join.replace(".cat", ".pad")]
        assert pad.amounts == skip.amounts
        assert tuple(o - i for o, i in zip(pad.out_shape[2:], pad.in_shape[2:], strict=True)) == tuple(
            a + b for a, b in skip.amounts or ()
        )
    assert any(w.kind == "odd-pool" for w in found.warnings)


def test_valid_sizes_agree_with_the_presets_rule() -> None:
    found, _ = _inspected(PYTORCH_UNET, {}, (1, 3, 572, 572))
    from unetviz.core.tiles import valid_sizes_per_axis

    analytic = dict(valid_sizes_per_axis(load_preset("milesial"), 40)[0].sizes)
    (entry,) = found.valid_input_sizes()
    assert entry.sizes and all(analytic.get(i) == o for i, o in entry.sizes)


def test_a_model_that_is_no_preset_says_how_it_differs() -> None:
    found, _ = _inspected(f"{SMALL}:CropUNet", {}, (1, 1, 64, 64))
    assert found.matched is None and found.differs and "preset" in found.differs[0]


# --- the libraries' own models -----------------------------------------------------------------------------------
def _meta_output(model: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(shape, device="meta"))
    return tuple(out.shape)


def _check_library_model(found: Inspection, model: nn.Module, shape: tuple[int, ...], skip_levels: list[int]) -> None:
    assert found.total_params == sum(p.numel() for p in model.parameters())
    assert found.attributed_params == found.total_params  # every parameter is in a row
    assert found.output_shape == _meta_output(model, shape)
    assert found.u_found, found.no_u_reason
    assert sorted(s.level for s in found.skips) == sorted(skip_levels)
    layers = {layer.name: layer for layer in found.layers}
    for skip in found.skips:  # the kept tensor really is at that level's resolution
        kept = layers[skip.source].out_shape[2:]
        assert kept == tuple(h // 2**skip.level for h in shape[2:])
    graph = build_graph(found, "u")
    skips = [e for e in graph.edges if e.kind == "skip"]
    assert len(skips) == len(skip_levels)
    assert all(graph.node(e.source).kind == "encoder" and graph.node(e.target).kind == "decoder" for e in skips)


def test_monai_unet_with_residual_units() -> None:
    strides = [2, 2, 2, 2]
    kwargs = {"spatial_dims": 3, "in_channels": 1, "out_channels": 2, "channels": [16, 32, 64, 128, 256],
              "strides": strides, "num_res_units": 2}  # fmt: skip
    shape = (1, 1, 64, 64, 64)
    found, model = _inspected("monai.networks.nets:UNet", kwargs, shape)
    # MONAI joins each skip before up-sampling, at the level its strided conv went down to: 1 … len(strides)
    _check_library_model(found, model, shape, list(range(1, len(strides) + 1)))


def test_monai_basic_unet() -> None:
    from monai.networks.nets import BasicUNet

    shape = (1, 1, 64, 64, 64)
    found, model = _inspected("monai.networks.nets:BasicUNet", {"spatial_dims": 3}, shape)
    pools = sum(isinstance(m, nn.MaxPool3d) for m in BasicUNet(spatial_dims=3).modules())
    _check_library_model(found, model, shape, list(range(pools)))


def test_monai_dyn_unet() -> None:
    strides = [1, 2, 2, 2]
    kwargs = {"spatial_dims": 3, "in_channels": 1, "out_channels": 2, "kernel_size": [3] * 4, "strides": strides,
              "upsample_kernel_size": strides[1:]}  # fmt: skip
    shape = (1, 1, 64, 64, 64)
    found, model = _inspected("monai.networks.nets:DynUNet", kwargs, shape)
    _check_library_model(found, model, shape, list(range(len(strides) - 1)))


def test_smp_unet_with_a_resnet34_encoder() -> None:
    if importlib.util.find_spec("segmentation_models_pytorch") is None:  # imported by the factory (torchvision)
        pytest.skip(reason="segmentation_models_pytorch (the test extra) is not installed: pip install -e '.[test]'")
    shape = (1, 3, 128, 128)
    found, model = _inspected(f"{MODELS / 'smp_unet.py'}:resnet34_unet", {}, shape)
    depth: int = getattr(model, "encoder")._depth  # noqa: B009  smp's own: five stride-2 stages; the skips are all but the deepest
    _check_library_model(found, model, shape, list(range(1, depth)))


# --- failures and other shapes ----------------------------------------------------------------------------------
def test_a_failing_concat_is_reported_at_that_layer_with_torchs_message() -> None:
    found, model = _inspected(f"{SMALL}:StrictUNet", {}, (1, 1, 65, 65))
    with pytest.raises(RuntimeError) as torch_says:  # load_model built it on meta: torch's own words, for free
        model(torch.zeros(1, 1, 65, 65, device="meta"))
    failed = [layer for layer in found.layers if layer.error]
    assert [layer.type for layer in failed] == ["Cat"]
    assert found.failure == f"{failed[0].name}: {' '.join(str(torch_says.value).split())}"
    assert any(w.kind == "concat-fails" for w in found.warnings)
    graph = build_graph(found, "u")
    assert any(e.kind == "fail" for e in graph.edges) and any(n.alert for n in graph.nodes)


def test_a_model_without_a_u_is_a_chain_with_one_line_saying_so() -> None:
    found, model = _inspected(f"{SMALL}:Classifier", {}, (2, 3, 32, 32))
    assert not found.u_found and found.no_u_reason.startswith("no U found")
    assert found.output_shape == (2, 10)
    assert found.total_params == sum(p.numel() for p in model.parameters())
    graph = build_graph(found, "u")
    assert {n.column for n in graph.nodes} == {"chain"}
    assert found.no_u_reason in graph.subtitle


def test_dilated_and_strided_convs_use_their_own_settings() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3, dilation=2), nn.Conv2d(4, 4, 3, stride=2, padding=1),
                          nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1))  # fmt: skip
    found = inspect(model, (1, 1, 33, 33), valid_sizes=False)
    dilated, strided, transposed = found.layers
    assert dilated.out_shape[2:] == (29, 29) and dilated.formula == "(33 − 2·(3 − 1) − 1 + 2·0)/1 + 1 = 29"
    assert strided.out_shape[2:] == (15, 15) and strided.formula == "⌊(29 − 3 + 2·1)/2⌋ + 1 = 15"
    assert transposed.out_shape[2:] == (30, 30) and transposed.formula == "(15 − 1)·2 − 2·1 + 3 + 1 = 30"
    # mult-adds by the README's convention: per output position for a conv, per input position transposed
    assert strided.mult_adds == 4 * 4 * 9 * 15 * 15 and transposed.mult_adds == 4 * 2 * 9 * 15 * 15


def test_the_callers_model_is_not_moved() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3))
    found = inspect(model, (1, 1, 8, 8), device="meta", valid_sizes=False)
    assert next(model.parameters()).device.type == "cpu"
    assert found.output_shape == (1, 2, 6, 6)


def test_the_package_exports_inspect() -> None:
    import unetviz

    found = unetviz.inspect(nn.Conv2d(1, 2, 3), (1, 1, 5, 5))
    assert isinstance(found, Inspection) and found.to_dict()["output_shape"] == [1, 2, 3, 3]


# --- golden DOT ----------------------------------------------------------------------------------------------------
GOLDEN_MODELS = {
    "inspect-pytorch-unet": (PYTORCH_UNET, {}, (1, 3, 572, 572)),
    "inspect-monai-unet": ("monai.networks.nets:UNet", {"spatial_dims": 2, "in_channels": 1, "out_channels": 2,
                           "channels": [16, 32, 64], "strides": [2, 2], "num_res_units": 1}, (1, 1, 96, 96)),
}  # fmt: skip


@pytest.mark.parametrize("key", sorted(GOLDEN_MODELS))
@pytest.mark.parametrize("view", ["u", "blocks", "layers"])
def test_inspected_dot_matches_golden(key: str, view: str, overwrite: bool) -> None:
    target, kwargs, shape = GOLDEN_MODELS[key]
    model = load_model(target, kwargs)
    found = inspect(model, shape, name=target.rpartition(":")[2], target=target.rpartition("/")[2], kwargs=kwargs,
                    valid_sizes=False)  # fmt: skip
    source = to_dot(build_graph(found, view))
    golden = GOLDEN / f"{key}-{view}.dot"
    if overwrite:
        golden.write_text(source, encoding="utf-8")
    assert source == golden.read_text(encoding="utf-8"), f"regenerate with pytest --overwrite and review {golden}"


@pytest.mark.parametrize(
    ("preset", "extra"),
    [
        ("nnunet-3d-fullres", {"n_conv_per_stage": [2] * 6}),
        ("nnunet-resenc-m-3d", {"n_blocks_per_stage": [1, 3, 4, 6, 6, 6], "n_conv_per_stage_decoder": [1] * 5}),
    ],
)
def test_nnunets_own_network_is_exactly_our_preset(preset: str, extra: dict[str, Any]) -> None:
    """nnU-Net's PlainConvUNet and ResidualEncoderUNet, built by dynamic_network_architectures with the arguments
    its planner writes, are recognised as our presets, per-axis levels (1×2×2 first) and all."""
    import dynamic_network_architectures.architectures.unet as dna

    from tests.test_references import NNUNET_3D

    kwargs = {**NNUNET_3D, **extra}
    cls = dna.ResidualEncoderUNet if "n_blocks_per_stage" in kwargs else dna.PlainConvUNet
    with torch.device("meta"):
        model = cls(**kwargs)
    cfg = load_preset(preset)
    found = inspect(model, (cfg.batch_size, cfg.in_channels, *cfg.input_size), valid_sizes=False)
    assert found.matched is not None and found.matched.name == preset
    assert found.total_params == sum(p.numel() for p in model.parameters())
    strides = [tuple(s) for s in kwargs["strides"]]
    assert found.resolutions[1] == "1/(" + "×".join(str(s) for s in strides[1]) + ")"
    assert sorted(s.level for s in found.skips) == list(range(len(strides) - 1))
