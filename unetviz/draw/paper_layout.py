"""The paper view's geometry, renderer-free: bars, labels and arrows with measured boxes, the row-by-row layout
(the staircase of the 2015 paper's Figure 1) and the finishing pass that stacks rows, writes labels and draws
arrows. `paper` (configs) and `paper_inspect` (inspected models) place the bars; `paper_svg` and `paper_tikz`
write them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from unetviz.core.records import size_text
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
    behind: bool = False  # drawn under the bars: a copy that passes behind the bars between its two ends


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
LOW_LINK_Y = 16.0  # a copy arrow that passes behind other bars runs lower, clear of their conv arrows


@dataclass(frozen=True)
class Link:
    source: int  # bar indices
    target: int
    kind: str  # conv, strided, pool, up, copy, head, side
    note: str = ""  # a kernel or stride written on the arrow; a crop or pad on a copy


class Layout:
    """Bars are placed left to right with a provisional y; `finish` stacks the rows, then labels and arrows."""

    def __init__(self, scale: str) -> None:
        self.scale = scale
        self.bars: list[Bar] = []
        self.levels: list[int] = []
        self.links: list[Link] = []
        self.shapes: list[tuple[int, ...]] = []
        self.pairs: dict[int, int] = {}  # a map joined with a skip -> the copy bar drawn against its left side
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
        self.links.append(Link(source, target, kind, note))
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


def finish(layout: Layout, words: dict[str, str], title: str) -> PaperFigure:
    """Stack the rows (level 0 on top), then write the labels and draw the arrows between the placed bars."""
    sizes = [size_text(shape[2:]) for shape in layout.shapes]
    paired = layout.pairs  # the joined map -> its copied skip, drawn against it
    bars = []
    for bar, size in zip(layout.bars, sizes, strict=True):
        # tall enough that the size label stands under the arrows that meet the bar near its top
        # (a copy passing behind bars runs LOW_LINK_Y down: the labels stand under that too)
        tall = text_width(size, LABEL_SIZE) + LOW_LINK_Y + 9
        bars.append(Bar(bar.x, 0.0, bar.w, max(bar.h, tall), bar.kind, bar.layer))
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
    for index, (bar, shape) in enumerate(zip(bars, layout.shapes, strict=True)):
        if bar.kind == "copy":
            continue
        channels = shape[1]
        left, right = bar.x, bar.right
        if index in paired:  # one label over the concatenated pair: its channels
            channels += layout.shapes[paired[index]][1]
            left = bars[paired[index]].x
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
            level = layout.levels[link.target]
            between = [c for c, lv in zip(bars, layout.levels, strict=True) if lv == level and a.right < c.x < b.x]
            at = max([a.y, b.y, *(c.y for c in between)]) + (LOW_LINK_Y if between else LINK_Y)
            arrows.append(Arrow(((a.right + 1.5, at), (b.x - 1.5, at)), link.kind, behind=bool(between)))
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
