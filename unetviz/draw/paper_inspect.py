"""The paper view of an inspected model: the same figure as a config's, its bars placed from the recorded steps.

The main path is the longest chain of convs, pools and up-samplings from the input to the output (found back
from the output: at each step, the input with the most such layers behind it), so a residual block's shortcut
conv or a ResNet's downsample branch is not mistaken for the path; the U's skips come from the inspection. Bars
are the main path's conv, pool and up-sampling outputs and, at each skip's join, the copied map drawn white
against the map it joins. Deep-supervision heads are side bars; the head's conv draws the output bar.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from unetviz.core.errors import ConfigError
from unetviz.core.inspection import FoundSkip, Inspection
from unetviz.core.records import Layer
from unetviz.draw.paper_layout import GAP, LABEL_SIZE, Layout, PaperFigure, bar_width, finish
from unetviz.draw.text_metrics import text_width

DOWN = ("MaxPool", "AvgPool", "LPPool")
UP = ("ConvTranspose", "Upsample", "Interpolate", "UpsamplingBilinear", "UpsamplingNearest")


def _kind(layer: Layer) -> str | None:
    if len(layer.out_shape) < 3 or len(layer.in_shape) != len(layer.out_shape):
        return None
    if layer.type.startswith(UP):
        return "up"
    if layer.type.startswith(DOWN):
        return "pool"
    if layer.type.startswith("Conv"):
        return "conv"
    return None


def main_path(found: Inspection) -> set[str]:
    """The layers on the longest chain of drawn layers (convs, pools, up-samplings) from input to output."""
    inputs = found.inputs()
    weight = {layer.name: 1 if _kind(layer) else 0 for layer in found.layers}
    longest: dict[str, int] = {"input": 0}
    for layer in found.layers:  # execution order is a topological order
        behind = [longest.get(source, 0) for source in inputs.get(layer.name, [])]
        longest[layer.name] = weight[layer.name] + max(behind, default=0)
    last = next((layer.name for layer in reversed(found.layers) if not layer.block.startswith("ds")), "input")
    path = set()
    while last != "input":
        path.add(last)
        sources = inputs.get(last, [])
        if not sources:
            break
        last = max(sources, key=lambda s: (longest.get(s, 0), -sources.index(s)))
    return path


def build_inspected_paper(found: Inspection, scale: str = "power") -> PaperFigure:
    """The paper figure of an inspected U. Raises ConfigError for a model with no U (draw it as a chain)."""
    if not found.u_found:
        raise ConfigError("view", "paper", f"u, blocks or layers: {found.no_u_reason}")
    if scale not in ("power", "linear"):
        raise ConfigError("--bar-scale", scale, "power (√ of channels and size, as the paper looks) or linear")
    layout = Layout(scale)
    on_path = main_path(found)
    layers = [layer for layer in found.layers if layer.name in on_path or layer.block.startswith("ds")]
    common = Counter(layer.kernel_text for layer in layers if _kind(layer) == "conv").most_common(1)
    usual = common[0][0] if common else ""
    joins = {skip.join: skip for skip in found.skips}
    bar_of: dict[str, int] = {"input": layout.add(0, found.input_shape, "input", "")}
    inputs = found.inputs()

    def behind(name: str) -> int:
        """The latest bar among what `name` read (a norm or activation stands for the bar before it)."""
        found_bars = [bar_of[s] for s in inputs.get(name, []) if s in bar_of]
        return max(found_bars, default=current)

    current = bar_of["input"]
    for layer in layers:
        kind = _kind(layer)
        if layer.name in joins and layer.name in on_path:
            current = _pair(layout, found, joins[layer.name], layer, bar_of, current)
            bar_of[layer.name] = current
            continue
        if layer.block.startswith("ds"):
            if kind == "conv" and layer.name not in on_path:
                source = behind(layer.name)
                side = layout.add(layout.levels[source], layer.out_shape, "side", layer.name)
                layout.link(source, side, "side")
                layout.x = layout.bars[current].right + GAP
            continue
        if kind is None:
            if layer.name in inputs:
                bar_of[layer.name] = behind(layer.name)
            continue
        source = behind(layer.name)
        before = layout.levels[source]
        if layer.level != before:
            bar = layout.below(source, layer.level, layer.out_shape, "map", layer.name)
            step = "up" if layer.level < before else "pool" if kind == "pool" else "strided"
            layout.link(source, bar, step)
        else:
            bar = layout.add(layer.level, layer.out_shape, "output" if layer.block == "head" else "map",
                             layer.name)  # fmt: skip
            note = layer.kernel_text if kind == "conv" and layer.kernel_text != usual else ""
            layout.link(source, bar, "head" if layer.block == "head" else "conv", note)
        bar_of[layer.name] = current = bar
    if not any(bar.kind == "output" for bar in layout.bars):  # no head module: the last bar is the output
        last = layout.bars[current]
        layout.bars[current] = type(last)(last.x, last.y, last.w, last.h, "output", last.layer)
    words = {"conv": f"conv {usual}".strip(), "pool": "pool", "strided": "strided conv", "up": "up-sampling",
             "copy": "copy", "head": "head conv", "side": "deep-supervision head"}  # fmt: skip
    return finish(layout, words, found.name)


def _pair(layout: Layout, found: Inspection, skip: FoundSkip, join: Layer, bar_of: dict[str, int], current: int) -> int:
    """At a skip's join: the copied map, white, against the left of the map it joins. When a conv runs between the
    up-sampling and the join (MONAI's residual units), that map is not the row's first: the copy arrow then
    passes behind the bars between (see `finish`). The joined map moves right to make room for the copy bar and
    for the copy arrow after the encoder's bar. Returns the bar that stands for the concatenation."""
    source = bar_of.get(skip.source, bar_of["input"])
    copy_channels = join.out_shape[1] - layout.shapes[current][1]
    if copy_channels <= 0 or layout.levels[current] != join.level:  # an add, or a join elsewhere: no white bar
        copy = layout.add(join.level, join.out_shape, "copy", join.name)
        layout.link(source, copy, "copy")
        return copy
    copy_shape = (join.out_shape[0], copy_channels, *join.out_shape[2:])
    copy_w = bar_width(copy_channels, layout.scale)
    note = "" if skip.adjust == "none" else skip.adjust
    room = max(GAP + 12, text_width(note, LABEL_SIZE) + 2 * layout.overhang(source) + 16)
    between = [layout.bars[i].right + GAP for i in range(source + 1, current) if layout.levels[i] == join.level]
    left = max([layout.bars[source].right + room, *between])
    bar = layout.bars[current]
    if bar.x - copy_w < left:
        layout.bars[current] = type(bar)(left + copy_w, bar.y, bar.w, bar.h, bar.kind, bar.layer)
    copy = layout.add(join.level, copy_shape, "copy", join.name, layout.bars[current].x - copy_w)
    layout.x = layout.bars[current].right + GAP
    layout.pairs[current] = copy
    layout.link(source, copy, "copy", note)
    return current


def with_recorded_names(figure: PaperFigure, found: Inspection) -> PaperFigure:
    """A model that is exactly a config is drawn from the config (`report.export.paper_figure`), whose layer names
    are not the model's: give each bar the recorded layer it stands for, matched in order by output shape and
    parameters."""
    from unetviz.core.analysis import analyze

    if found.matched is None:
        return figure
    names = _recorded_names(analyze(found.matched).layers, found.layers)
    bars = tuple(dataclasses.replace(bar, layer=names.get(bar.layer, bar.layer)) for bar in figure.bars)
    return dataclasses.replace(figure, bars=bars)


def _recorded_names(ours: tuple[Layer, ...], recorded: tuple[Layer, ...]) -> dict[str, str]:
    """Our layer name -> the recorded one: the first unused recorded layer of the same output shape and
    parameter count, one of the same type when there is one (`match_config` allows another order)."""
    unused = list(recorded)
    names = {}
    for layer in ours:
        same = [r for r in unused if r.out_shape == layer.out_shape and r.params == layer.params]
        if not same:
            continue
        chosen = next((r for r in same if r.type == layer.type), same[0])
        unused.remove(chosen)
        names[layer.name] = chosen.name
    return names
