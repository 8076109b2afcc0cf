"""The memory planner's arithmetic, and the GPU measurement's plumbing with a fake allocator and timer."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest

from tests.cli_run import one_line_error, run
from unetviz.core import memory
from unetviz.core.config import UNetConfig, load_config, preset_names
from unetviz.core.errors import ConfigError
from unetviz.core.memory import estimate, parse_bytes, plan
from unetviz.core.shapes import analyze_shapes
from unetviz.network.saved_tensors import kept_for_backward


@pytest.mark.parametrize(("text", "value"), [("24GiB", 24 * 2**30), ("80 GB", 80 * 10**9), ("512m", 512 * 2**20),
                                             ("16000000000", 16 * 10**9), ("1KiB", 1024)])  # fmt: skip
def test_sizes_read_as_bytes(text: str, value: int) -> None:
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["", "-1GiB", "24 parsecs", "GiB", "nan"])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="--gpu-memory"):
        parse_bytes(text)


def test_a_bare_number_too_small_for_bytes_asks_for_its_unit() -> None:
    """`--gpu-memory 24` meant 24 GiB: refused with the unit spelled out, not planned as a GPU of 24 bytes."""
    with pytest.raises(ConfigError, match=r'"24" is not allowed; expected a size with its unit, such as 24GiB'):
        parse_bytes("24")


def test_the_static_items_follow_the_parameter_count() -> None:
    cfg = load_config("milesial")
    params = analyze_shapes(cfg).total_params
    items = {i.what.split(" (")[0]: i.bytes for i in estimate(cfg, "fp32", "adam").items}
    assert items["weights"] == items["gradients"] == 4 * params
    assert items["optimizer state"] == 8 * params
    assert {i.what.split(" (")[0]: i.bytes for i in estimate(cfg, "fp32", "sgd").items}["optimizer state"] == 4 * params


def test_a_tensor_two_layers_keep_is_counted_once() -> None:
    """milesial: each conv reads the in-place ReLU's output, which the ReLU keeps too: one copy, not two."""
    cfg = load_config("milesial")
    shapes = analyze_shapes(cfg)
    relu = sum(4 * math.prod(layer.out_shape) for layer in shapes.layers if layer.type == "ReLU")
    kept = {i.what: i.bytes for i in estimate(cfg).items}
    assert kept["kept for backward: activation outputs"] == relu
    conv_inputs = sum(4 * math.prod(layer.in_shape) for layer in shapes.layers if layer.type.startswith("Conv"))
    assert kept["kept for backward: conv inputs"] < conv_inputs  # the shared ones are the ReLUs'


def test_activations_scale_with_the_batch_and_amp_halves_them() -> None:
    cfg = load_config("unet3d")
    one, four = estimate(cfg.replace(batch_size=1)), estimate(cfg.replace(batch_size=4))
    static = sum(i.bytes for i in one.items if i.what.startswith(("weights", "gradients", "optimizer")))
    assert four.total - static == pytest.approx(4 * (one.total - static), rel=1e-9)
    amp = estimate(cfg, "amp")
    conv = "kept for backward: conv inputs"
    assert {i.what: i.bytes for i in amp.items}[conv] * 2 == {i.what: i.bytes for i in estimate(cfg).items}[conv]


def test_the_plan_fits_its_budget_and_one_more_does_not() -> None:
    cfg = load_config("milesial")
    budget = parse_bytes("8GiB")
    result = plan(cfg, budget, "fp32", "adam")
    assert result.largest_batch >= 1
    assert estimate(cfg.replace(batch_size=result.largest_batch)).total <= budget
    assert estimate(cfg.replace(batch_size=result.largest_batch + 1)).total > budget
    ((axes, size, used),) = result.largest_patch
    assert axes == "H×W" and used <= budget
    bigger = cfg.replace(batch_size=1, input_size=(size + 16, size + 16))
    assert estimate(bigger).total > budget  # the next valid size (one more 2⁴ step) does not fit


def test_plan_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "--preset", "nnunet-3d-fullres", "--gpu-memory", "24GiB", "--precision", "amp",
                         "--optimizer", "sgd")  # fmt: skip
    assert code == 0, err
    assert "largest batch size at 80×160×160:" in out and "largest valid input on D" in out
    code, _out, err = run(capsys, "plan", "--preset", "small", "--gpu-memory", "lots")
    assert "--gpu-memory" in one_line_error(code, err)


# --- the measurement, without a GPU ------------------------------------------------------------------------------
class FakeDevice:
    """Counts its calls; reports a peak it was given and a fixed duration per timed layer."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.counted = 0

    def reset_peak(self) -> None:
        self.calls.append("reset")

    def peak(self) -> int:
        self.calls.append("peak")
        return 123_456_789

    def synchronize(self) -> None:
        self.calls.append("sync")

    def allocated(self) -> int:
        self.counted += 100  # each look at the allocator: 100 bytes more than the last
        return self.counted

    def timer(self) -> Callable[[], Callable[[], float]]:
        def start() -> Callable[[], float]:
            return lambda: 2.5

        return start


def test_a_measured_step_reads_the_peak_after_one_step_and_times_every_layer() -> None:
    from unetviz.network.gpu_measure import measure_step

    cfg = load_config("small").replace(input_size=(32, 32))
    device = FakeDevice()
    result = measure_step(cfg, device, "fp32", "sgd", where="cpu")
    assert device.calls == ["sync", "reset", "sync", "peak"]  # after the warm-up step, around the measured one
    assert result.peak_bytes == 123_456_789
    assert result.estimate_bytes == estimate(cfg, "fp32", "sgd").total
    leaves = {layer.name for layer in analyze_shapes(cfg).layers if layer.type not in ("Concat", "Crop", "Pad", "Add")}
    assert set(result.layer_ms) >= {name for name in leaves if "." in name} - {"dec0.concat"}
    assert set(result.layer_ms.values()) == {2.5}
    assert set(result.layer_bytes) == set(result.layer_ms) and set(result.layer_bytes.values()) == {100}
    assert result.error == pytest.approx((result.estimate_bytes - 123_456_789) / 123_456_789)


VARIANTS = {
    "valid, crop, avg pool, PReLU": dict(padding="valid", merge="crop", pooling="avg", activation="prelu",
                                         input_size=(188, 188), base_width=8),
    "dropout, avg pool": dict(pooling="avg", dropout=0.2, base_width=8, input_size=(64, 64)),
    "GELU, group norm, bilinear": dict(activation="gelu", norm="group", upsampling="bilinear", base_width=16,
                                       input_size=(96, 96)),
    "ELU, no norm, strided conv, nearest, deep supervision": dict(activation="elu", norm="none", pooling="conv",
                                                                  upsampling="nearest", deep_supervision=True,
                                                                  base_width=8, input_size=(64, 64)),
    "3D residual, instance norm": dict(dims=3, block="residual", norm="instance", base_width=8, depth=3,
                                       input_size=(32, 32, 32)),
}  # fmt: skip


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("name", [*preset_names(), *VARIANTS])
def test_kept_for_backward_is_what_autograd_saves(name: str, batch: int) -> None:
    """The planner's per-layer-type rules against torch itself: the tensors autograd saves in a training forward
    (saved-tensor hooks, on meta), each storage once. Within 0.5 %: the norms' per-channel statistics are left out."""
    cfg = load_config(name) if name in preset_names() else UNetConfig(**VARIANTS[name])  # type: ignore[arg-type]
    cfg = cfg.replace(batch_size=batch)
    measured = kept_for_backward(cfg)
    # Dropout's mask: CUDA's fused kernel keeps 1 byte per element (the planner's figure); meta follows the CPU's
    # float mask, 3 bytes more.
    masks = sum(math.prod(layer.out_shape) for layer in analyze_shapes(cfg).layers if layer.type == "Dropout")
    assert abs(memory.kept_bytes(estimate(cfg)) + 3 * masks - measured) <= 0.005 * measured


def test_plan_checks_the_estimate_with_autograd_on_meta(capsys: pytest.CaptureFixture[str]) -> None:
    cfg = load_config("small")
    code, out, err = run(capsys, "plan", "--preset", "small", "--gpu-memory", "8GiB", "--format", "json")
    assert code == 0, err
    check = json.loads(out)["check"]
    assert check["device"] == "meta" and check["measured_bytes"] == kept_for_backward(cfg)
    assert check["estimate_bytes"] == memory.kept_bytes(estimate(cfg))
    code, out, err = run(capsys, "plan", "--preset", "small", "--gpu-memory", "8GiB")
    assert "checked on meta: kept for backward (float32): torch 0.02 GiB" in out
    code, out, err = run(capsys, "plan", "--preset", "small", "--gpu-memory", "8GiB", "--device", "none")
    assert code == 0 and "checked on" not in out


def test_plan_on_cuda_without_a_gpu_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("unetviz.network.trace.cuda_available", lambda: False)
    code, _out, err = run(capsys, "plan", "--preset", "small", "--gpu-memory", "8GiB", "--device", "cuda")
    assert "--device: 'cuda' is not available" in one_line_error(code, err)
    code, _out, err = run(capsys, "plan", "--preset", "small", "--gpu-memory", "8GiB", "--device", "tpu")
    assert "--device: 'tpu' is not allowed; expected one of meta, cuda, none" in one_line_error(code, err)


def test_plan_on_cuda_puts_the_measured_peak_beside_the_estimate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from unetviz.network import gpu_measure

    measured = gpu_measure.StepMeasurement(2 * 2**30, 3 * 2**30, {"enc0.conv1": 1.5, "head.conv": 0.25},
                                           {"enc0.conv1": 2**30, "head.conv": 2**20})  # fmt: skip
    monkeypatch.setattr("unetviz.network.trace.cuda_available", lambda: True)
    monkeypatch.setattr(gpu_measure, "measure_step", lambda cfg, device, precision, optimizer: measured)
    code, out, err = run(capsys, "plan", "--preset", "small", "--gpu-memory", "8GiB", "--device", "cuda")
    assert code == 0, err
    assert ("checked on cuda: training step peak (torch.cuda.max_memory_allocated): torch 2.00 GiB, the estimate "
            "3.00 GiB (+50.0 %); slowest layers (forward, ms): enc0.conv1 1.50, head.conv 0.25; largest allocations "
            "(forward): enc0.conv1 1.00 GiB, head.conv 0.00 GiB") in out  # fmt: skip


@pytest.mark.parametrize("name", ["nnunet-3d-fullres", "milesial", "ronneberger2015"])
def test_the_plan_shows_its_arithmetic_and_it_adds_up(name: str) -> None:
    """fixed + batch × per sample is the estimate at that batch; one more sample, or the next valid patch, is over."""
    cfg = load_config(name)
    budget = 16 * 2**30
    result = plan(cfg, budget)
    batch = result.largest_batch
    assert batch >= 1
    at = estimate(cfg.replace(batch_size=batch)).total
    assert result.fixed_bytes + batch * result.per_sample_bytes == at <= budget
    assert result.fixed_bytes + (batch + 1) * result.per_sample_bytes > budget
    assert result.next_patch and len(result.next_patch) == len(result.largest_patch)
    for (axes, size, used), (after_axes, after, needs) in zip(result.largest_patch, result.next_patch, strict=True):
        assert axes == after_axes and after > size and used <= budget < needs
    gib = lambda n: f"{n / 2**30:.2f} GiB"  # noqa: E731
    assert memory.batch_arithmetic(result, gib) == (
        f"{gib(result.fixed_bytes)} + {batch} × {gib(result.per_sample_bytes)} = {gib(at)}; {batch + 1} would need "
        f"{gib(result.fixed_bytes + (batch + 1) * result.per_sample_bytes)}"
    )
