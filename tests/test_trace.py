"""The trace: the real model's shapes equal the formulas', on meta (hypothesis sweep) and on CPU."""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from unetviz.core.analysis import analyze
from unetviz.core.config import UNetConfig, load_config
from unetviz.core.errors import ConfigError, TraceError
from unetviz.core.shapes import analyze_shapes
from unetviz.network.model import build_model
from unetviz.network.trace import compare_shapes, trace


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
