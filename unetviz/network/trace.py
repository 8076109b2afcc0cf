"""Run a dummy input through the real model with forward hooks and compare with the analytic sizes."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time

import torch
from torch import nn

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError, TraceError
from unetviz.core.shapes import BYTES_PER_VALUE, Shape, ShapeAnalysis
from unetviz.network.host_memory import available_bytes
from unetviz.network.meta_speed import FastMetaNorm, meta_model
from unetviz.network.model import build_model
from unetviz.network.stats import LeafCall, torchinfo_check
from unetviz.network.trace_records import Mismatch, TraceResult

DEVICES = ("auto", "cpu", "cuda", "meta")
MEMORY_HEADROOM = 0.8  # refuse a trace that needs more than this share of the free memory
TORCH_MAX_BYTES = 2**63 - 1


def cuda_available() -> bool:
    return torch.cuda.is_available()


def resolve_device(device: str) -> str:
    if device not in DEVICES:
        raise TraceError(f"device: {device!r} is not allowed; expected one of {', '.join(DEVICES)}")
    if device == "auto":
        return "cuda" if cuda_available() else "meta"
    if device == "cuda" and not cuda_available():
        raise TraceError("device: 'cuda' is not available on this machine (torch sees no GPU); use auto, cpu or meta")
    return device


def _free_memory_bytes(device: str) -> int | None:
    if device == "cuda":
        free, _total = torch.cuda.mem_get_info()
        return int(free)
    if device == "cpu":
        return available_bytes()  # the machine's or the container's, whichever is less
    return None


def _check_tensor_sizes(shapes: ShapeAnalysis) -> None:
    """torch cannot hold a tensor of more than 2^63 − 1 bytes, not even on meta (no memory) where it says only
    'Storage size calculation overflowed'."""
    biggest = max([shapes.input_shape, *(layer.out_shape for layer in shapes.layers)], key=math.prod)
    if math.prod(biggest) * BYTES_PER_VALUE > TORCH_MAX_BYTES:
        cfg = shapes.config
        raise ConfigError(
            "input_size",
            list(cfg.input_size),
            f"sizes torch can trace: with batch_size {cfg.batch_size} the map {list(biggest)} needs more than "
            "2^63 bytes, torch's limit for one tensor; lower input_size or batch_size, or use --device none",
        )


def _check_memory(shapes: ShapeAnalysis, device: str) -> None:
    needed = shapes.activation_bytes + 4 * shapes.total_params
    free = _free_memory_bytes(device)
    if free is not None and needed > MEMORY_HEADROOM * free:
        raise TraceError(
            f"device: a {device} trace needs about {needed / 2**30:.1f} GiB for activations and weights but only "
            f"{free / 2**30:.1f} GiB is free; use --device meta (shapes only) or a smaller input_size/batch_size"
        )


def _leaf_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(name, module) for name, module in model.named_modules() if name and not list(module.children())]


def _run(cfg: UNetConfig, shapes: ShapeAnalysis, device: str, cross_check: bool = False) -> TraceResult:
    """One forward of the real model (on meta built once per config); with `cross_check`, torchinfo's counts
    come from the leaf calls this same forward records."""
    started = time.perf_counter()
    if device == "meta":
        model, lock = meta_model(cfg)
        with lock:
            return _forward(cfg, shapes, model, device, started, cross_check)
    return _forward(cfg, shapes, build_model(cfg, device).eval(), device, started, cross_check)


def _forward(cfg: UNetConfig, shapes: ShapeAnalysis, model: nn.Module, device: str, started: float,
             cross_check: bool) -> TraceResult:  # fmt: skip
    traced: dict[str, Shape] = {}
    calls: list[LeafCall] = []
    events: dict[str, list[torch.cuda.Event]] = {}
    handles = []
    for name, module in _leaf_modules(model):

        def record(module: nn.Module, _inputs: object, output: torch.Tensor, name: str = name) -> None:
            traced[name] = tuple(output.shape)
            calls.append(LeafCall(name, module, traced[name]))
            if name in events:
                events[name][1].record()

        handles.append(module.register_forward_hook(record))
        if device == "cuda":
            events[name] = [torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)]
            handles.append(module.register_forward_pre_hook(lambda _m, _i, name=name: events[name][0].record()))
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    dummy = torch.zeros(shapes.input_shape, device=device)
    try:
        with torch.no_grad(), FastMetaNorm() if device == "meta" else contextlib.nullcontext():
            model(dummy)
        if device == "cuda":
            torch.cuda.synchronize()
    finally:
        for handle in handles:
            handle.remove()
    layer_ms = {name: start.elapsed_time(end) for name, (start, end) in events.items()}
    peak = int(torch.cuda.max_memory_allocated()) if device == "cuda" else None
    mismatches = compare_shapes(shapes, traced)
    check = torchinfo_check(shapes, model, calls) if cross_check else None
    params = sum(p.numel() for p in model.parameters())
    return TraceResult(device, traced, mismatches, params, time.perf_counter() - started, layer_ms=layer_ms,
                       peak_memory_bytes=peak, torchinfo=check)  # fmt: skip


def compare_shapes(shapes: ShapeAnalysis, traced: dict[str, Shape]) -> tuple[Mismatch, ...]:
    """Every layer whose analytic and traced output shapes differ, or that only one side has."""
    analytic = {layer.name: layer.out_shape for layer in shapes.layers}
    out = [Mismatch(name, shape, traced.get(name)) for name, shape in analytic.items() if traced.get(name) != shape]
    out += [Mismatch(name, None, shape) for name, shape in traced.items() if name not in analytic]
    return tuple(out)


def trace(cfg: UNetConfig, shapes: ShapeAnalysis, device: str = "auto", cross_check: bool = True) -> TraceResult:
    """Trace `cfg` on `device`; a CUDA out-of-memory falls back to meta and says so in `note`."""
    resolved = resolve_device(device)
    _check_tensor_sizes(shapes)
    _check_memory(shapes, resolved)
    try:
        result = _run(cfg, shapes, resolved, cross_check)
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        needed = math.ceil(shapes.activation_bytes / 2**20)
        result = _run(cfg, shapes, "meta", cross_check)
        note = f"CUDA ran out of memory (~{needed} MiB of activations); traced on meta instead"
        return dataclasses.replace(result, note=note)
    return result
