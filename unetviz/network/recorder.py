"""Record the forward pass of any nn.Module: every leaf module call and every functional op that matters for
shapes (`cat`, `pad`, slicing crops, `interpolate`, joins such as a residual add), with the tensors it read.

Module hooks see the layers; a `TorchFunctionMode` sees the functional ops between them, Python included, so
data-dependent code (`F.pad` by amounts computed from `x.size()`, as in Pytorch-UNet) is recorded as it ran.
torch.fx and torch.export need that code to be traceable symbolically and fail on much of it; torchview draws
the same two sources (hooks and `__torch_function__`) but keeps only its own graph objects, not the ops' arguments
this module needs (pad amounts, slice bounds, the module's kernel, stride, padding and dilation).
"""

from __future__ import annotations

import contextlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from unetviz.network.meta_speed import FastMetaNorm

Shape = tuple[int, ...]
MODEL_INPUT = -1  # the producer of the dummy input

CAT = {torch.cat, torch.concat, torch.concatenate}
JOIN_NAMES = {"add", "__add__", "__radd__", "__iadd__", "add_", "mul", "__mul__", "__rmul__", "__imul__", "mul_"}


@dataclass
class Op:
    """One recorded step: a leaf module call or a functional op, in execution order."""

    index: int
    name: str  # the module's path (`up1.conv.double_conv.0`), or scope + op (`up1.pad`)
    type: str  # the module's class (`Conv2d`), or Cat, Pad, Crop, Interpolate, Add, Mul, Stack, or the function
    scope: str  # the innermost module that is not a leaf (a block: `up1`), "" at the top
    inputs: tuple[int, ...]  # the ops that made the tensors read (MODEL_INPUT for the input)
    in_shapes: tuple[Shape, ...]
    out_shape: Shape
    params: int = 0  # the module's own parameters, counted at its first call only
    settings: dict[str, Any] = field(default_factory=dict)  # kernel_size, stride, padding, dilation, pad …
    error: str | None = None  # torch's message when this step raised
    alias: bool = False  # returned its input unchanged (Identity, Dropout in eval): later steps read that input


@dataclass
class Recording:
    ops: list[Op]
    input_shape: Shape
    total_params: int  # sum(p.numel()) over the model's parameters, shared ones once
    unattributed: tuple[str, ...]  # modules with parameters the forward never called, or params outside leaves
    unattributed_params: int
    seconds: float
    device: str

    @property
    def failure(self) -> Op | None:
        return next((op for op in self.ops if op.error), None)


class RecordFailed(Exception):
    """The forward raised; the recording so far (its last op carries torch's message) is attached."""

    def __init__(self, ops: list[Op]) -> None:
        super().__init__(ops[-1].error if ops else "")
        self.ops = ops


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors(item)]
    return []


MODULE_SETTINGS = ("kernel_size", "stride", "padding", "dilation", "output_padding", "groups", "ceil_mode",
                   "scale_factor", "mode", "output_size", "affine", "num_groups", "in_features")  # fmt: skip


class _Recorder(TorchFunctionMode):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.ops: list[Op] = []
        self.producer: dict[int, int] = {}
        self.keep: list[torch.Tensor] = []  # so that an id is never reused while recording
        self.leaf_depth = 0
        self.scopes: list[str] = []
        self.calls: dict[str, int] = {}
        self.counted: set[int] = set()
        self.pending: list[tuple[str, nn.Module, list[int], list[Shape]]] = []
        self.names = {id(m): name for name, m in model.named_modules()}
        self.leaves = {id(m) for m in model.modules() if not any(True for _ in m.children())}

    # --- tensors ---------------------------------------------------------------------------------------
    def source(self, t: torch.Tensor) -> int | None:
        return self.producer.get(id(t))

    def produced(self, value: Any, index: int) -> None:
        for t in _tensors(value):
            self.producer[id(t)] = index
            self.keep.append(t)

    def unique_name(self, base: str) -> str:
        n = self.calls.get(base, 0) + 1
        self.calls[base] = n
        return base if n == 1 else f"{base}#{n}"

    # --- modules -----------------------------------------------------------------------------------------
    def pre_hook(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        name = self.names.get(id(module), "?")
        if id(module) not in self.leaves:
            self.scopes.append(name)
            return
        if self.leaf_depth == 0:
            inputs = [t for t in _tensors(args) if self.source(t) is not None]
            self.pending.append((name, module, [self.source(t) for t in inputs], [tuple(t.shape) for t in inputs]))  # type: ignore[misc]
        self.leaf_depth += 1

    def post_hook(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if id(module) not in self.leaves:
            self.scopes.pop()
            return
        self.leaf_depth -= 1
        if self.leaf_depth:
            return
        name, _, sources, shapes = self.pending.pop()
        outs = _tensors(output)
        if not outs:
            return
        params = 0
        if id(module) not in self.counted:
            self.counted.add(id(module))
            params = sum(p.numel() for p in module.parameters())
        settings = {k: getattr(module, k) for k in MODULE_SETTINGS if hasattr(module, k)}
        op = Op(len(self.ops), self.unique_name(name), type(module).__name__, self.scope(), tuple(sources),
                tuple(shapes), tuple(outs[0].shape), params, settings)  # fmt: skip
        self.ops.append(op)
        if any(outs[0] is t for t in _tensors(args)) and not getattr(module, "inplace", False):
            op.alias = True  # Identity, or Dropout in eval: the same tensor, unchanged; its readers read its input
            return
        self.produced(output, op.index)

    def scope(self) -> str:
        return self.scopes[-1] if self.scopes else ""

    def module_failed(self, exc: BaseException) -> None:
        """A leaf module raised: record it, so the failure is reported at that layer."""
        if not self.pending:
            return
        name, module, sources, shapes = self.pending[-1]
        settings = {k: getattr(module, k) for k in MODULE_SETTINGS if hasattr(module, k)}
        self.ops.append(Op(len(self.ops), name, type(module).__name__, self.scope(), tuple(sources), tuple(shapes),
                           shapes[0] if shapes else (), 0, settings, error=_message(exc)))  # fmt: skip

    # --- functional ops ----------------------------------------------------------------------------------
    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if self.leaf_depth:
            return func(*args, **kwargs)
        inputs = [t for t in _tensors(args) + _tensors(kwargs) if self.source(t) is not None]
        try:
            out = func(*args, **kwargs)
        except Exception as exc:
            if inputs:
                kind, settings = _classify(func, args, kwargs, inputs, None)
                self.record(kind or _func_name(func), inputs, inputs[0].shape, settings, _message(exc))
            raise
        outs = _tensors(out)
        if not inputs or not outs or not isinstance(out, torch.Tensor):
            return out
        kind, settings = _classify(func, args, kwargs, inputs, out)
        if kind is None:  # shape-preserving and one input: the output stands for its input
            self.producer[id(out)] = self.source(inputs[0])  # type: ignore[assignment]
            self.keep.append(out)
            return out
        index = self.record(kind, inputs, out.shape, settings)
        self.produced(out, index)
        return out

    def record(self, kind: str, inputs: list[torch.Tensor], out_shape: Any, settings: dict[str, Any],
               error: str | None = None) -> int:  # fmt: skip
        scope = self.scope()
        base = f"{scope}.{kind.lower()}" if scope else kind.lower()
        op = Op(len(self.ops), self.unique_name(base), kind, scope, tuple(self.source(t) for t in inputs),  # type: ignore[misc]
                tuple(tuple(t.shape) for t in inputs), tuple(out_shape), 0, settings, error)  # fmt: skip
        self.ops.append(op)
        return op.index


def _message(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _func_name(func: Any) -> str:
    name = getattr(func, "__name__", str(func)).strip("_")
    return name[:1].upper() + name[1:]


def _classify(func: Any, args: Any, kwargs: dict[str, Any], inputs: list[torch.Tensor],
              out: torch.Tensor | None) -> tuple[str | None, dict[str, Any]]:  # fmt: skip
    """What a functional op is for the U (None: shape-preserving, one input, not worth a row)."""
    name = getattr(func, "__name__", "")
    if func in CAT:
        dim = kwargs.get("dim", args[1] if len(args) > 1 else 0)
        return "Cat", {"dim": dim}
    if func is torch.stack:
        return "Stack", {}
    if func is F.pad:
        pad = kwargs.get("pad", args[1] if len(args) > 1 else ())
        return "Pad", {"pad": tuple(int(p) for p in pad)}
    if func is F.interpolate:
        size = kwargs.get("size", args[1] if len(args) > 1 else None)
        scale = kwargs.get("scale_factor", args[2] if len(args) > 2 else None)
        mode = kwargs.get("mode", args[3] if len(args) > 3 else "nearest")
        return "Interpolate", {"size": size, "scale_factor": scale, "mode": mode}
    if name == "__getitem__" and out is not None and out.dim() == inputs[0].dim():
        if tuple(out.shape) != tuple(inputs[0].shape):
            return "Crop", {"index": _slices(args[1] if len(args) > 1 else None)}
        return None, {}
    distinct = {id(t) for t in inputs}
    if len(distinct) > 1 and name in JOIN_NAMES and out is not None:
        return ("Add" if "add" in name else "Mul"), {}
    if out is None or len(distinct) > 1 or tuple(out.shape) != tuple(inputs[0].shape):
        return _func_name(func), {}
    return None, {}


def _slices(index: Any) -> tuple[tuple[int | None, int | None], ...] | None:
    items = index if isinstance(index, tuple) else (index,)
    if not all(isinstance(i, slice) and i.step in (None, 1) for i in items):
        return None
    return tuple((s.start, s.stop) for s in items)


def parameter_owners(model: nn.Module) -> dict[int, str]:
    """Every parameter (by id) to the module that owns it, shared ones to the first."""
    owners: dict[int, str] = {}
    for name, module in model.named_modules():
        for p in module.parameters(recurse=False):
            owners.setdefault(id(p), name or type(model).__name__)
    return owners


def record(model: nn.Module, input_shape: Shape, device: str) -> Recording:
    """Run a zero input of `input_shape` (N, C, *spatial) through `model` on `device` (meta, cpu, cuda) in eval
    mode without gradients, recording every step. The model is not moved: it must already be on `device`.

    Raises RecordFailed (with the steps so far) when the forward raises."""
    recorder = _Recorder(model)
    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(recorder.pre_hook))
        handles.append(module.register_forward_hook(recorder.post_hook))
    x = torch.zeros(input_shape, device=device)
    recorder.producer[id(x)] = MODEL_INPUT
    start = time.perf_counter()
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FastMetaNorm() if device == "meta" else contextlib.nullcontext(), recorder:
            model(x)
    except Exception as exc:
        if not recorder.ops or not recorder.ops[-1].error:
            recorder.module_failed(exc)
        if not recorder.ops or not recorder.ops[-1].error:
            recorder.ops.append(Op(len(recorder.ops), "forward", "Forward", "", (), (), (), error=_message(exc)))
        raise RecordFailed(recorder.ops) from exc
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    seconds = time.perf_counter() - start
    called = {recorder.names[i] for i in recorder.counted}
    owners = parameter_owners(model)
    seen: set[int] = set()
    total = 0
    unattributed: dict[str, int] = {}
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        owner = owners.get(id(p), "?")
        if owner not in called:
            unattributed[owner] = unattributed.get(owner, 0) + p.numel()
    shown = tuple(itertools.islice(unattributed, 8))
    return Recording(recorder.ops, tuple(input_shape), total, shown, sum(unattributed.values()), seconds, device)
