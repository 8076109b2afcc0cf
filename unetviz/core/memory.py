"""Training memory you can plan with: weights, gradients, optimizer state and the activations autograd keeps for
backward, counted per layer type from the analysis (no torch), and the largest batch and patch that fit.

What each layer keeps for backward (PyTorch autograd, `torch/csrc/autograd/generated` and the cuDNN kernels):
- conv and transposed conv: their input (for the weight gradient);
- batch, instance and group norm: their input (the per-channel statistics are negligible);
- ReLU, LeakyReLU, ELU, GELU: their output (ReLU, in place) or input (GELU); PReLU: its input;
- max pool: its input and the argmax indices (int64, 8 bytes per output element); avg pool: its input (its
  derivative formula takes the input, though it reads only its shape: `avg_pool2d` in derivatives.yaml);
- dropout: its mask, 1 byte per element (CUDA's fused `native_dropout` keeps a bool mask; on the CPU and on meta
  torch multiplies by a float mask, 4 bytes); concat, crop, pad, add, interpolation: nothing of size.
A tensor kept by two layers (a ReLU's output that the next conv reads) is counted once. `tests/test_memory.py` holds
these rules to what torch's autograd saves (`network/saved_tensors.py`) on every preset and on variants. On top of
what is kept, the peak holds the largest two activations' worth of gradients at the start of backward, and the loss
keeps the softmax of the logits. Mixed precision (AMP, autocast) keeps conv inputs and outputs in float16 (2 bytes);
the weights stay float32 with float32 gradients. Adam keeps two float32 states per weight, SGD with momentum one
(nnU-Net trains with SGD, momentum 0.99).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError
from unetviz.core.records import Layer
from unetviz.core.shapes import analyze_shapes

PRECISIONS = ("fp32", "amp")
OPTIMIZERS = ("adam", "sgd")
OPTIMIZER_STATES = {"adam": 2, "sgd": 1}
UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6, "mib": 2**20,
         "g": 2**30, "gb": 10**9, "gib": 2**30, "t": 2**40, "tb": 10**12, "tib": 2**40}  # fmt: skip
MAX_BATCH = 4096


def parse_bytes(text: str, field: str = "--gpu-memory") -> int:
    """`24GiB`, `24 GB`, `80g`, `16000000000`: bytes. A bare number is bytes, so one under a mebibyte (`24`, meant
    as 24 GiB) is refused rather than read as a GPU of 24 bytes. Raises ConfigError naming `field`."""
    raw = text.strip().lower().replace(" ", "")
    number = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(number) :]
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in UNITS or not math.isfinite(value) or value <= 0:
        raise ConfigError(field, text, "a size such as 24GiB, 80GB or 16000000000 (bytes)")
    if unit == "" and value < UNITS["mib"]:
        raise ConfigError(field, text, f"a size with its unit, such as {number}GiB or {number}GB (a bare number is "
                                       "bytes)")  # fmt: skip
    return int(value * UNITS[unit])


@dataclass(frozen=True)
class MemoryItem:
    what: str  # weights, gradients, optimizer state, activations kept for backward: conv inputs, …
    bytes: int


@dataclass(frozen=True)
class MemoryEstimate:
    config: UNetConfig
    precision: str
    optimizer: str
    items: tuple[MemoryItem, ...]

    @property
    def total(self) -> int:
        return sum(item.bytes for item in self.items)

    def to_dict(self) -> dict[str, object]:
        return {"batch_size": self.config.batch_size, "input_size": list(self.config.input_size),
                "precision": self.precision, "optimizer": self.optimizer, "total_bytes": self.total,
                "items": [{"what": i.what, "bytes": i.bytes} for i in self.items]}  # fmt: skip


def _kept(layer: Layer, producer: int | None, act_bytes: int, index: int) -> list[tuple[str, object, int]]:
    """(kind, tensor key, bytes) that `layer` keeps for backward; the key says which tensor, so that two layers
    keeping one tensor count it once. Keys: ("out", i) layer i's output; ("input", shape) a map no layer made (the
    network's input, which a stem and a residual shortcut both read) — `producer` is the latest layer whose output
    has the input's shape."""
    elements_in, elements_out = math.prod(layer.in_shape), math.prod(layer.out_shape)
    source: object = ("out", producer) if producer is not None else ("input", layer.in_shape)
    kind = layer.type
    if kind.startswith(("Conv", "ConvTranspose")):
        return [("conv inputs", source, elements_in * act_bytes)]
    if kind.startswith(("BatchNorm", "InstanceNorm", "GroupNorm")):
        return [("norm inputs", source, elements_in * 4)]  # norms run in float32 under autocast
    if kind in ("ReLU", "LeakyReLU", "ELU"):
        return [("activation outputs", ("out", index), elements_out * act_bytes)]
    if kind in ("GELU", "PReLU"):
        return [("activation inputs", source, elements_in * act_bytes)]
    if kind.startswith("MaxPool"):
        return [("pool inputs", source, elements_in * act_bytes), ("pool indices", ("idx", index), elements_out * 8)]
    if kind.startswith("AvgPool"):
        return [("pool inputs", source, elements_in * act_bytes)]
    if kind == "Dropout":
        return [("dropout masks", ("mask", index), elements_out)]
    return []


def estimate(cfg: UNetConfig, precision: str = "fp32", optimizer: str = "adam") -> MemoryEstimate:
    """The memory one training step of `cfg` (its batch_size and input_size) needs on a GPU, by item.

    Raises ConfigError for an unknown precision or optimizer, or a config the analysis refuses."""
    if precision not in PRECISIONS:
        raise ConfigError("--precision", precision, " or ".join(PRECISIONS))
    if optimizer not in OPTIMIZERS:
        raise ConfigError("--optimizer", optimizer, " or ".join(OPTIMIZERS))
    shapes = analyze_shapes(cfg)
    params = shapes.total_params
    act_bytes = 2 if precision == "amp" else 4
    kept: dict[object, tuple[str, int]] = {}
    layers = shapes.layers
    # A layer reads the latest map of its input's shape: the previous layer's output in a chain, and past a deep-
    # supervision head or a residual branch the map the head or branch also read (counted once, as torch keeps it).
    latest: dict[tuple[int, ...], int] = {}
    for index, layer in enumerate(layers):
        for kind, key, size in _kept(layer, latest.get(layer.in_shape), act_bytes, index):
            kept.setdefault(key, (kind, size))
        latest[layer.out_shape] = index
    by_kind: dict[str, int] = {}
    for kind, size in kept.values():
        by_kind[kind] = by_kind.get(kind, 0) + size
    largest = max((math.prod(layer.out_shape) for layer in layers), default=0)
    logits = math.prod(shapes.output_shape)
    states = OPTIMIZER_STATES[optimizer]
    items = [
        MemoryItem("weights (float32)", params * 4),
        MemoryItem("gradients (float32)", params * 4),
        MemoryItem(f"optimizer state ({optimizer}: {states} per weight)", params * 4 * states),
        *(MemoryItem(f"kept for backward: {kind}", size) for kind, size in sorted(by_kind.items())),
        MemoryItem("loss: softmax of the logits (float32)", logits * 4),
        MemoryItem("backward's first gradients: the two largest maps", 2 * largest * act_bytes),
    ]
    if precision == "amp":
        items.append(MemoryItem("float16 copies of the weights (autocast)", params * 2))
    return MemoryEstimate(cfg, precision, optimizer, tuple(items))


def kept_bytes(est: MemoryEstimate) -> int:
    """The estimate's kept-for-backward items, together: the part torch's autograd can be asked about."""
    return sum(item.bytes for item in est.items if item.what.startswith("kept for backward"))


def kept_in_float32(cfg: UNetConfig) -> int:
    """`kept_bytes` in float32, the precision a meta forward runs in (autocast does not run on meta): the figure
    `network/saved_tensors.kept_for_backward` is compared with."""
    return kept_bytes(estimate(cfg, "fp32"))


def percent_off(estimated: int, measured: int) -> float:
    """(estimated − measured) / measured in %, to one decimal; 0.0 (never −0.0) when they agree or nothing was
    measured."""
    return round((estimated - measured) / measured * 100, 1) + 0.0 if measured else 0.0


@dataclass(frozen=True)
class Plan:
    estimate: MemoryEstimate
    budget: int
    largest_batch: int  # at the config's input size; 0 when not even batch 1 fits
    largest_patch: tuple[tuple[str, int, int], ...]  # per axis group: (axes, size, its training bytes) at batch 1
    fixed_bytes: int = 0  # what any batch needs: weights, gradients, optimizer state (and fp16 copies)
    per_sample_bytes: int = 0  # what each sample of the batch adds: what it keeps for backward, its loss, …
    next_patch: tuple[tuple[str, int, int], ...] = ()  # per axis group: the next valid size and its bytes (too many)


def batch_arithmetic(result: Plan, gib: Callable[[int], str]) -> str:
    """How the largest batch was found, in the sizes `gib` writes: `0.50 GiB + 31 × 0.76 GiB = 23.92 GiB; 32 would
    need 24.68 GiB` (the estimate is linear in the batch: a fixed part and a part per sample)."""
    batch, fixed, each = result.largest_batch, result.fixed_bytes, result.per_sample_bytes
    over = batch + 1
    if batch == 0:
        return f"{gib(fixed)} + 1 × {gib(each)} = {gib(fixed + each)}"
    return f"{gib(fixed)} + {batch} × {gib(each)} = {gib(fixed + batch * each)}; {over} would need " + gib(
        fixed + over * each
    )


def patch_arithmetic(result: Plan, axes: str, gib: Callable[[int], str]) -> str:
    """`the next valid size, 2896, would need 24.05 GiB`: why the largest patch on `axes` is the largest."""
    for name, size, used in result.next_patch:
        if name == axes:
            return f"the next valid size, {size}, would need {gib(used)}"
    return ""


def _fits(cfg: UNetConfig, budget: int, precision: str, optimizer: str) -> int | None:
    try:
        total = estimate(cfg, precision, optimizer).total
    except ConfigError:
        return None
    return total if total <= budget else None


def plan(cfg: UNetConfig, budget: int, precision: str = "fp32", optimizer: str = "adam") -> Plan:
    """The estimate at `cfg`'s own batch and size; the largest batch that fits `budget` bytes at its input size;
    and per axis the largest valid input size that fits at batch size 1 (the others as they are), as nnU-Net's
    planner trades patch for batch but with the arithmetic shown."""
    from unetviz.core.tiles import encoder_input, valid_sizes_per_axis

    current = estimate(cfg, precision, optimizer)
    one = estimate(cfg.replace(batch_size=1), precision, optimizer).total
    two = estimate(cfg.replace(batch_size=2), precision, optimizer).total
    per_sample = max(1, two - one)
    batch = 0 if one > budget else min(MAX_BATCH, 1 + (budget - one) // per_sample)
    while batch > 1 and _fits(cfg.replace(batch_size=batch), budget, precision, optimizer) is None:
        batch -= 1
    names = ("D", "H", "W")[3 - cfg.dims :]
    patches, beyond = [], []
    single = cfg.replace(batch_size=1)
    for group in valid_sizes_per_axis(cfg, 1):
        axes = [names.index(a) for a in group.axes] if group.axes else list(range(cfg.dims))

        def used(bottom: int, axes: list[int] = axes) -> tuple[int, int] | None:
            """(input size, bytes) with the bottom map `bottom` on `axes`, when it is valid and fits."""
            size = encoder_input(cfg, bottom, axes[0])
            if size < 1:
                return None
            sizes = tuple(size if a in axes else s for a, s in enumerate(cfg.input_size))
            fits = _fits(single.replace(input_size=sizes), budget, precision, optimizer)
            return (size, fits) if fits is not None else None

        # memory grows with the size: the first bottom that fits, then double, then halve the gap
        low = next((b for b in range(1, 65) if used(b) is not None), None)
        if low is None:
            patches.append(("×".join(group.axes) or "×".join(names), 0, 0))
            continue
        high = low * 2
        while used(high) is not None and high < 1 << 20:
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if used(middle) is not None else (low, middle)
        best = used(low)
        assert best is not None
        patches.append(("×".join(group.axes) or "×".join(names), *best))
        size = encoder_input(cfg, high, axes[0])
        sizes = tuple(size if a in axes else s for a, s in enumerate(cfg.input_size))
        try:
            needs = estimate(single.replace(input_size=sizes), precision, optimizer).total
            beyond.append((patches[-1][0], size, needs))
        except ConfigError:  # past what the analysis takes: no next size to show
            pass
    return Plan(current, budget, batch, tuple(patches), one - per_sample, per_sample, tuple(beyond))
