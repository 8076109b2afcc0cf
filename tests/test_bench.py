"""The benchmark's GPU section, without a GPU: the measurement and the trace are faked, the bookkeeping is real."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from unetviz import bench
from unetviz.core.config import preset_names
from unetviz.network import gpu_measure


def test_gpu_rounds_measure_every_preset_at_two_batches_and_survive_out_of_memory(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def step(cfg: Any, _device: Any, _precision: str, _optimizer: str) -> gpu_measure.StepMeasurement:
        if cfg.name == "unet3d" and cfg.batch_size == 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return gpu_measure.StepMeasurement(100 * cfg.batch_size, 110 * cfg.batch_size, {"a": 1.0, "b": 3.0},
                                           {"a": 2**20, "b": 3 * 2**20})  # fmt: skip

    monkeypatch.setattr(gpu_measure, "measure_step", step)
    monkeypatch.setattr(gpu_measure, "cuda_device", lambda: None)
    monkeypatch.setattr("unetviz.network.trace.trace", lambda *args, **kwargs: None)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    found = bench.gpu_rounds()
    assert set(found) == {f"{name} batch {batch}" for name in preset_names() for batch in (1, 2)}
    assert found["unet3d batch 2"] == "out of memory"
    assert found["milesial batch 2"]["error"] == pytest.approx(0.1)
    assert found["milesial batch 2"]["slowest"] == [("b", 3.0), ("a", 1.0)]
    assert found["milesial batch 2"]["biggest"] == [("b", 3 * 2**20), ("a", 2**20)]
    bench._print_gpu(found)
    out = capsys.readouterr().out
    assert "milesial batch 1" in out and "error  +10.0 %" in out and "unet3d batch 2" in out
    assert "largest allocations: b 3 MiB, a 1 MiB" in out


def test_bench_on_cuda_without_a_gpu_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("unetviz.network.trace.cuda_available", lambda: False)
    assert bench.main(["--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--device: 'cuda' is not available" in err and "\n" not in err
