"""Analysis, rendering, tracing and export off the GUI thread; the newest request wins.

Like PySide6's Mandelbrot example: a job gets an immutable config, never touches a widget, and reports
through signals. Each lane runs one job at a time and keeps only the newest waiting request; a result whose
generation is no longer the newest is dropped (in the job, and again on arrival, since a newer request can
come in while a result is queued).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from unetviz.core.analysis import Analysis, analyze
from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError
from unetviz.core.tiles import ValidSizes, valid_sizes_per_axis
from unetviz.draw.theme import LIGHT
from unetviz.gui.theme import current_theme
from unetviz.gui.tracer import TraceProcess

if TYPE_CHECKING:
    from unetviz.draw.graph import Graph
    from unetviz.draw.paper_layout import PaperFigure
    from unetviz.network.trace_records import TraceResult

Report = Callable[[str, Any], None]
Work = Callable[[Report], None]
RenderSvg = Callable[["Graph"], bytes]


@dataclass(frozen=True)
class Analysed:
    analysis: Analysis
    valid_sizes: list[ValidSizes]  # Analysis.valid_input_sizes(): a search, so it runs here and not on the GUI thread


@dataclass(frozen=True)
class Unanalysable:
    config: UNetConfig  # valid field by field, but the analysis refused it (the input collapses)
    error: ConfigError
    valid_sizes: list[ValidSizes]  # the input sizes that would fit this config, for the summary


@dataclass(frozen=True)
class Diagram:
    view: str
    graph: Graph
    svg: bytes
    config: UNetConfig | None  # None: an inspected model's drawing (gui/inspect_mode.py)
    seconds: float  # from the request to the SVG, analysis included
    figure: PaperFigure | None = None  # the paper view's figure: its bars are the hit boxes (gui/paper_view.py)


@dataclass(frozen=True)
class Traced:
    config: UNetConfig
    device: str
    result: TraceResult


class _Stale(Exception):
    """Raised inside a job when a newer request has superseded it: stop early, report nothing."""


class _Relay(QObject):
    # Lives on the GUI thread; a job emits from its pool thread, so delivery is queued onto the GUI thread.
    report = Signal(int, str, object)
    failed = Signal(int, object)
    finished = Signal(int)


class _Job(QRunnable):
    def __init__(self, generation: int, work: Work, relay: _Relay, latest: Callable[[], int]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._generation, self._work, self._relay, self._latest = generation, work, relay, latest

    def _report(self, kind: str, payload: Any) -> None:
        if self._latest() != self._generation:
            raise _Stale
        self._relay.report.emit(self._generation, kind, payload)

    def run(self) -> None:
        try:
            self._work(self._report)
        except _Stale:
            pass
        except Exception as exc:  # any failure of a job becomes a message in the window, never a console traceback
            self._relay.failed.emit(self._generation, exc)
        finally:
            self._relay.finished.emit(self._generation)


class Lane(QObject):
    """One job at a time. latest_only: the newest request wins and stale reports are dropped;
    otherwise every job runs, in order, and reports (exports)."""

    report = Signal(str, object)
    failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, pool: QThreadPool, latest_only: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self._latest_only = latest_only
        self._generation = 0
        self._running = False
        self._waiting: list[tuple[int, Work]] = []
        self._relay = _Relay(self)
        self._relay.report.connect(self._on_report)
        self._relay.failed.connect(self._on_failed)
        self._relay.finished.connect(self._on_finished)

    @property
    def busy(self) -> bool:
        return self._running

    @property
    def generation(self) -> int:
        return self._generation

    def submit(self, work: Work) -> int:
        self._generation += 1
        if self._latest_only:
            self._waiting = [(self._generation, work)]
        else:
            self._waiting.append((self._generation, work))
        if not self._running:
            self._start_next()
        return self._generation

    def cancel(self) -> None:
        """Forget the waiting request and drop whatever the running job still reports."""
        self._waiting.clear()
        self._generation += 1

    def _latest(self, generation: int) -> int:
        return self._generation if self._latest_only else generation

    def _current(self, generation: int) -> bool:
        return not self._latest_only or generation == self._generation

    def _start_next(self) -> None:
        generation, work = self._waiting.pop(0)
        self._running = True
        self._pool.start(_Job(generation, work, self._relay, partial(self._latest, generation)))
        self.busy_changed.emit(True)

    def _on_report(self, generation: int, kind: str, payload: object) -> None:
        if self._current(generation):
            self.report.emit(kind, payload)

    def _on_failed(self, generation: int, error: object) -> None:
        if self._current(generation):
            self.failed.emit(error)

    def _on_finished(self, _generation: int) -> None:
        self._running = False
        if self._waiting:
            self._start_next()
        else:
            self.busy_changed.emit(False)


def default_render_svg(graph: Graph, theme: str = LIGHT) -> bytes:
    from unetviz.draw.render import render

    return render(graph, "svg", engine="auto", theme=theme)


def themed(render_svg: RenderSvg, theme: str) -> RenderSvg:
    """The built-in renderer in `theme`; a renderer of one's own (a test's) draws as it likes."""
    return partial(default_render_svg, theme=theme) if render_svg is default_render_svg else render_svg


def update_work(
    cfg: UNetConfig,
    view: str,
    known: Analysed | None,
    render_svg: RenderSvg,
    started: float,
    report: Report,
    theme: str = LIGHT,
) -> None:
    """Analyse `cfg` (unless `known` is its analysis already) and draw `view`; report each as it is ready."""
    from unetviz.draw.graph import build_graph

    if known is None or known.analysis.config != cfg:
        try:
            analysis = analyze(cfg)
        except ConfigError as exc:
            report("unanalysable", Unanalysable(cfg, exc, _valid_sizes(cfg)))
            return
        known = Analysed(analysis, analysis.valid_input_sizes())
    report("analysis", known)
    analysis = known.analysis
    if view == "paper":  # laid out by unetviz, no Graphviz
        from unetviz.gui.paper_view import paper_diagram

        report("diagram", paper_diagram(analysis, cfg, started, theme))
        return
    graph = build_graph(analysis, view)
    svg = render_svg(graph)
    report("diagram", Diagram(view, graph, svg, cfg, time.perf_counter() - started))


def _valid_sizes(cfg: UNetConfig) -> list[ValidSizes]:
    from unetviz.core.analysis import VALID_SIZES_SHOWN

    try:
        return valid_sizes_per_axis(cfg, VALID_SIZES_SHOWN)
    except ConfigError:
        return []


def trace_work(tracer: TraceProcess, analysis: Analysis, device: str, report: Report) -> None:
    cuda, result = tracer.run(analysis.config, analysis.shapes, device)  # torch loads there, not here
    report("cuda", cuda)
    report("trace", Traced(analysis.config, device, result))


class UpdateWorker(QObject):
    """The window's one door to background work: update (analysis + diagram), trace, export."""

    analysed = Signal(object)  # Analysed
    rendered = Signal(object)  # Diagram
    update_failed = Signal(object)  # ConfigError, RenderError or another Exception
    unanalysable = Signal(object)  # Unanalysable: a config the analysis refused, with sizes that would fit
    traced = Signal(object)  # Traced
    trace_failed = Signal(object)
    cuda_checked = Signal(bool)
    exported = Signal(object)  # the Path written
    export_failed = Signal(object)
    busy_changed = Signal(str)  # what runs now, "" when nothing does

    def __init__(self, render_svg: RenderSvg = default_render_svg, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.render_svg = render_svg
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(3)
        self.tracer = TraceProcess()
        self._last: Analysed | None = None  # lets a change of view skip the analysis
        self.updates = Lane(self.pool, parent=self)
        self.traces = Lane(self.pool, parent=self)
        self.exports = Lane(self.pool, latest_only=False, parent=self)
        self.updates.report.connect(self._on_update_report)
        self.updates.failed.connect(self.update_failed)
        self.traces.report.connect(self._on_trace_report)
        self.traces.failed.connect(self.trace_failed)
        self.exports.report.connect(lambda _kind, path: self.exported.emit(path))
        self.exports.failed.connect(self.export_failed)
        self._trace_device = ""
        for lane in (self.updates, self.traces, self.exports):
            lane.busy_changed.connect(self._emit_busy)

    def request_update(self, cfg: UNetConfig, view: str) -> int:
        theme = current_theme()  # read here, on the GUI thread: the job never looks at a widget or the palette
        render = themed(self.render_svg, theme)
        work = partial(update_work, cfg, view, self._last, render, time.perf_counter(), theme=theme)
        return self.updates.submit(work)

    def request_trace(self, analysis: Analysis, device: str) -> int:
        self._trace_device = device
        return self.traces.submit(partial(trace_work, self.tracer, analysis, device))

    @property
    def trace_device(self) -> str:
        """The device of the newest trace requested."""
        return self._trace_device

    def cancel_trace(self) -> None:
        """Stop the running trace now, as closing the app does: its child process is killed (the next trace starts
        a new one), and whatever the job still reports is dropped."""
        self.traces.cancel()
        if self.traces.busy:
            self.tracer.stop()

    def request_export(self, write: Callable[[], object]) -> int:
        return self.exports.submit(lambda report: report("exported", write()))

    def busy_text(self) -> str:
        parts = []
        if self.updates.busy:
            parts.append("updating")
        if self.traces.busy:
            parts.append(f"tracing on {self._trace_device}")
        if self.exports.busy:
            parts.append("exporting")
        return ", ".join(parts)

    def shutdown(self, wait_ms: int = 30_000) -> bool:
        for lane in (self.updates, self.traces):
            lane.cancel()
        self.tracer.stop()  # a trace still running ends now; its thread then returns at once
        return bool(self.pool.waitForDone(wait_ms))

    def _emit_busy(self, _busy: bool) -> None:
        self.busy_changed.emit(self.busy_text())

    def _on_update_report(self, kind: str, payload: object) -> None:
        if kind == "analysis":
            assert isinstance(payload, Analysed)
            self._last = payload
            self.analysed.emit(payload)
        elif kind == "unanalysable":
            self.unanalysable.emit(payload)
        else:
            self.rendered.emit(payload)

    def _on_trace_report(self, kind: str, payload: object) -> None:
        if kind == "cuda":
            self.cuda_checked.emit(bool(payload))
        else:
            self.traced.emit(payload)
