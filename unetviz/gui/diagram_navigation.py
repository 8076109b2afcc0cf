"""Moving the diagram's selection with the arrow keys: Left/Right step back and forth along the flow (the
graph's node order, input to output), Up/Down go to the nearest node above or below on screen (the levels of
the U, the rows of the paper figure, the chain of the layers view)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt

ALONG_FLOW: dict[int, int] = {Qt.Key.Key_Right.value: 1, Qt.Key.Key_Left.value: -1}
ACROSS: dict[int, int] = {Qt.Key.Key_Down.value: 1, Qt.Key.Key_Up.value: -1}
SIDEWAYS_WEIGHT = 2.0  # a node straight below beats a nearer one off to the side


def is_arrow(key: int) -> bool:
    return key in ALONG_FLOW or key in ACROSS


def next_node(order: list[str], boxes: dict[str, QRectF], current: str | None, key: int) -> str | None:
    """The node the arrow `key` moves to from `current` (the first node when nothing is selected); None when
    there is none that way. `order` is the flow order; only nodes with a box count."""
    order = [node for node in order if node in boxes]
    if not order:
        return None
    if current not in boxes:
        return order[0]
    if key in ALONG_FLOW:
        at = order.index(current) + ALONG_FLOW[key] if current in order else 0
        return order[at] if 0 <= at < len(order) else None
    if key not in ACROSS:
        return None
    step = ACROSS[key]
    here = boxes[current].center()
    best: tuple[float, str] | None = None
    for node in order:
        centre = boxes[node].center()
        ahead = (centre.y() - here.y()) * step
        if node == current or ahead <= 1.0:
            continue
        score = ahead + SIDEWAYS_WEIGHT * abs(centre.x() - here.x())
        if best is None or score < best[0]:
            best = (score, node)
    return best[1] if best is not None else None
