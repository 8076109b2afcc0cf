"""Find the U in a recorded forward pass: each step's resolution relative to the input, the levels, the encoder
and decoder stages, and the skips (a tensor kept at a level and joined later at that level), with the crop or
pad at each join. Pure Python over the recorded steps; no torch.

The rules, in order:
- scale: a step's stride per axis relative to the input, from its own stride (conv, pool), its up-sampling
  (transposed conv, interpolate) or, for anything else, the ratio of its input and output sizes;
- level: the rank of that scale among all scales seen, the input's being 0 (anisotropic 1×2×2 ranks as one);
- skip: an input of a concat (or add) whose tensor the join's other input was computed from, and the path went
  deeper than the join's level in between (a concat at the deepest level counts too: MONAI's innermost skip);
  an add at one level with nothing deeper in between is a residual shortcut, not a skip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

Shape = tuple[int, ...]
Scale = tuple[Fraction, ...]
MODEL_INPUT = -1
JOINS = ("Cat", "Add", "Stack")
ADJUSTS = ("Pad", "Crop")


class Step(Protocol):
    index: int
    name: str
    type: str
    scope: str
    inputs: tuple[int, ...]
    in_shapes: tuple[Shape, ...]
    out_shape: Shape
    settings: dict[str, Any]


@dataclass(frozen=True)
class Skip:
    level: int
    source: int  # the step whose output is kept (its index)
    join: int  # the concat or add that joins it
    kind: str  # concat or add
    adjust: int | None  # the crop or pad applied on the way to the join
    adjusted: str  # which input the crop or pad is applied to: skip or up (the up-sampled map), or ""


@dataclass(frozen=True)
class UShape:
    levels: tuple[int, ...]  # per step
    scales: tuple[Scale | None, ...]  # per step; None where the output is no longer a map (flatten, linear)
    blocks: tuple[str, ...]  # per step: enc{k}, bottleneck, dec{k}, ds{k} (a side output), head, or chain
    skips: tuple[Skip, ...]
    found: bool
    reason: str  # why no U was found, else ""
    resolutions: tuple[str, ...] = ()  # per level from 0: `1`, `1/2`, or per axis `1/(1×2×2)`

    @property
    def depth(self) -> int:
        return max(self.levels, default=0)


def _scale_step(step: Step, before: Scale) -> Scale | None:
    n = len(before)
    out = step.out_shape
    if len(out) != n + 2:
        return None
    spatial_in = step.in_shapes[0][2:] if step.in_shapes else out[2:]
    if len(spatial_in) != n:
        return None
    if tuple(spatial_in) == tuple(out[2:]):
        return before
    stride = step.settings.get("stride")
    if step.type.startswith("ConvTranspose") and stride is not None:
        return tuple(b / s for b, s in zip(before, _axes(stride, n), strict=True))
    if stride is not None and step.type.startswith(("Conv", "MaxPool", "AvgPool", "LPPool")):
        return tuple(b * s for b, s in zip(before, _axes(stride, n), strict=True))
    return tuple(b * _ratio(h, o) for b, h, o in zip(before, spatial_in, out[2:], strict=True))


def _axes(value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)[:n] if len(value) >= n else (int(value[0]),) * n
    return (int(value),) * n


def _ratio(h: int, o: int) -> Fraction:
    """A size change as a whole stride (572 → 570 is 1, 568 → 284 is 2, 28 → 56 is 1/2)."""
    if o <= 0 or h <= 0:
        return Fraction(1)
    if h >= o:
        return Fraction(max(1, round(h / o)))
    return Fraction(1, max(1, round(o / h)))


def _levels(scales: list[Scale | None], input_scale: Scale) -> list[int]:
    distinct = sorted({s for s in scales if s is not None} | {input_scale}, key=lambda s: (math.prod(s), s))
    rank = {s: i - distinct.index(input_scale) for i, s in enumerate(distinct)}
    levels: list[int] = []
    for scale in scales:
        levels.append(rank[scale] if scale is not None else (levels[-1] if levels else 0))
    return levels


def _ancestors(steps: Sequence[Step], index: int, stop: int) -> set[int]:
    """Every step `index` was computed from, back to (not past) step `stop`."""
    seen: set[int] = set()
    todo = [index]
    while todo:
        i = todo.pop()
        for source in steps[i].inputs:
            if source >= stop and source not in seen:
                seen.add(source)
                todo.append(source)
    return seen


def _origin(steps: Sequence[Step], index: int) -> tuple[int, int | None]:
    """Back through a crop or pad: the step that made the tensor, and the adjusting step (or None)."""
    if index >= 0 and steps[index].type in ADJUSTS and steps[index].inputs:
        return steps[index].inputs[0], index
    return index, None


def find_skips(steps: Sequence[Step], levels: list[int]) -> list[Skip]:
    deepest = max(levels, default=0)
    skips = []
    for join in steps:
        if join.type not in JOINS or len(set(join.inputs)) < 2:
            continue
        level = levels[join.index]
        origins = [_origin(steps, i) for i in join.inputs]
        for position, (source, adjust) in enumerate(origins):
            others = [o for k, o in enumerate(origins) if k != position]
            later = [o for o, _ in others if o > source]
            if not later or (source != MODEL_INPUT and levels[source] != level):
                continue
            if not all(source in _ancestors(steps, o, source) or o == source for o in later):
                continue
            between = levels[source + 1 : join.index]
            deeper = max(between, default=level) > level
            bottom = join.type != "Add" and level == deepest and deepest > 0
            if not (deeper or bottom):
                continue
            other_adjust = next((a for _, a in others if a is not None), None)
            which, used = ("skip", adjust) if adjust is not None else ("up", other_adjust)
            kind = "add" if join.type == "Add" else "concat"
            skips.append(Skip(level, source, join.index, kind, used, which if used is not None else ""))
            break
    return skips


def find_u(steps: Sequence[Step], input_shape: Shape, failed: bool = False) -> UShape:
    """The levels, stages and skips of a recorded forward pass (steps in execution order)."""
    n = len(input_shape) - 2
    input_scale: Scale = (Fraction(1),) * n
    scales: list[Scale | None] = []
    for step in steps:
        source = step.inputs[0] if step.inputs else MODEL_INPUT
        before = input_scale if source == MODEL_INPUT else scales[source]
        scales.append(_scale_step(step, before) if before is not None else None)
    levels = _levels(scales, input_scale)
    skips = find_skips(steps, levels)
    output_level = levels[-1] if levels else 0
    reason = ""
    if not skips and failed:
        reason = "no U found: the forward pass failed before any skip was joined"
    elif not skips:
        reason = "no U found: no tensor is kept at a level and joined there after a deeper path"
    elif output_level != 0 and scales[-1] is not None and not failed:
        reason = f"no U found: the output ends at level {output_level}, not at the input's resolution"
    found = not reason
    blocks = _blocks(steps, levels, skips) if found else ["chain"] * len(steps)
    by_level = {level: scale for level, scale in zip(levels, scales, strict=True) if scale is not None}
    resolutions = tuple(_resolution(by_level[k]) for k in range(max(by_level, default=-1) + 1) if k in by_level)
    return UShape(tuple(levels), tuple(scales), tuple(blocks), tuple(skips), found, reason, resolutions)


def _resolution(scale: Scale) -> str:
    """A level's resolution relative to the input: `1`, `1/4`, or per axis `1/(1×2×2)`."""
    if len(set(scale)) == 1:
        s = scale[0]
        return "1" if s == 1 else f"1/{s}" if s.denominator == 1 else str(1 / s)
    return "1/(" + "×".join(str(s) for s in scale) + ")"


def _top(step: Step) -> str:
    return step.name.split(".")[0]


def _blocks(steps: Sequence[Step], levels: list[int], skips: list[Skip]) -> list[str]:
    """enc{k} before the deepest level, bottleneck at it, dec{k} after; a skip kept at the deepest level keeps
    its stage in the encoder. Trailing steps outside the last join's top-level module are the head."""
    deepest = max(levels)
    first_bottom = levels.index(deepest)
    deepest_sources = [s.source for s in skips if s.level == deepest]
    bottom_start = max(deepest_sources) + 1 if deepest_sources else first_bottom
    rising = next((i for i in range(bottom_start, len(steps)) if levels[i] < deepest), len(steps))
    first_join = min((s.join for s in skips if s.level == deepest), default=rising)
    bottom_end = min(rising, first_join)
    last_join = max(s.join for s in skips)
    head_from = len(steps)
    last_top = _top(steps[-1])
    if last_top != _top(steps[last_join]):  # the model's last module, apart from the decoder: its head
        for i in range(len(steps) - 1, last_join, -1):
            if _top(steps[i]) != last_top or levels[i] != levels[-1]:
                break
            head_from = i
    read = {source for step in steps for source in step.inputs}
    sides = {i for i in range(bottom_end, len(steps) - 1) if i not in read and not getattr(steps[i], "alias", False)}
    parents = {steps[i].name.rpartition(".")[0] for i in sides}
    if head_from == len(steps) and steps[-1].name.rpartition(".")[0] in parents:
        head_from = len(steps) - 1  # the last of the heads nnU-Net keeps in one list (seg_layers): the output's
    blocks = []
    for i, level in enumerate(levels):
        if i >= head_from:
            blocks.append("head")
        elif i in sides:
            blocks.append(f"ds{level}")  # a side output nothing reads: a deep-supervision head
        elif i < bottom_start:
            blocks.append(f"enc{level}")
        elif i < bottom_end:
            blocks.append("bottleneck")
        else:
            blocks.append(f"dec{level}")
    return blocks
