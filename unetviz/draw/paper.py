"""The paper view: the 2015 UNet paper's Figure 1 (Ronneberger et al., MICCAI 2015), drawn from an analysis.

One bar per feature map (the input, each conv's output, each pooled map), its height from the spatial size and its
width from the channels; the channels above, the size rotated beside it; each level's bars on one baseline, the
encoder stepping down to the right, the decoder climbing up to the right; copied skip maps as white bars joined to
the up-sampled map. The geometry is computed here (no Graphviz), in pixels with y pointing down, deterministic,
and every label's box is known so that overlaps can be measured. Writers: paper_svg (SVG, PNG, PDF) and
paper_tikz (TikZ).
"""

from __future__ import annotations

from collections import Counter

from unetviz.core.analysis import Analysis
from unetviz.core.records import Layer, by_block
from unetviz.core.shapes import axes_text
from unetviz.draw.paper_layout import GAP, LABEL_SIZE, Layout, Link, PaperFigure, bar_width, finish
from unetviz.draw.text_metrics import text_width


def _main_convs(layers: list[Layer]) -> list[Layer]:
    return [layer for layer in layers if layer.type.startswith("Conv") and not layer.type.startswith("ConvTranspose")
            and ".skip_" not in layer.name]  # fmt: skip


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
    layout = Layout(scale)
    plan = analysis.config.plan
    blocks = by_block(analysis.layers)
    convs = [c for layers in blocks.values() for c in _main_convs(layers)]
    common = Counter(c.kernel_text for c in convs).most_common(1)[0][0] if convs else ""
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
                kernel = conv.kernel_text
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
        layout.pairs[up_bar] = copy
        layout.link(encoder_last[dec.level], copy, "copy", note)
        previous = up_bar
        for conv in _main_convs(layers):
            kernel = conv.kernel_text
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
    return finish(layout, _legend(analysis, common), analysis.config.name)


def _residuals(layout: Layout) -> None:
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
            layout.links.append(Link(reads, end, "residual"))


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
