"""The summary: sizes, totals, the trace verdict, warnings, and valid input sizes to click on; or, while one is
shown, an inspected model's summary (gui/inspect_summary.py)."""

from __future__ import annotations

from html import escape as _escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QScrollArea, QWidget

from unetviz.core.analysis import Analysis
from unetviz.core.config import UNetConfig
from unetviz.core.inspection import Inspection
from unetviz.core.records import Imported
from unetviz.core.tiles import ValidSizes
from unetviz.gui.inspect_summary import OPEN_MATCHED_LINK, inspection_html, shape_from_link
from unetviz.gui.text import rich_text_pane, unbroken
from unetviz.gui.theme import current_theme
from unetviz.report.tables import human, shape_text


def escape(text: str) -> str:
    return _escape(text, quote=False)  # body text only, never an attribute: keep quotes readable


# (light theme, dark theme): legible on the panel's own background in both
TEXT_COLOURS = {"error": ("#c53030", "#fc8181"), "warning": ("#975a16", "#f6ad55"), "agree": ("#276749", "#68d391")}


def _colour(role: str) -> str:
    light, dark = TEXT_COLOURS[role]
    return dark if current_theme() == "dark" else light


class SummaryPanel(QScrollArea):
    size_chosen = Signal(int, int, str)  # (the axis size it replaces, the valid size chosen, axes: "" all or "D,H")
    shape_chosen = Signal(tuple)  # an inspected model's valid input shape, clicked: inspect it again there
    open_matched = Signal()  # "Open as an editable config" of an inspected model that is exactly a config

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = rich_text_pane(self, "analysing…", Qt.TextInteractionFlag.TextBrowserInteraction)
        self.label.linkActivated.connect(self._on_link)
        self.analysis: Analysis | None = None
        self.valid_sizes: list[ValidSizes] = []
        self.imported: Imported | None = None
        self.trace_status = "not run"
        self.failure: tuple[str, str] | None = None  # (config name, message) of a config that did not analyse
        self.inspection: Inspection | None = None  # shown instead of the config's analysis while set

    def set_analysis(self, analysis: Analysis, valid_sizes: list[ValidSizes]) -> None:
        """Show `analysis`; `valid_sizes` is its valid_input_sizes(), computed by the worker."""
        self.analysis, self.valid_sizes = analysis, valid_sizes
        self.failure = None
        self._refresh()

    def show_failure(self, cfg: UNetConfig, message: str, valid_sizes: list[ValidSizes]) -> None:
        """A config the analysis refused: why, and the input sizes that would fit it (click to use)."""
        self.failure = (cfg.name, message)
        self.valid_sizes = valid_sizes
        self._refresh()

    def set_imported(self, imported: Imported | None) -> None:
        """Say what the config was imported from and what was assumed (None: a unetviz config or a preset)."""
        self.imported = imported
        self._refresh()

    def set_inspection(self, found: Inspection | None) -> None:
        """Show an inspected model (read-only) instead of the config; None: back to the config's summary."""
        self.inspection = found
        self._refresh()

    def set_trace_status(self, text: str) -> None:
        """What the trace is doing while the analysis has none: running, not run, or why it failed."""
        self.trace_status = text
        self._refresh()

    def set_stale(self, stale: bool) -> None:
        self.label.setEnabled(not stale)

    def text(self) -> str:
        return self.label.text()

    def _refresh(self) -> None:
        if self.inspection is not None:
            self.label.setText(inspection_html(self.inspection))
            return
        if self.failure is not None:
            name, message = self.failure
            red = _colour("error")
            parts = [f"<h3 style='margin:0'>{escape(name)}</h3>",
                     f"<p style='color:{red}'><b>cannot be analysed:</b> {escape(message)}</p>"]  # fmt: skip
            self.label.setText("".join(parts + self._sizes_html()))
            return
        a = self.analysis
        if a is None:
            return
        s, cfg = a.shapes, a.config
        shapes = f"{unbroken(shape_text(s.input_shape))} → {self._output_text(a)}"
        rows = [
            ("input → output", f"{shapes} (batch {cfg.batch_size})"),
            ("parameters", f"{s.total_params:,} total, {s.total_params:,} trainable"),
            ("mult-adds", f"{s.mult_adds:,} ({human(s.mult_adds)})"),
            ("activations", f"{human(s.activation_bytes, 'B')} (float32, every layer's output)"),
            ("receptive field", s.receptive_field_text),
            ("trace", self._trace_html(a)),
        ]
        parts = [f"<h3 style='margin:0'>{escape(cfg.name)}</h3>", "<table cellspacing='3'>"]
        parts += [f"<tr><td style='white-space:nowrap'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows]
        parts.append("</table>")
        parts += self._sizes_html()
        if self.imported is not None:
            parts.append(f"<p><b>imported</b> from {escape(self.imported.source)}</p>")
            if self.imported.assumed:
                parts.append("<p>assumed:</p><ul style='margin-left:-20px'>")
                parts += [f"<li>{escape(text)}</li>" for text in self.imported.assumed]
                parts.append("</ul>")
        if a.warnings:
            parts.append("<p><b>warnings</b></p><ul style='margin-left:-20px'>")
            parts += [f"<li style='color:{_colour('warning')}'>{escape(w.message)}</li>" for w in a.warnings]
            parts.append("</ul>")
        self.label.setText("".join(parts))

    def _sizes_html(self) -> list[str]:
        parts = ["<p><b>valid input sizes</b> (no pool drops a row; input→output, click to use)</p>"]
        for entry in self.valid_sizes:
            near, axes = entry.near, ",".join(entry.axes)
            links = [
                f"<b>{i}→{o}</b>" if i == near else f"<a href='size:{near}:{i}:{axes}'>{i}→{o}</a>"
                for i, o in entry.sizes
            ] or ["none: this configuration collapses every input"]
            parts.append(f"<p>{escape(entry.label)}: {' · '.join(links)}</p>")
        return parts

    @staticmethod
    def _output_text(a: Analysis) -> str:
        failed = next((layer for layer in a.layers if layer.error), None)
        if failed is None:
            return unbroken(shape_text(a.shapes.output_shape))
        return f"<span style='color:{_colour('error')}'><b>fails at {escape(failed.name)}</b></span>"

    def _trace_html(self, a: Analysis) -> str:
        t = a.trace
        if t is None:
            return escape(self.trace_status)
        if t.agreed:
            verdict = f"<span style='color:{_colour('agree')}'>analytic and traced sizes agree</span>"
        else:
            verdict = f"<span style='color:{_colour('error')}'><b>{len(t.mismatches)} layers disagree</b></span>"
        lines = [f"{escape(t.device)}: {verdict} ({t.seconds * 1000:.0f} ms)"]
        if t.note:
            lines.append(escape(t.note))
        if t.peak_memory_bytes is not None:
            lines.append(f"peak CUDA memory {human(t.peak_memory_bytes, 'B')}")
        if t.torchinfo is not None:
            agree = "agrees" if t.torchinfo.params_agree else "<b>differs</b>"
            lines.append(f"torchinfo: {t.torchinfo.params:,} params ({agree})")
        return "<br>".join(lines)

    def _on_link(self, link: str) -> None:
        if link == OPEN_MATCHED_LINK:
            self.open_matched.emit()
            return
        if (shape := shape_from_link(link)) is not None:
            self.shape_chosen.emit(shape)
            return
        kind, _, rest = link.partition(":")
        if kind == "size":
            near, size, axes = [*rest.split(":"), ""][:3]
            self.size_chosen.emit(int(near), int(size), axes)
