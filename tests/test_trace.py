"""The trace: the real model's shapes equal the formulas', on meta (hypothesis sweep) and on CPU."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torchinfo
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from unetviz.core.analysis import analyze
from unetviz.core.config import UNetConfig, load_config, preset_names
from unetviz.core.errors import ConfigError, TraceError
from unetviz.core.shapes import ShapeAnalysis, analyze_shapes
from unetviz.network.model import build_model
from unetviz.network.stats import LeafCall, counts_check, torchinfo_check
from unetviz.network.trace import compare_shapes, trace
from unetviz.network.trace_records import TorchinfoCheck


@st.composite
def unet_configs(draw: st.DrawFn) -> UNetConfig:
    dims = draw(st.sampled_from([2, 3]))
    depth = draw(st.integers(1, 4 if dims == 2 else 3))
    top = 300 if dims == 2 else 48
    size = tuple(draw(st.integers(1, top)) for _ in range(dims))
    explicit = draw(st.booleans())
    widths = tuple(draw(st.integers(2, 12)) for _ in range(depth + 1)) if explicit else None
    try:
        return UNetConfig(
            dims=dims,
            depth=depth,
            in_channels=draw(st.integers(1, 4)),
            num_classes=draw(st.integers(1, 4)),
            base_width=draw(st.integers(2, 8)),
            widths=widths,
            kernel_size=draw(st.sampled_from([1, 3, 5])),
            convs_per_block=draw(st.integers(1, 3)),
            padding=draw(st.sampled_from(["same", "valid"])),
            norm=draw(st.sampled_from(["batch", "instance", "none"])),
            pooling=draw(st.sampled_from(["max", "avg"])),
            upsampling=draw(st.sampled_from(["transpose", "bilinear", "nearest"])),
            merge=draw(st.sampled_from(["crop", "pad"])),
            input_size=size,
        )
    except ConfigError:
        assume(False)
        raise


@given(unet_configs())
def test_analytic_equals_traced_on_meta(cfg: UNetConfig) -> None:
    try:
        shapes = analyze_shapes(cfg)
    except ConfigError:
        assume(False)
        return
    result = trace(cfg, shapes, "meta", cross_check=False)
    assert result.mismatches == ()
    assert result.params == shapes.total_params
    assert set(result.shapes) == {layer.name for layer in shapes.layers}


def test_cpu_trace_runs_a_real_forward() -> None:
    cfg = load_config("small").replace(input_size=(37, 50))  # odd sizes: pools truncate, pads fill
    analysis = analyze(cfg, device="cpu")
    assert analysis.trace is not None and analysis.trace.device == "cpu"
    assert analysis.trace.agreed
    model = build_model(cfg)
    with torch.no_grad():
        out = model(torch.zeros(analysis.shapes.input_shape))
    assert tuple(out.shape) == analysis.shapes.output_shape


def test_torchinfo_cross_check_agrees_on_params_and_differs_on_up_conv() -> None:
    analysis = analyze(load_config("ronneberger2015"), device="meta")
    assert analysis.trace is not None
    check = analysis.trace.torchinfo
    assert check is not None and check.params == 31_030_658 and check.params_agree
    up = next(d for d in check.differing if d.layer == "dec3.up")
    weights_and_bias = 1024 * 512 * 4 + 512
    assert up.torchinfo == weights_and_bias * 56 * 56  # torchinfo: per output position, with bias
    assert up.ours == 1024 * 512 * 4 * 28 * 28


def torchinfo_summary_check(shapes: ShapeAnalysis, model: nn.Module, dummy: torch.Tensor) -> TorchinfoCheck:
    """The same check from `torchinfo.summary(model, input_data=dummy)` itself (a second forward, on meta): the
    reference `torchinfo_check` is held to."""
    names = {id(module): name for name, module in model.named_modules()}
    stats = torchinfo.summary(model, input_data=dummy, device="meta", verbose=0)
    per_layer: dict[str, int] = {}
    for info in stats.summary_list:
        name = names.get(id(info.module))
        if name and info.is_leaf_layer:
            per_layer[name] = per_layer.get(name, 0) + int(info.macs)
    return counts_check(shapes, int(stats.total_params), int(stats.total_mult_adds), per_layer)


@pytest.mark.parametrize("name", preset_names())
def test_cross_check_from_the_recorded_pass_equals_torchinfo_summary(name: str) -> None:
    """The check built from the trace's own leaf calls is what `torchinfo.summary` itself reports."""
    cfg = load_config(name)
    shapes = analyze_shapes(cfg)
    result = trace(cfg, shapes, "meta")
    model = build_model(cfg, "meta").eval()
    with torch.no_grad():
        reference = torchinfo_summary_check(shapes, model, torch.zeros(shapes.input_shape, device="meta"))
    assert result.torchinfo == reference


class _Twice(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 2, 3, padding=1)
        self.scale = torch.nn.Parameter(torch.ones(1))  # held by the container itself, not by a leaf

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.conv(x)) * self.scale


def test_cross_check_follows_torchinfo_on_a_shared_module_and_container_parameters() -> None:
    """torchinfo's rules: a module called twice counts its parameters once and its mult-adds per call."""
    shapes = analyze_shapes(load_config("small"))
    model = _Twice()
    calls = [LeafCall("conv", model.conv, (1, 2, 8, 8))] * 2
    reference = torchinfo_summary_check(shapes, model, torch.zeros(1, 2, 8, 8, device="meta"))
    assert torchinfo_check(shapes, model, calls) == reference
    assert reference.params == sum(p.numel() for p in model.parameters())


def test_compare_shapes_reports_every_disagreement() -> None:
    shapes = analyze_shapes(load_config("small"))
    traced = {layer.name: layer.out_shape for layer in shapes.layers}
    traced["enc0.conv1"] = (1, 16, 127, 127)
    del traced["head.conv"]
    traced["extra"] = (1,)
    mismatches = {m.layer: m for m in compare_shapes(shapes, traced)}
    assert set(mismatches) == {"enc0.conv1", "head.conv", "extra"}
    assert mismatches["head.conv"].traced is None and mismatches["extra"].analytic is None


def test_trace_refused_when_memory_would_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("unetviz.network.trace._free_memory_bytes", lambda device: 1 << 20)
    with pytest.raises(TraceError, match="GiB is free"):
        analyze(load_config("ronneberger2015"), device="cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_is_a_clear_error() -> None:
    with pytest.raises(TraceError, match="not available"):
        analyze(load_config("small"), device="cuda")
    result = analyze(load_config("small"), device="auto").trace
    assert result is not None and result.device == "meta"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_trace_times_layers() -> None:
    result = analyze(load_config("milesial"), device="cuda").trace
    assert result is not None and result.agreed and result.device == "cuda"
    assert set(result.layer_ms) == set(result.shapes) and result.peak_memory_bytes


@st.composite
def stage_configs(draw: st.DrawFn) -> UNetConfig:
    """The whole per-stage space: per-axis kernels and strides, every pooling, block, norm, activation,
    up-sampling kind and kernel, merge and deep supervision, at sizes that may not divide."""
    dims = draw(st.sampled_from([2, 3]))
    depth = draw(st.integers(1, 3))
    stages = depth + 1

    def per_axis(values: list[int]) -> Any:
        return draw(st.sampled_from(values)) if draw(st.booleans()) else [draw(st.sampled_from(values))
                                                                           for _ in range(dims)]  # fmt: skip

    upsampling = draw(st.sampled_from(["transpose", "bilinear", "nearest"]))
    strides = [per_axis([1, 2, 3]) for _ in range(depth)] if draw(st.booleans()) else None
    up_kernel = [per_axis([1, 3]) for _ in range(depth)] if upsampling == "transpose" and draw(st.booleans()) else None
    block = draw(st.sampled_from(["plain", "residual"]))
    top = 80 if dims == 2 else 28
    try:
        return UNetConfig(
            dims=dims,
            depth=depth,
            in_channels=draw(st.integers(1, 3)),
            num_classes=draw(st.integers(1, 3)),
            base_width=draw(st.sampled_from([4, 8])),
            kernel_size=[per_axis([1, 3, 5]) for _ in range(stages)] if draw(st.booleans()) else 3,
            strides=strides,
            convs_per_block=draw(st.lists(st.integers(1, 2), min_size=stages, max_size=stages)),
            decoder_convs_per_block=draw(st.none() | st.integers(1, 2)),
            padding=draw(st.sampled_from(["same", "valid"])),
            norm=draw(st.sampled_from(["batch", "instance", "group", "none"])),
            norm_groups=2,
            norm_affine=draw(st.booleans()),
            pooling=draw(st.sampled_from(["max", "avg", "conv"])),
            upsampling=upsampling,
            up_kernel_size=up_kernel,
            merge=draw(st.sampled_from(["crop", "pad", "strict"])),
            block=block,
            decoder_block=draw(st.sampled_from([None, "residual"])),
            shortcut=draw(st.sampled_from(["pool_conv", "strided_conv"])),
            stem_channels=draw(st.none() | st.just(4)) if block == "residual" else None,
            conv_bias=draw(st.sampled_from(["auto", True, False])),  # type: ignore[arg-type]
            activation=draw(st.sampled_from(["relu", "leaky_relu", "prelu", "gelu", "elu"])),
            shared_activation=draw(st.booleans()),
            dropout=draw(st.sampled_from([0.0, 0.2])),
            deep_supervision=draw(st.booleans()) if depth > 1 else False,
            input_size=tuple(draw(st.integers(6, top)) for _ in range(dims)),
        )
    except ConfigError:
        assume(False)
        raise


@settings(max_examples=150, deadline=None)
@given(stage_configs())
def test_stage_plans_analytic_equals_traced_on_meta(cfg: UNetConfig) -> None:
    try:
        shapes = analyze_shapes(cfg)
    except ConfigError:
        assume(False)
        return
    if shapes.failure:  # a strict join of unequal sizes: torch must fail with the words we predicted
        device = "cpu" if math.prod(shapes.input_shape) < 1e5 else "meta"
        with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 1"), torch.no_grad():
            build_model(cfg, device).eval()(torch.zeros(shapes.input_shape, device=device))
        return
    result = trace(cfg, shapes, "meta", cross_check=False)
    assert result.mismatches == ()
    assert result.params == shapes.total_params
    assert set(result.shapes) == {layer.name for layer in shapes.layers}


def test_strict_failure_is_reported_not_traced() -> None:
    cfg = load_config("nnunet-2d").replace(input_size=(500, 512), batch_size=1)
    analysis = analyze(cfg, device="meta")
    assert analysis.trace is None
    # 500 → 250 → 125 → ⌈125/2⌉ = 63 (a strided conv rounds up) → 32: up-sampled back to 64, the skip is 63
    assert analysis.shapes.failure is not None and "Expected size 63 but got size 64" in analysis.shapes.failure
    concat = next(layer for layer in analysis.layers if layer.error)
    assert concat.name == "dec3.concat" and concat.error is not None
    with pytest.raises(RuntimeError) as info:
        with torch.no_grad():
            build_model(cfg).eval()(torch.zeros(analysis.shapes.input_shape))
    assert str(info.value).startswith(concat.error.split(" for tensor")[0])
