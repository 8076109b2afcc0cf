"""A measured training step on a GPU, beside the planner's estimate: the peak memory torch's allocator saw during
one forward, loss, backward and optimizer step (after a warm-up step), and each layer's forward time (median of
repeats, CUDA events) and the memory its forward allocates (`torch.cuda.memory_allocated` after − before).

The allocator and the timer are passed in (`Device`), so the arithmetic and the order of calls are tested on a
machine without a GPU with fakes; `cuda_device()` is the real one.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

from unetviz.core.config import UNetConfig
from unetviz.core.memory import estimate
from unetviz.network.model import build_model

REPEATS = 5


class Device(Protocol):
    name: str

    def reset_peak(self) -> None: ...
    def peak(self) -> int: ...
    def allocated(self) -> int: ...
    def synchronize(self) -> None: ...
    def timer(self) -> Callable[[], Callable[[], float]]: ...  # start() -> stop() -> milliseconds


@dataclass(frozen=True)
class StepMeasurement:
    peak_bytes: int
    estimate_bytes: int
    layer_ms: dict[str, float]  # median forward time per leaf layer
    layer_bytes: dict[str, int] = dataclasses.field(default_factory=dict)  # what each leaf's forward allocates

    @property
    def error(self) -> float:
        """(estimate − measured) / measured: positive when the planner over-estimates."""
        return (self.estimate_bytes - self.peak_bytes) / self.peak_bytes if self.peak_bytes else 0.0


class _Cuda:
    name = "cuda"

    def reset_peak(self) -> None:
        torch.cuda.reset_peak_memory_stats()

    def peak(self) -> int:
        return int(torch.cuda.max_memory_allocated())

    def allocated(self) -> int:
        return int(torch.cuda.memory_allocated())

    def synchronize(self) -> None:
        torch.cuda.synchronize()

    def timer(self) -> Callable[[], Callable[[], float]]:
        def start() -> Callable[[], float]:
            begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            begin.record()

            def stop() -> float:
                end.record()
                end.synchronize()
                return float(begin.elapsed_time(end))

            return stop

        return start


def cuda_device() -> Device:
    return _Cuda()


def _step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, target: torch.Tensor,
          amp: bool, device: str) -> None:  # fmt: skip
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device_type=device, dtype=torch.float16, enabled=amp):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.float(), target)
    loss.backward()
    optimizer.step()


def _layer_profile(model: nn.Module, x: torch.Tensor, device: Device) -> tuple[dict[str, float], dict[str, int]]:
    """Each leaf's forward time (median of REPEATS after a warm-up pass) and the bytes its forward allocates (the
    last pass: the allocator's count after the layer minus before; an in-place layer allocates nothing)."""
    start = device.timer()
    times: dict[str, list[float]] = {}
    allocated: dict[str, int] = {}
    stops: dict[str, tuple[Callable[[], float], int]] = {}
    handles: list[Any] = []

    def before(name: str) -> None:
        stops[name] = (start(), device.allocated())

    def after(name: str) -> None:
        stop, was = stops.pop(name)
        times.setdefault(name, []).append(stop())
        allocated[name] = device.allocated() - was

    for name, module in model.named_modules():
        if name and not list(module.children()):
            handles.append(module.register_forward_pre_hook(lambda _m, _i, n=name: before(n)))
            handles.append(module.register_forward_hook(lambda _m, _i, _o, n=name: after(n)))
    try:
        with torch.no_grad():
            for _ in range(REPEATS + 1):  # the first is the warm-up
                model(x)
    finally:
        for handle in handles:
            handle.remove()
    medians = {name: statistics.median(values[1:]) for name, values in times.items() if len(values) > 1}
    return medians, {name: allocated[name] for name in medians}


def measure_step(cfg: UNetConfig, device: Device, precision: str = "fp32", optimizer: str = "adam",
                 where: str = "cuda") -> StepMeasurement:  # fmt: skip
    """One measured training step of `cfg` (its batch and size) on `where`, with `device`'s allocator and timer."""
    model = build_model(cfg, where).train()
    params = list(model.parameters())
    opt: torch.optim.Optimizer = (torch.optim.Adam(params) if optimizer == "adam"
                                  else torch.optim.SGD(params, lr=0.01, momentum=0.99))  # fmt: skip
    x = torch.randn((cfg.batch_size, cfg.in_channels, *cfg.input_size), device=where)
    with torch.no_grad():
        out = model(x)
    target = torch.randint(0, out.shape[1], (cfg.batch_size, *out.shape[2:]), device=where)
    del out
    amp = precision == "amp"
    _step(model, opt, x, target, amp, where)  # warm-up: the optimizer's state and the allocator's pools exist
    device.synchronize()
    device.reset_peak()
    _step(model, opt, x, target, amp, where)
    device.synchronize()
    peak = device.peak()
    times, allocated = _layer_profile(model.eval(), x, device)
    return StepMeasurement(peak, estimate(cfg, precision, optimizer).total, times, allocated)
