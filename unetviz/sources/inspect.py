"""`unetviz inspect`: trace any PyTorch model, find its levels and skips, and report it like a config.

`load_model(target, kwargs)` imports only the file or module the user named and calls the factory in it (that
runs the user's code, which is what they asked for); `inspect(model, input_shape)` records a forward pass of a
zero input (meta by default: shapes only, no memory), finds the U and returns an `Inspection`.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unetviz.core.config import UNetConfig, load_preset, preset_names
from unetviz.core.errors import ConfigError, TraceError
from unetviz.core.inspection import FoundSkip, Inspection
from unetviz.core.records import Layer, Level, ShapeWarning, amounts_text, axis_names, size_text
from unetviz.core.shapes import analyze_shapes
from unetviz.core.tiles import ValidSizes
from unetviz.network.meta_speed import warm_up_meta
from unetviz.network.recorder import Op, RecordFailed, Recording, record
from unetviz.sources.inspect_layers import join_amounts, layer_of
from unetviz.sources.u_shape import UShape, find_u

TARGET_FORM = "package.module:factory or path/to/file.py:factory (a class or a function returning an nn.Module)"
VALID_SIZES_SHOWN = 6
SEARCH_SECONDS = 3.0  # the valid-size search re-traces candidates on meta until this much time is spent
SIGNATURE_TYPES = ("Conv", "ConvTranspose", "MaxPool", "AvgPool", "BatchNorm", "InstanceNorm", "GroupNorm",
                   "Upsample", "Interpolate")  # fmt: skip


# --- the model ---------------------------------------------------------------------------------------------
def _import_file(path: Path) -> Any:
    """Import a .py file; inside a package (folders with __init__.py) as that package's module, so that its
    relative imports work."""
    path = path.resolve()
    root, parts = path.parent, [path.stem]
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    if len(parts) > 1:
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        return importlib.import_module(".".join(parts))
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))  # its sibling modules, as `python file.py` would see them
    name = f"unetviz_inspected_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError("target", str(path), TARGET_FORM)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    spec.loader.exec_module(module)
    return module


def load_factory(target: str) -> Any:
    """The callable `target` names. Imports only that file or module; every failure is one ConfigError."""
    where, sep, attribute = target.rpartition(":")
    if not sep or not where or not attribute:
        raise ConfigError("target", target, TARGET_FORM)
    try:
        if where.endswith(".py") or "/" in where or "\\" in where:
            path = Path(where)
            if not path.is_file():
                raise ConfigError("target", target, f"an existing .py file: {where} does not exist")
            module = _import_file(path)
        else:
            if "" not in sys.path and str(Path.cwd()) not in sys.path:
                sys.path.insert(0, str(Path.cwd()))  # as `python -m` would: the current folder's packages
            module = importlib.import_module(where)
    except ConfigError:
        raise
    except BaseException as exc:  # the user's module may raise anything, SystemExit included
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ConfigError("target", target, TARGET_FORM, f"target: importing {where} raised "
                          f"{type(exc).__name__}: {_one_line(exc)}") from None  # fmt: skip
    factory: Any = module
    for part in attribute.split("."):
        if not hasattr(factory, part):
            raise ConfigError("target", target, f"a name defined in {where}: it has no {attribute!r}")
        factory = getattr(factory, part)
    if not callable(factory):
        raise ConfigError("target", target, f"a class or function: {attribute} is a {type(factory).__name__}")
    return factory


def load_model(target: str, kwargs: dict[str, Any] | None = None, device: str = "meta") -> nn.Module:
    """Call `target`'s factory with `kwargs`, building the parameters on `device` (meta: no memory)."""
    factory = load_factory(target)
    kwargs = kwargs or {}
    try:
        with torch.device(device):
            model = factory(**kwargs)
    except Exception as exc:
        if device == "meta":  # some constructors read tensor values (torch.tensor(...).item()): build, then move
            return load_model(target, kwargs, "cpu").to("meta")
        raise ConfigError("kwargs", kwargs, f"the arguments {target} accepts", f"kwargs: {target}(**{kwargs}) "
                          f"raised {type(exc).__name__}: {_one_line(exc)}") from None  # fmt: skip
    if not isinstance(model, nn.Module):
        raise ConfigError("target", target, f"a factory that returns a torch.nn.Module: it returned an object of "
                          f"type {type(model).__name__!r}")  # fmt: skip
    return model


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _on_device(model: nn.Module, device: str) -> nn.Module:
    """The model on `device`: itself when already there, else a copy (the caller's model is never moved)."""
    current = next((p.device.type for p in model.parameters()), None)
    if current in (None, device):
        return model
    return copy.deepcopy(model).to(device)


# --- the inspection ----------------------------------------------------------------------------------------
def _record(model: nn.Module, input_shape: tuple[int, ...], device: str) -> tuple[Recording, str | None]:
    try:
        return record(model, input_shape, device), None
    except RecordFailed as failed:
        ops = failed.ops
        error = ops[-1]
        return Recording(ops, input_shape, sum(p.numel() for p in model.parameters()), (), 0, 0.0, device), (
            f"{error.name}: {error.error}"
        )


def inspect(model: nn.Module, input_shape: tuple[int, ...] | list[int], device: str = "meta",
            name: str | None = None, target: str = "<module>", kwargs: dict[str, Any] | None = None,
            valid_sizes: bool = True) -> Inspection:  # fmt: skip
    """Record `model`'s forward pass on a zero input of `input_shape` (N, C, *spatial) and find its U.

    device: meta (default; shapes only), cpu or cuda. A model elsewhere is copied there, never moved.
    Raises ConfigError for an input shape that is not N, C and 1–3 spatial sizes."""
    input_shape = tuple(int(v) for v in input_shape)
    if not 3 <= len(input_shape) <= 5 or any(v < 1 for v in input_shape):
        raise ConfigError("input_size", list(input_shape), "N,C and 1 to 3 spatial sizes, each ≥ 1 (1,3,572,572)")
    if device not in ("meta", "cpu", "cuda"):
        raise ConfigError("device", device, "meta, cpu or cuda")
    if device == "cuda" and not torch.cuda.is_available():
        raise TraceError("device: 'cuda' is not available on this machine (torch sees no GPU); use meta or cpu")
    model = _on_device(model, device)
    if device == "meta":
        warm_up_meta(len(input_shape) - 2)
    recording, failure = _record(model, input_shape, device)
    ushape = find_u(recording.ops, input_shape, failed=failure is not None)
    layers, warnings = _layers(recording, ushape)
    skips = _skips(recording.ops, ushape)
    warnings += _join_warnings(skips, layers, recording, input_shape, failure)
    found = Inspection(
        name or type(model).__name__, target, tuple(layers), _levels(recording, ushape, skips), tuple(skips),
        tuple(warnings), input_shape, recording.total_params, device, recording.seconds, ushape.found,
        ushape.reason, failure, unattributed=recording.unattributed, kwargs=dict(kwargs or {}),
        resolutions=ushape.resolutions,
        edges=tuple((recording.ops[i].name if i >= 0 else "input", op.name) for op in recording.ops for i in op.inputs),
    )  # fmt: skip
    matched, differs = match_config(found)
    sizes: tuple[ValidSizes, ...] = ()
    if valid_sizes and failure is None and len(found.output_shape) == len(input_shape):
        meta = model if device == "meta" else _on_device(model, "meta")
        sizes = tuple(_valid_sizes(meta, input_shape, _stride_products(ushape, len(input_shape) - 2)))
    return Inspection(**{**found.__dict__, "matched": matched, "differs": differs, "valid_sizes": sizes})


def _layers(recording: Recording, ushape: UShape) -> tuple[list[Layer], list[ShapeWarning]]:
    warnings: list[ShapeWarning] = []
    layers = [layer_of(op, block, level, warnings)
              for op, block, level in zip(recording.ops, ushape.blocks, ushape.levels, strict=True)]  # fmt: skip
    return layers, warnings


def _skips(ops: list[Op], ushape: UShape) -> list[FoundSkip]:
    out = []
    for skip in ushape.skips:
        source = ops[skip.source].name if skip.source >= 0 else "input"
        amounts = join_amounts(ops[skip.adjust]) if skip.adjust is not None else None
        moved = amounts is not None and any(a or b for a, b in amounts)
        adjust = ("pad" if ops[skip.adjust].type == "Pad" else "crop") if skip.adjust is not None and moved else "none"
        out.append(FoundSkip(skip.level, source, ops[skip.join].name, skip.kind, adjust,
                             skip.adjusted if adjust != "none" else "", amounts))  # fmt: skip
    return out


def _join_warnings(skips: list[FoundSkip], layers: list[Layer], recording: Recording, input_shape: tuple[int, ...],
                   failure: str | None) -> list[ShapeWarning]:  # fmt: skip
    warnings = []
    for skip in skips:
        if skip.adjust != "none" and skip.amounts is not None:
            kind = "skip-crop" if skip.adjust == "crop" else "skip-pad"
            which = "the skip" if skip.adjusted == "skip" else "the up-sampled map"
            done = "padded" if skip.adjust == "pad" else "cropped"
            warnings.append(ShapeWarning(kind, skip.join, f"level {skip.level}: {which} is {done} "
                                         f"({amounts_text(skip.amounts)}) to join at {skip.join}"))  # fmt: skip
    failed = next((layer for layer in layers if layer.error), None)
    if failed is not None and failure:
        kind = "concat-fails" if failed.type == "Cat" else "forward-fails"
        warnings.append(ShapeWarning(kind, failed.name, f"{failed.name} fails: {failed.error}"))
    if layers and not failure:
        out = layers[-1].out_shape
        if len(out) == len(input_shape) and any(o < i for o, i in zip(out[2:], input_shape[2:], strict=True)):
            warnings.append(ShapeWarning("shrink", None, f"the output {size_text(out[2:])} is smaller than the "
                                         f"input {size_text(input_shape[2:])}"))  # fmt: skip
    if recording.unattributed:
        names = ", ".join(recording.unattributed)
        warnings.append(ShapeWarning("unattributed", None, f"{recording.unattributed_params:,} parameters belong "
                                     f"to modules this forward pass never called ({names}): counted in the total, "
                                     "in no row (deep-supervision heads run only in training)"))  # fmt: skip
    return warnings


def _levels(recording: Recording, ushape: UShape, skips: list[FoundSkip]) -> tuple[Level, ...]:
    if not ushape.found:
        return ()
    ops = recording.ops
    by_level = {skip.level: skip for skip in skips}
    levels = []
    for level in range(ushape.depth + 1):
        enc = [op for op, b in zip(ops, ushape.blocks, strict=True) if b == ("bottleneck" if level == ushape.depth
               and f"enc{level}" not in ushape.blocks else f"enc{level}")]  # fmt: skip
        dec = [op for op, b in zip(ops, ushape.blocks, strict=True) if b == f"dec{level}"]
        enc_shape = enc[-1].out_shape if enc else recording.input_shape if level == 0 else None
        if enc_shape is None:
            continue
        skip = by_level.get(level)
        dec_shape = dec[-1].out_shape if dec else None
        levels.append(Level(level, enc_shape[1], enc_shape[2:], dec_shape[1] if dec_shape else None,
                            dec_shape[2:] if dec_shape else None, skip.adjust if skip else "none",
                            skip.amounts if skip and skip.adjust != "none" else None))  # fmt: skip
    return tuple(levels)


# --- is it exactly a config? ---------------------------------------------------------------------------------
def _signature(layers: tuple[Layer, ...]) -> list[tuple[str, tuple[int, ...], int]]:
    return [(layer.type, layer.out_shape, layer.params) for layer in layers if layer.type.startswith(SIGNATURE_TYPES)]


def _level_sizes(levels: tuple[Level, ...]) -> list[tuple[Any, ...]]:
    return [(lv.level, lv.encoder_channels, lv.encoder_size, lv.decoder_channels, lv.decoder_size) for lv in levels]


def match_config(found: Inspection) -> tuple[UNetConfig | None, tuple[str, ...]]:
    """The preset (at the model's input size, channels and classes) whose layers, shapes and parameter count
    are exactly the model's; else how the nearest preset differs."""
    if found.failure or not found.u_found:
        return None, ()
    ours = _signature(found.layers)
    n, c = found.input_shape[:2]
    spatial = found.input_shape[2:]
    best: tuple[int, str, str] | None = None
    for preset in preset_names():
        cfg = load_preset(preset)
        if cfg.dims != len(spatial):
            continue
        try:
            cfg = cfg.replace(in_channels=c, num_classes=found.output_shape[1], input_size=spatial, batch_size=n)
            theirs_analysis = analyze_shapes(cfg)
            theirs_layers = theirs_analysis.layers
        except ConfigError:
            continue
        theirs = _signature(theirs_layers)
        total = sum(layer.params for layer in theirs_layers)
        # the same layers in any order (nnU-Net's residual blocks run the shortcut first), the same levels
        if (
            sorted(theirs) == sorted(ours)
            and total == found.total_params
            and _level_sizes(found.levels) == (_level_sizes(theirs_analysis.levels))
        ):
            return cfg, ()
        common = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), min(len(ours),
                      len(theirs)))  # fmt: skip
        if best is None or common > best[0]:
            best = (common, preset, _difference(found, ours, theirs, common, preset, total))
    return None, (best[2],) if best else ()


def _difference(found: Inspection, ours: list[Any], theirs: list[Any], i: int, preset: str, total: int) -> str:
    def said(entry: tuple[str, tuple[int, ...], int] | None) -> str:
        if entry is None:
            return "nothing"
        kind, shape, params = entry
        return f"{kind} {shape[1]} × {size_text(shape[2:])} ({params:,} params)"

    if ours == theirs:
        return f"nearest preset {preset}: same layers, but {found.total_params:,} parameters vs {total:,}"
    mine = ours[i] if i < len(ours) else None
    other = theirs[i] if i < len(theirs) else None
    return f"nearest preset {preset}: the same first {i} layers; then yours has {said(mine)}, {preset} {said(other)}"


# --- valid input sizes -------------------------------------------------------------------------------------
def _fits(model: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """The output size for an input `shape`, or None when the forward fails or a down-sampling drops rows."""
    try:
        recording = record(model, shape, "meta")
    except RecordFailed:
        return None
    warnings: list[ShapeWarning] = []
    ushape = find_u(recording.ops, shape)
    for op, level in zip(recording.ops, ushape.levels, strict=True):
        layer_of(op, "", level, warnings)
        if warnings:
            return None
    last = recording.ops[-1].out_shape if recording.ops else shape
    return last[2:] if len(last) == len(shape) else ()


def _stride_products(ushape: UShape, n: int) -> tuple[int, ...]:
    """Per axis, the largest whole stride any step of the inspected pass reaches: the period valid sizes usually
    repeat with."""
    scales = [s for s in ushape.scales if s is not None]
    return tuple(max([1, *(int(s[axis]) for s in scales)]) for axis in range(n))


def _valid_sizes(model: nn.Module, input_shape: tuple[int, ...], periods: tuple[int, ...]) -> list[ValidSizes]:
    """Per input axis (all axes together when they are equal): the nearby sizes a forward pass takes without
    dropping rows, by re-tracing candidates on meta; bounded by SEARCH_SECONDS."""
    spatial = input_shape[2:]
    deadline = time.perf_counter() + SEARCH_SECONDS
    rules: dict[tuple[int, int], list[int]] = {}  # axes with one size and one period are searched together
    for axis, (size, period) in enumerate(zip(spatial, periods, strict=True)):
        rules.setdefault((size, period), []).append(axis)
    groups = [tuple(axes) for axes in rules.values()]
    out = []
    for axes in groups:
        near = spatial[axes[0]]
        period = periods[axes[0]]

        def shape_for(size: int, axes: tuple[int, ...] = axes) -> tuple[int, ...]:
            return (*input_shape[:2], *(size if a in axes else h for a, h in enumerate(spatial)))

        found: dict[int, int] = {}
        anchor = None
        for offset in range(period + 1):  # the first size that fits, nearest first
            for size in sorted({near - offset, near + offset}):
                if size >= 1 and time.perf_counter() < deadline and (result := _fits(model, shape_for(size))):
                    anchor = anchor or size
                    found[size] = result[axes[0]]
            if anchor:
                break
        if anchor:
            for k in range(1, VALID_SIZES_SHOWN * 2):
                for size in (anchor - k * period, anchor + k * period):
                    if len(found) >= VALID_SIZES_SHOWN or time.perf_counter() > deadline or size < 1:
                        continue
                    if result := _fits(model, shape_for(size)):
                        found[size] = result[axes[0]]
        sizes = tuple(sorted(found.items(), key=lambda item: (abs(item[0] - near), item[0]))[:VALID_SIZES_SHOWN])
        names = tuple(axis_names(len(spatial))[a] for a in axes) if len(groups) > 1 else ()
        out.append(ValidSizes(names, near, tuple(sorted(sizes))))
    return out
