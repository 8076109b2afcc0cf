"""Equal to the reference implementations: nnU-Net's networks, MONAI's BasicUNet and DynUNet, and an
independent rebuild of Çiçek et al. 2016. Each test builds *their* model (on the meta device: shapes and
parameter counts, no memory) and ours from the same arguments, and compares total parameters, the output
shape and every stage's feature-map size."""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from tests.references import from_dynamic_network_architectures, from_monai_basicunet, from_monai_dynunet
from unetviz.core.analysis import analyze
from unetviz.core.config import UNetConfig, load_config
from unetviz.network.model import build_model

dna = pytest.importorskip(
    "dynamic_network_architectures.architectures.unet",
    reason="nnU-Net's dynamic-network-architectures is the oracle (in the test extra; `make test` installs it)",
)
monai_nets = pytest.importorskip(
    "monai.networks.nets", reason="MONAI is the oracle (in the test extra; `make test` installs it)"
)

SWEEP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())  # parameters() counts a shared tensor once


def _run(model: nn.Module, modules: list[nn.Module], input_shape: tuple[int, ...]) -> tuple[list[tuple], tuple]:
    """The output shape of each of `modules` and of the model, for a meta input of `input_shape`."""
    seen: dict[int, tuple[int, ...]] = {}
    handles = [
        m.register_forward_hook(lambda mod, _i, out, key=i: seen.__setitem__(key, tuple(out.shape)))
        for i, m in enumerate(modules)
    ]
    with torch.no_grad():
        out = model.eval()(torch.zeros(input_shape, device="meta"))
    for handle in handles:
        handle.remove()
    main = out[0] if isinstance(out, list | tuple) else out
    return [seen[i] for i in range(len(modules))], tuple(main.shape)


def _ours(cfg: UNetConfig) -> tuple[list[tuple], list[tuple], tuple, int]:
    """Our encoder and decoder stage outputs (level order), output shape and parameters, from the formulas,
    after checking that our own model traces to the same shapes."""
    analysis = analyze(cfg, device="meta")
    assert analysis.trace is not None and analysis.trace.agreed, analysis.trace
    n = cfg.batch_size
    enc = [(n, lv.encoder_channels, *lv.encoder_size) for lv in analysis.levels]
    dec = [(n, lv.decoder_channels, *lv.decoder_size) for lv in analysis.levels if lv.decoder_size is not None]
    assert analysis.trace.params == analysis.shapes.total_params
    return enc, dec, analysis.shapes.output_shape, analysis.shapes.total_params


def _compare_dna(kwargs: dict[str, Any], input_size: tuple[int, ...]) -> int:
    cls = dna.ResidualEncoderUNet if "n_blocks_per_stage" in kwargs else dna.PlainConvUNet
    with torch.device("meta"):
        theirs = cls(**kwargs)
    cfg = from_dynamic_network_architectures(kwargs, input_size)
    shape = (1, kwargs["input_channels"], *input_size)
    stages = [*theirs.encoder.stages, *theirs.decoder.stages]
    sizes, out = _run(theirs, list(stages), shape)
    n_enc = len(theirs.encoder.stages)
    enc, dec, our_out, params = _ours(cfg)
    assert params == _params(theirs)
    assert our_out == out
    assert enc == sizes[:n_enc]
    assert list(reversed(dec)) == sizes[n_enc:]  # nnU-Net's decoder runs deepest first
    return params


NNUNET_3D = {
    "input_channels": 1,
    "n_stages": 6,
    "features_per_stage": [32, 64, 128, 256, 320, 320],
    "conv_op": nn.Conv3d,
    "kernel_sizes": [[1, 3, 3]] + [[3, 3, 3]] * 5,
    "strides": [[1, 1, 1], [1, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2]],
    "num_classes": 3,
    "n_conv_per_stage_decoder": [2] * 5,
    "conv_bias": True,
    "norm_op": nn.InstanceNorm3d,
    "norm_op_kwargs": {"eps": 1e-5, "affine": True},
    "nonlin": nn.LeakyReLU,
    "nonlin_kwargs": {"inplace": True},
    "deep_supervision": True,
}


@pytest.mark.parametrize(
    ("preset", "kwargs"),
    [
        ("nnunet-3d-fullres", {**NNUNET_3D, "n_conv_per_stage": [2] * 6}),
        (
            "nnunet-resenc-m-3d",
            {**NNUNET_3D, "n_blocks_per_stage": [1, 3, 4, 6, 6, 6], "n_conv_per_stage_decoder": [1] * 5},
        ),
        (
            "nnunet-2d",
            {
                **NNUNET_3D,
                "n_stages": 7,
                "features_per_stage": [32, 64, 128, 256, 512, 512, 512],
                "conv_op": nn.Conv2d,
                "kernel_sizes": [[3, 3]] * 7,
                "strides": [[1, 1]] + [[2, 2]] * 6,
                "n_conv_per_stage": [2] * 7,
                "n_conv_per_stage_decoder": [2] * 6,
                "norm_op": nn.InstanceNorm2d,
            },
        ),
    ],
)
def test_nnunet_presets_equal_dynamic_network_architectures(preset: str, kwargs: dict[str, Any]) -> None:
    cfg = load_config(preset)
    translated = from_dynamic_network_architectures(kwargs, cfg.input_size)
    assert translated.replace(name=cfg.name, batch_size=cfg.batch_size) == cfg
    _compare_dna(kwargs, cfg.input_size)


@st.composite
def dna_arguments(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[int, ...]]:
    dims = draw(st.sampled_from([2, 3]))
    n_stages = draw(st.integers(2, 5 if dims == 2 else 4))
    axis = st.sampled_from([1, 3]) if dims == 3 else st.just(3)
    kernels = [[draw(axis) if a == 0 else 3 for a in range(dims)] for _ in range(n_stages)]
    strides = [[1] * dims] + [[draw(st.sampled_from([1, 2])) if a == 0 else 2 for a in range(dims)]
                              for _ in range(n_stages - 1)]  # fmt: skip
    base = draw(st.sampled_from([2, 4, 8]))
    residual = draw(st.booleans())
    counts = st.lists(st.integers(1, 2), min_size=n_stages, max_size=n_stages)
    norm = draw(st.sampled_from(["instance", "batch"]))
    kwargs: dict[str, Any] = {
        "input_channels": draw(st.integers(1, 3)),
        "n_stages": n_stages,
        "features_per_stage": [min(base * 2**i, 8 * base) for i in range(n_stages)],
        "conv_op": nn.Conv2d if dims == 2 else nn.Conv3d,
        "kernel_sizes": kernels,
        "strides": strides,
        "num_classes": draw(st.integers(1, 4)),
        "n_conv_per_stage_decoder": draw(st.lists(st.integers(1, 3), min_size=n_stages - 1, max_size=n_stages - 1)),
        "conv_bias": draw(st.booleans()),
        "norm_op": getattr(nn, f"{'Instance' if norm == 'instance' else 'Batch'}Norm{dims}d"),
        "norm_op_kwargs": {"eps": 1e-5, "affine": draw(st.booleans())},
        "nonlin": draw(st.sampled_from([nn.LeakyReLU, nn.ReLU])),
        "nonlin_kwargs": {"inplace": True},
        "deep_supervision": draw(st.booleans()),
    }
    kwargs["n_blocks_per_stage" if residual else "n_conv_per_stage"] = draw(counts)
    total = [math.prod(s[a] for s in strides) for a in range(dims)]
    size = tuple(t * draw(st.integers(2, 3)) for t in total)
    return kwargs, size


@SWEEP
@given(dna_arguments())
def test_dynamic_network_architectures_sweep(arguments: tuple[dict[str, Any], tuple[int, ...]]) -> None:
    _compare_dna(*arguments)


def _compare_basicunet(kwargs: dict[str, Any], input_size: tuple[int, ...]) -> int:
    with torch.device("meta"):
        theirs = monai_nets.BasicUNet(**kwargs)
    cfg = from_monai_basicunet(kwargs, input_size)
    modules = [theirs.conv_0, theirs.down_1, theirs.down_2, theirs.down_3, theirs.down_4,
               theirs.upcat_1, theirs.upcat_2, theirs.upcat_3, theirs.upcat_4]  # fmt: skip
    sizes, out = _run(theirs, modules, (1, cfg.in_channels, *input_size))
    enc, dec, our_out, params = _ours(cfg)
    assert params == _params(theirs)
    assert our_out == out
    assert enc == sizes[:5] and dec == sizes[5:]
    return params


def test_monai_basicunet_preset() -> None:
    cfg = load_config("monai-basicunet-3d")
    kwargs = {"spatial_dims": 3, "in_channels": 1, "out_channels": 2}
    assert from_monai_basicunet(kwargs, cfg.input_size).replace(name=cfg.name) == cfg
    _compare_basicunet(kwargs, cfg.input_size)


@SWEEP
@given(
    dims=st.sampled_from([2, 3]),
    features=st.lists(st.sampled_from([2, 4, 6, 8, 16]), min_size=6, max_size=6),
    act=st.sampled_from([("LeakyReLU", {"negative_slope": 0.1}), "relu", "prelu", "elu"]),
    norm=st.sampled_from([("instance", {"affine": True}), "instance", "batch", ("group", {"num_groups": 2})]),
    size=st.lists(st.integers(32, 50), min_size=3, max_size=3),
)
def test_monai_basicunet_sweep(dims: int, features: list[int], act: Any, norm: Any, size: list[int]) -> None:
    # odd sizes included: BasicUNet pads the one voxel a floor-pool loses, as our pad merge does
    _compare_basicunet({"spatial_dims": dims, "in_channels": 2, "out_channels": 3, "features": tuple(features),
                        "act": act, "norm": norm}, tuple(size[:dims]))  # fmt: skip


def _compare_dynunet(kwargs: dict[str, Any], input_size: tuple[int, ...]) -> int:
    with torch.device("meta"):
        theirs = monai_nets.DynUNet(**kwargs)
    cfg = from_monai_dynunet(kwargs, input_size)
    modules = [theirs.input_block, *theirs.downsamples, theirs.bottleneck, *theirs.upsamples]
    sizes, out = _run(theirs, modules, (1, cfg.in_channels, *input_size))
    enc, dec, our_out, params = _ours(cfg)
    assert params == _params(theirs)
    assert our_out == out
    stages = cfg.depth + 1
    assert enc == sizes[:stages]
    assert list(reversed(dec)) == sizes[stages:]  # DynUNet's up blocks run deepest first
    return params


DYNUNET_PRESET = {
    "spatial_dims": 3,
    "in_channels": 4,
    "out_channels": 3,
    "kernel_size": [3] * 6,
    "strides": [1, 2, 2, 2, 2, 2],
    "upsample_kernel_size": [2] * 5,
}


def test_monai_dynunet_preset() -> None:
    cfg = load_config("monai-dynunet-3d")
    assert from_monai_dynunet(DYNUNET_PRESET, cfg.input_size).replace(name=cfg.name, batch_size=2) == cfg
    _compare_dynunet(DYNUNET_PRESET, cfg.input_size)


ANISOTROPIC = {
    "spatial_dims": 3,
    "in_channels": 1,
    "out_channels": 3,
    "kernel_size": [[1, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]],
    "strides": [[1, 1, 1], [1, 2, 2], [2, 2, 2], [2, 2, 2]],
    "upsample_kernel_size": [[1, 2, 2], [2, 2, 2], [2, 2, 2]],
}


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"res_block": True},
        {"norm_name": "instance"},  # MONAI's plain "instance": no scale and shift
        {"act_name": "prelu"},  # one PReLU module per block, as MONAI shares it
        {"deep_supervision": True, "deep_supr_num": 2},
        {"res_block": True, "act_name": "prelu", "norm_name": ("batch", {"affine": True})},
    ],
)
def test_monai_dynunet_variants(extra: dict[str, Any]) -> None:
    _compare_dynunet({**ANISOTROPIC, **extra}, (16, 32, 32))


@SWEEP
@given(
    dims=st.sampled_from([2, 3]),
    levels=st.integers(3, 5),
    data=st.data(),
)
def test_monai_dynunet_sweep(dims: int, levels: int, data: st.DataObject) -> None:
    axis_kernel = st.sampled_from([1, 3])
    kernels = [[data.draw(axis_kernel) if a == 0 else 3 for a in range(dims)] for _ in range(levels)]
    strides = [[1] * dims] + [[data.draw(st.sampled_from([1, 2])) if a == 0 else 2 for a in range(dims)]
                              for _ in range(levels - 1)]  # fmt: skip
    kwargs = {
        "spatial_dims": dims,
        "in_channels": data.draw(st.integers(1, 3)),
        "out_channels": data.draw(st.integers(1, 3)),
        "kernel_size": kernels,
        "strides": strides,
        "upsample_kernel_size": strides[1:],
        "filters": [data.draw(st.sampled_from([4, 8])) * 2**i for i in range(levels)],
        "norm_name": data.draw(st.sampled_from(["instance", ("INSTANCE", {"affine": True}), "batch"])),
        "act_name": data.draw(st.sampled_from(["prelu", ("leakyrelu", {"negative_slope": 0.2}), "relu"])),
        "res_block": data.draw(st.booleans()),
        "deep_supervision": (ds := data.draw(st.booleans())),
        "deep_supr_num": data.draw(st.integers(1, levels - 2)) if ds else 1,
    }
    total = [math.prod(s[a] for s in strides) for a in range(dims)]
    _compare_dynunet(kwargs, tuple(t * data.draw(st.integers(2, 3)) for t in total))


class _Cicek3D(nn.Module):
    """Çiçek et al. 2016, Figure 1, written from the paper: per level two 3×3×3 valid convs with BN and
    ReLU, the first making half the second's channels (32→64); 2×2×2 max pool; 2×2×2 up-conv keeping the
    channels (512→512); concat with the centre-cropped skip; two 3×3×3 convs; a 1×1×1 conv to the labels."""

    def __init__(self, in_channels: int = 3, labels: int = 3) -> None:
        super().__init__()

        def double(c_in: int, mid: int, out: int) -> nn.Sequential:
            return nn.Sequential(OrderedDict([
                ("a", nn.Conv3d(c_in, mid, 3, bias=False)), ("bn_a", nn.BatchNorm3d(mid)), ("r_a", nn.ReLU()),
                ("b", nn.Conv3d(mid, out, 3, bias=False)), ("bn_b", nn.BatchNorm3d(out)), ("r_b", nn.ReLU()),
            ]))  # fmt: skip

        self.down = nn.ModuleList([double(in_channels, 32, 64), double(64, 64, 128), double(128, 128, 256)])
        self.bottom = double(256, 256, 512)
        self.ups = nn.ModuleList([nn.ConvTranspose3d(c, c, 2, stride=2) for c in (512, 256, 128)])
        self.up_convs = nn.ModuleList([double(512 + 256, 256, 256), double(256 + 128, 128, 128),
                                       double(128 + 64, 64, 64)])  # fmt: skip
        self.out = nn.Conv3d(64, labels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = nn.functional.max_pool3d(x, 2)
        x = self.bottom(x)
        for up, conv, skip in zip(self.ups, self.up_convs, reversed(skips), strict=True):
            x = up(x)
            starts = [(s - u) // 2 for s, u in zip(skip.shape[2:], x.shape[2:], strict=True)]
            window = tuple(slice(a, a + u) for a, u in zip(starts, x.shape[2:], strict=True))
            crop = skip[:, :, window[0], window[1], window[2]]
            x = conv(torch.cat([crop, x], dim=1))
        return self.out(x)


def test_cicek2016_equals_an_independent_rebuild() -> None:
    cfg = load_config("cicek2016-3d")
    with torch.device("meta"):
        theirs = _Cicek3D()
    # 132×132×116 in the paper's (x, y, z) is [116, 132, 132] here (D, H, W)
    out = theirs(torch.zeros(1, 3, *cfg.input_size, device="meta"))
    enc, _dec, our_out, params = _ours(cfg)
    assert params == _params(theirs)
    assert our_out == tuple(out.shape) == (1, 3, 28, 44, 44)  # the paper's 44×44×28
    assert [e[1] for e in enc] == [64, 128, 256, 512]


def test_our_model_counts_what_the_formulas_count() -> None:
    # the library comparisons above check both; this pins ours for a config with every new part at once
    cfg = UNetConfig(dims=3, depth=2, base_width=8, block="residual", shortcut="pool_conv", stem_channels=4,
                     norm="group", norm_groups=4, activation="prelu", dropout=0.1, deep_supervision=True,
                     up_kernel_size=[3, 4], conv_bias=True, input_size=(16, 16, 16))  # fmt: skip
    assert _params(build_model(cfg, "meta")) == analyze(cfg).shapes.total_params
