"""The paper view: the 2015 UNet paper's Figure 1 (Ronneberger et al., MICCAI 2015), drawn from an analysis.

One bar per feature map (the input, each conv's output, each pooled map), its height from the spatial size and its
width from the channels; the channels above, the size rotated beside it; each level's bars on one baseline, the
encoder stepping down to the right, the decoder climbing up to the right; copied skip maps as white bars joined to
the up-sampled map. The geometry is computed here (no Graphviz), in pixels with y pointing down, deterministic,
and every label's box is known so that overlaps can be measured. Writers: paper_svg (SVG, PNG, PDF) and
paper_tikz (TikZ).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from unetviz.core.analysis import Analysis
from unetviz.core.records import Layer, size_text
from unetviz.core.shapes import axes_text
from unetviz.draw.text_metrics import ASCENT, DESCENT, text_width

LABEL_SIZE = 8.5  # px: channels and sizes
LEGEND_SIZE = 9.5
GAP = 30.0  # between two bars of a row: the conv arrow and the next bar's size label
ROW_GAP = 34.0  # below a row: the pool arrow, then the next row's channel labels
MARGIN = 16.0
MIN_HEIGHT = 42.0
CHANNEL_LIFT = 3.0  # channel label baseline above the bar
ARROW_KINDS = ("conv", "strided", "pool", "up", "copy", "residual", "head", "side")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float  # top
    w: float
    h: float
    kind: str  # map, copy (a copied skip), input, output, side (a deep-supervision output)
    layer: str  # the analysis layer whose output it is ("" for the input)

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def centre(self) -> float:
        return self.x + self.w / 2


@dataclass(frozen=True)
class Text:
    x: float  # the anchor point on the baseline
    y: float
    text: str
    size: float
    anchor: str = "middle"  # start, middle, end (along the reading direction)
    rotated: bool = False  # reads bottom to top (the paper's sizes)
    role: str = "label"  # channels, size, note, legend

    def box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) the glyphs can cover."""
        width = text_width(self.text, self.size)
        start = {"start": 0.0, "middle": -width / 2, "end": -width}[self.anchor]
        up, down = ASCENT * self.size, DESCENT * self.size
        if not self.rotated:
            return self.x + start, self.y - up, self.x + start + width, self.y + down
        # rotated 90° anticlockwise: the baseline runs up from (x, y), the glyphs stand to its left
        return self.x - up, self.y - start - width, self.x + down, self.y - start


@dataclass(frozen=True)
class Arrow:
    points: tuple[tuple[float, float], ...]
    kind: str  # one of ARROW_KINDS
    head: bool = True


@dataclass(frozen=True)
class PaperFigure:
    width: float
    height: float
    bars: tuple[Bar, ...]
    texts: tuple[Text, ...]
    arrows: tuple[Arrow, ...]
    legend: tuple[tuple[str, str], ...]  # (arrow kind, words), drawn at legend_origin
    legend_origin: tuple[float, float]
    title: str

    def overlaps(self) -> list[tuple[str, str]]:
        """Every pair of labels, or label and bar, whose boxes intersect (there should be none)."""
        boxes = [(f"text {t.text!r} ({t.role})", t.box()) for t in self.texts]
        boxes += [(f"bar {b.layer or b.kind}", (b.x, b.y, b.right, b.bottom)) for b in self.bars]
        found = []
        for i, (name_a, a) in enumerate(boxes[: len(self.texts)]):
            for name_b, b in boxes[i + 1 :]:
                if a[0] < b[2] - 0.01 and b[0] < a[2] - 0.01 and a[1] < b[3] - 0.01 and b[1] < a[3] - 0.01:
                    found.append((name_a, name_b))
        return found


def bar_width(channels: int, scale: str = "power") -> float:
    """Width from channels: ∝ √C by default (64 and 1,024 channels 1 : 4, as in the paper's figure); linear
    optionally (∝ C, 1,024 channels 64 px)."""
    if scale == "linear":
        return max(3.0, channels / 16)
    return max(3.0, 1.25 * math.sqrt(channels))


def bar_height(spatial: tuple[int, ...], scale: str = "power") -> float:
    """Height from the first in-plane size (H; a 3D map's H, not its depth): ∝ √H, at least MIN_HEIGHT."""
    h = spatial[-2] if len(spatial) >= 2 else spatial[0]
    if scale == "linear":
        return max(MIN_HEIGHT, h * 0.3)
    return max(MIN_HEIGHT, 6.6 * math.sqrt(h))


LINK_Y = 7.0  # a horizontal arrow runs this far below the lower of the two tops it joins


@dataclass(frozen=True)
class _Link:
    source: int  # bar indices
    target: int
    kind: str  # conv, strided, pool, up, copy, head, side
    note: str = ""  # a kernel or stride written on the arrow; a crop or pad on a copy


class _Layout:
    """Bars are placed left to right with a provisional y; `finish` stacks the rows, then labels and arrows."""

    def __init__(self, scale: str) -> None:
        self.scale = scale
        self.bars: list[Bar] = []
        self.levels: list[int] = []
        self.links: list[_Link] = []
        self.x = MARGIN

    def add(self, level: int, shape: tuple[int, ...], kind: str, layer: str, x: float | None = None) -> int:
        w, h = bar_width(shape[1], self.scale), bar_height(shape[2:], self.scale)
        self.bars.append(Bar(self.x if x is None else x, 0.0, w, h, kind, layer))
        self.levels.append(level)
        self.shapes.append(shape)
        self.x = self.bars[-1].right + GAP
        return len(self.bars) - 1

    def below(self, above: int, level: int, shape: tuple[int, ...], kind: str, layer: str) -> int:
        """A bar centred under (or over) bar `above`: the staircase of the paper's figure."""
        return self.add(level, shape, kind, layer, self.bars[above].centre - bar_width(shape[1], self.scale) / 2)

    def link(self, source: int, target: int, kind: str, note: str = "") -> None:
        """Join two bars; a note on a horizontal arrow widens the gap it needs (the target, the last bar
        placed, moves right)."""
        self.links.append(_Link(source, target, kind, note))
        if note and kind not in ("pool", "strided", "up") and target == len(self.bars) - 1:
            a, b = self.bars[source], self.bars[target]
            need = text_width(note, LABEL_SIZE) + self.overhang(source) + self.overhang(target) + 8
            shift = need - (b.x - a.right)
            if shift > 0:
                self.bars[target] = Bar(b.x + shift, b.y, b.w, b.h, b.kind, b.layer)
                self.x += shift

    def overhang(self, index: int) -> float:
        """How far a bar's channel label may reach past its side (the widest label: the pair's total)."""
        return max(0.0, (text_width(str(self.shapes[index][1] * 2), LABEL_SIZE) - self.bars[index].w) / 2) + 3

    shapes: list[tuple[int, ...]]


def _blocks(analysis: Analysis) -> dict[str, list[Layer]]:
    blocks: dict[str, list[Layer]] = {}
    for layer in analysis.layers:
        blocks.setdefault(layer.block, []).append(layer)
    return blocks


def _main_convs(layers: list[Layer]) -> list[Layer]:
    return [layer for layer in layers if layer.type.startswith("Conv") and not layer.type.startswith("ConvTranspose")
            and ".skip_" not in layer.name]  # fmt: skip


def _kernel_text(layer: Layer) -> str:
    dims = len(layer.out_shape) - 2
    return axes_text(layer.kernel) if isinstance(layer.kernel, tuple) else "×".join([str(layer.kernel)] * dims)


def _stride_text(layer: Layer) -> str:
    stride = layer.stride
    if stride is None or stride == 1 or (isinstance(stride, tuple) and set(stride) == {1}):
        return ""
    return "/" + (axes_text(stride, short=True) if isinstance(stride, tuple) else str(stride))


SCALES = ("power", "linear")


def build_paper(analysis: Analysis, scale: str = "power") -> PaperFigure:
    """The paper figure of a config's analysis; `scale` power (√, the default) or linear.

    Raises ConfigError for an unknown scale."""
    if scale not in SCALES:
        from unetviz.core.errors import ConfigError

        raise ConfigError("--bar-scale", scale, "power (√ of channels and size, as the paper looks) or linear")
    layout = _Layout(scale)
    layout.shapes = []
    plan = analysis.config.plan
    blocks = _blocks(analysis)
    convs = [c for layers in blocks.values() for c in _main_convs(layers)]
    common = Counter(_kernel_text(c) for c in convs).most_common(1)[0][0] if convs else ""
    last: int | None = None
    encoder_last: dict[int, int] = {}
    for stage in plan.encoder:
        layers = blocks.get(stage.block, [])
        pool = next((layer for layer in layers if layer.name == f"{stage.block}.pool"), None)
        if last is None:
            previous = layout.add(stage.level, analysis.shapes.input_shape, "input", "")
        elif pool is not None:
            previous = layout.below(last, stage.level, pool.out_shape, "map", pool.name)
            layout.link(last, previous, "pool")
        else:
            previous = last
        for conv in _main_convs(layers):
            strided = bool(_stride_text(conv))
            if strided and previous == last:  # a strided conv steps down a level: its bar under the last one
                bar = layout.below(last, stage.level, conv.out_shape, "map", conv.name)
                layout.link(previous, bar, "strided", _stride_text(conv))
            else:
                bar = layout.add(stage.level, conv.out_shape, "map", conv.name)
                kernel = _kernel_text(conv)
                layout.link(previous, bar, "conv", ("" if kernel == common else kernel) + _stride_text(conv))
            previous = bar
        last = previous
        encoder_last[stage.level] = previous
    for dec in plan.decoder:
        layers = blocks.get(dec.block, [])
        assert last is not None
        up = next(layer for layer in layers if layer.name == f"{dec.block}.up")
        joined = next((layer for layer in layers if layer.type == "Pad"), up)
        concat = next(layer for layer in layers if layer.name == f"{dec.block}.concat")
        skip_channels = concat.out_shape[1] - joined.out_shape[1]
        up_w = bar_width(joined.out_shape[1], scale)
        copy_shape = (concat.out_shape[0], skip_channels, *concat.out_shape[2:])
        copy_x = layout.bars[last].centre - up_w / 2 - bar_width(skip_channels, scale)
        # room for the copy arrow after the encoder's last bar; else the up arrow bends (see _finish)
        note = _copy_note(layers)
        room = max(GAP + 12, text_width(note, LABEL_SIZE) + 2 * layout.overhang(encoder_last[dec.level]) + 16)
        copy_x = max(copy_x, layout.bars[encoder_last[dec.level]].right + room)
        copy = layout.add(dec.level, copy_shape, "copy", concat.name, copy_x)
        up_bar = layout.add(dec.level, joined.out_shape, "map", up.name, layout.bars[copy].right)
        layout.link(last, up_bar, "up")
        layout.link(encoder_last[dec.level], copy, "copy", note)
        previous = up_bar
        for conv in _main_convs(layers):
            kernel = _kernel_text(conv)
            bar = layout.add(dec.level, conv.out_shape, "map", conv.name)
            layout.link(previous, bar, "conv", "" if kernel == common else kernel)
            previous = bar
        last = previous
        side = blocks.get(f"ds{dec.level}")
        if side:
            layout.link(previous, layout.add(dec.level, side[-1].out_shape, "side", side[-1].name), "side")
            layout.x = layout.bars[previous].right + GAP
    _residuals(layout)
    head = blocks.get("head")
    if head and last is not None:
        layout.link(last, layout.add(0, head[-1].out_shape, "output", head[-1].name), "head")
    return _finish(layout, _legend(analysis, common), analysis.config.name)


def _residuals(layout: _Layout) -> None:
    """A residual block's shortcut: from the bar the block reads to the bar of its last conv, when both stand in
    one row (a block that steps down a level starts in the row above, and is drawn by its strided arrow)."""
    bar_of = {bar.layer: i for i, bar in enumerate(layout.bars)}
    blocks: dict[str, list[int]] = {}
    for name, index in bar_of.items():
        prefix, _, short = name.rpartition(".")
        if ".res" in prefix and short.startswith("conv"):
            blocks.setdefault(prefix, []).append(index)
    for indices in blocks.values():
        first, end = min(indices), max(indices)
        reads = next((link.source for link in layout.links if link.target == first), None)
        if reads is not None and layout.levels[reads] == layout.levels[end] and reads != end:
            layout.links.append(_Link(reads, end, "residual"))


def _copy_note(layers: list[Layer]) -> str:
    """`crop 4`, `pad 0/1`: what the join does to the skip or the up-sampled map, when it does anything."""
    join = next((layer for layer in layers if layer.type in ("Crop", "Pad")), None)
    amounts = join.amounts if join is not None else None
    if not amounts or not any(a or b for a, b in amounts):
        return ""
    pairs = {(a, b) for a, b in amounts}
    said = ", ".join(f"{a}" if a == b else f"{a}/{b}" for a, b in sorted(pairs))
    return f"{'crop' if join is not None and join.type == 'Crop' else 'pad'} {said}"


def _legend(analysis: Analysis, common: str) -> dict[str, str]:
    cfg = analysis.config
    plan = cfg.plan
    from unetviz.draw.graph import NORM_TEXT  # the flowchart's words, so both views say the same

    act = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "prelu": "PReLU", "gelu": "GELU", "elu": "ELU"}[cfg.activation]
    words = {"conv": f"conv {common}{NORM_TEXT[cfg.norm]}, {act}"}
    down = next((s for s in plan.encoder[1:]), None)
    if down is not None:
        words["pool"] = f"{down.down} pool {axes_text(down.stride)}"
        words["strided"] = (
            f"strided conv {axes_text(down.kernel)} /{axes_text(down.stride, short=True)}{NORM_TEXT[cfg.norm]}, {act}"
        )
    first_up = plan.decoder[0] if plan.decoder else None
    if first_up is not None:
        words["up"] = (f"up-conv {axes_text(first_up.up_kernel)}" if first_up.up == "transpose"
                       else f"up-sample ×{axes_text(first_up.stride, short=True)} ({first_up.up})")  # fmt: skip
    words["copy"] = {"crop": "copy and crop", "pad": "copy (pad the up-sampled map)", "strict": "copy"}[cfg.merge]
    words["head"] = "conv 1×1"
    words["side"] = "conv 1×1, deep supervision"
    words["residual"] = "residual shortcut, added"
    return words


def _finish(layout: _Layout, words: dict[str, str], title: str) -> PaperFigure:
    """Stack the rows (level 0 on top), then write the labels and draw the arrows between the placed bars."""
    sizes = [size_text(shape[2:]) for shape in layout.shapes]
    paired = {link.target for link in layout.links if link.kind == "up"}  # the up-sampled half of a pair
    bars = []
    for bar, size in zip(layout.bars, sizes, strict=True):
        # tall enough that the size label stands under the arrows that meet the bar near its top
        bars.append(Bar(bar.x, 0.0, bar.w, max(bar.h, text_width(size, LABEL_SIZE) + LINK_Y + 9), bar.kind, bar.layer))
    channel_band = LABEL_SIZE * (ASCENT + DESCENT) + CHANNEL_LIFT + 2
    baselines: dict[int, float] = {}
    y = MARGIN
    for level in sorted(set(layout.levels)):
        height = max(b.h for b, lv in zip(bars, layout.levels, strict=True) if lv == level)
        y += channel_band + height
        baselines[level] = y
        y += ROW_GAP
    bars = [Bar(b.x, baselines[lv] - b.h, b.w, b.h, b.kind, b.layer) for b, lv in zip(bars, layout.levels,
                                                                                   strict=True)]  # fmt: skip
    texts: list[Text] = []
    arrows: list[Arrow] = []
    # a vertical arrow meets the top's centre: the label steps aside, to the side nothing else uses (a row's
    # first bar has no neighbour on its left, the bar an up arrow leaves is its row's last)
    step_left = {link.target for link in layout.links if link.kind in ("pool", "strided")}
    step_right = {link.source for link in layout.links if link.kind == "up"}
    copies = {link.target: link for link in layout.links if link.kind == "copy"}
    for index, (bar, shape) in enumerate(zip(bars, layout.shapes, strict=True)):
        if bar.kind == "copy":
            continue
        channels = shape[1]
        left, right = bar.x, bar.right
        if index in paired and index - 1 in copies:  # one label over the concatenated pair: its channels
            channels += layout.shapes[index - 1][1]
            left = bars[index - 1].x
        lift = bar.y - CHANNEL_LIFT - DESCENT * LABEL_SIZE
        if index in step_left:
            texts.append(Text(bar.centre - 3, lift, str(channels), LABEL_SIZE, "end", role="channels"))
        elif index in step_right:
            texts.append(Text(bar.centre + 3, lift, str(channels), LABEL_SIZE, "start", role="channels"))
        else:
            texts.append(Text((left + right) / 2, lift, str(channels), LABEL_SIZE, role="channels"))
    for index, (bar, size) in enumerate(zip(bars, sizes, strict=True)):
        if index in paired:
            continue  # the copy beside it carries the pair's size
        texts.append(Text(bar.x - 2 - DESCENT * LABEL_SIZE, bar.bottom - 1, size, LABEL_SIZE, "start", True, "size"))
    for link in layout.links:
        a, b = bars[link.source], bars[link.target]
        if link.kind == "residual":  # a bracket over the row's channel labels, from the block's input to its end
            over = min(bars[i].y for i, lv in enumerate(layout.levels) if lv == layout.levels[link.source])
            top = over - channel_band - 5
            arrows.append(Arrow(((a.centre + 2, a.y - channel_band + 1), (a.centre + 2, top), (b.centre - 2, top),
                                 (b.centre - 2, b.y - channel_band + 1)), link.kind))  # fmt: skip
        elif link.kind in ("pool", "strided"):
            arrows.append(Arrow(((a.centre, a.bottom + 1.5), (a.centre, b.y - 1.5)), link.kind))
        elif link.kind == "up" and abs(a.centre - b.centre) < 0.5:
            arrows.append(Arrow(((a.centre, a.y - 1.5), (a.centre, b.bottom + 1.5)), link.kind))
        elif link.kind == "up":  # the pair had to move right: up, across the row gap (no labels there), up
            mid = b.bottom + ROW_GAP / 2
            points = ((a.centre, a.y - 1.5), (a.centre, mid), (b.centre, mid), (b.centre, b.bottom + 1.5))
            arrows.append(Arrow(points, link.kind))
        else:
            at = max(a.y, b.y) + LINK_Y
            arrows.append(Arrow(((a.right + 1.5, at), (b.x - 1.5, at)), link.kind))
            if link.note:
                texts.append(Text((a.right + b.x) / 2, at - 3, link.note, LABEL_SIZE, role="note"))
    used = [kind for kind in ARROW_KINDS if any(arrow.kind == kind for arrow in arrows)]
    legend = tuple((kind, words.get(kind, kind)) for kind in used)
    right = max([b.right for b in bars] + [t.box()[2] for t in texts]) + MARGIN
    legend_width = 34 + max((text_width(w, LEGEND_SIZE) for _, w in legend), default=0)
    origin = (max(MARGIN, right - MARGIN - legend_width), y + 4)
    for row, (kind, said) in enumerate(legend):
        ly = origin[1] + row * 16 + 8
        arrows.append(Arrow(((origin[0], ly), (origin[0] + 26, ly)), kind))
        texts.append(Text(origin[0] + 32, ly + 3.5, said, LEGEND_SIZE, "start", role="legend"))
    height = origin[1] + 16 * len(legend) + MARGIN
    return PaperFigure(max(right, origin[0] + legend_width + MARGIN), height, tuple(bars), tuple(texts),
                       tuple(arrows), legend, origin, title)  # fmt: skip
