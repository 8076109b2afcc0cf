"""The GPU memory dock: the training memory of the current config, item by item, against a GPU's memory, with the
largest batch and input that fit (unetviz.core.memory.plan, computed off the GUI thread; the newest request wins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from html import escape as _escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QDockWidget, QGridLayout, QLabel, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError, TraceError
from unetviz.core.inspection import Inspection
from unetviz.core.memory import (
    OPTIMIZERS,
    PRECISIONS,
    Plan,
    batch_arithmetic,
    kept_in_float32,
    parse_bytes,
    patch_arithmetic,
    percent_off,
    plan,
)
from unetviz.gui.text import app_message, plain_label, unbroken
from unetviz.gui.worker import Lane, Report

if TYPE_CHECKING:
    from unetviz.gui.document import ConfigDocument
    from unetviz.gui.inspect_mode import InspectController

FIELD = "GPU memory"
DEFAULT_BUDGET = "24GiB"
COMPUTING = "computing…"
OPEN_MATCHED_LINK = "open-matched"
PRECISION_TIPS = {"fp32": "float32 everywhere", "amp": "mixed precision (autocast): conv inputs and outputs in float16"}
OPTIMIZER_TIPS = {"adam": "Adam: two float32 states per weight", "sgd": "SGD with momentum: one state per weight"}


def escape(text: str) -> str:
    return _escape(text, quote=False)


def gib(n: int) -> str:
    """Bytes in GiB: two decimals from 1 GiB up, three significant digits below (a small model's items)."""
    value = n / 2**30
    return f"{value:,.2f} GiB" if value >= 0.995 or value == 0 else f"{value:.3g} GiB"


@dataclass(frozen=True)
class PlanRequest:
    config: UNetConfig
    budget: int
    precision: str
    optimizer: str


def plan_work(request: PlanRequest, report: Report) -> None:
    """Runs on a pool thread: plan() re-analyses the config many times (10–200 ms)."""
    report("plan", (request, plan(request.config, request.budget, request.precision, request.optimizer)))


Checker = Callable[[UNetConfig], int]  # a config → bytes autograd keeps for backward (the trace process asks torch)


def check_work(checker: Checker, request: PlanRequest, report: Report) -> None:
    """Runs on a pool thread, waiting for the trace process: torch's figure (or why there is none, as text) and the
    estimate's in float32, both off the GUI thread."""
    try:
        found: int | str = checker(request.config)
    except TraceError as exc:
        found = " ".join(str(exc).split())
    report("kept", (request, found, kept_in_float32(request.config)))


def check_html(found: int | str | None, ours: int = 0) -> str:
    """The line under the plan: torch's count of what autograd keeps beside the estimate's `ours`, in float32
    (autocast does not run on meta); "checking" while it is asked (`found` None)."""
    if found is None:
        return "<p style='color:#555'>checking the estimate with torch…</p>"
    if isinstance(found, str):
        return f"<p style='color:#555'>not checked with torch: {escape(found)}</p>"
    return (f"<p>Checked with torch: autograd keeps <b>{gib(found)}</b> for backward in a float32 training forward "
            f"(on meta); the estimate's kept-for-backward items: {gib(ours)} "
            f"({percent_off(ours, found):+.1f} %).</p>")  # fmt: skip


def plan_html(result: Plan) -> str:
    """What a dock of 240 px shows first: the verdict, the largest batch and input; then the items."""
    est, budget = result.estimate, result.budget
    cfg = est.config
    size = unbroken("×".join(str(s) for s in cfg.input_size))
    if est.total <= budget:
        verdict = f"<span style='color:#276749'>fits in {gib(budget)}</span>"
    else:
        verdict = f"<span style='color:#c53030'><b>does not fit</b> in {gib(budget)}</span>"
    sums = batch_arithmetic(result, gib)
    batch = (f"{result.largest_batch} ({sums})" if result.largest_batch
             else f"none (batch 1 needs {sums}, more than {gib(budget)})")  # fmt: skip
    inputs = []
    for axes, patch, used in result.largest_patch:
        after = patch_arithmetic(result, axes, gib)
        inputs.append(f"{escape(axes)}: {patch} ({gib(used)}{'; ' + after if after else ''})" if patch
                      else f"{escape(axes)}: none fits")  # fmt: skip
    parts = [
        f"<p style='margin:0'><b>{gib(est.total)}</b> for batch {cfg.batch_size} at {size}, {est.precision}, "
        f"{est.optimizer}: {verdict}</p>",
        f"<p style='margin:4px 0 0 0'><b>largest batch size</b> at {size}: {batch}</p>",
        f"<p style='margin:4px 0 0 0'><b>largest valid input</b> at batch 1, per axis (the others as they are): "
        f"{'; '.join(inputs)}</p>",
        "<table cellspacing='2' style='margin-top:6px'>",
    ]
    parts += [
        f"<tr><td>{escape(item.what)}</td><td align='right' style='white-space:nowrap'>{gib(item.bytes)}</td></tr>"
        for item in est.items
    ]
    parts.append(
        f"<tr><td><b>total</b></td><td align='right' style='white-space:nowrap'><b>{gib(est.total)}</b></td></tr>"
        "</table><p style='color:#555'>An estimate: weights, gradients, optimizer state and what autograd keeps per "
        "layer type; not measured on a GPU.</p>"
    )
    return "".join(parts)


class MemoryPanel(QWidget):
    planned = Signal()  # a plan, a message or the inspected model's line is on screen
    open_matched = Signal()  # the inspected model is exactly a config: open that one to plan it

    def __init__(self, cfg: UNetConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("memory_panel")
        self.pool = QThreadPool(self)  # made first: destroyed first, it waits for a plan still running
        self.pool.setMaxThreadCount(1)
        self.lane = Lane(self.pool, parent=self)
        self.lane.report.connect(self._on_planned)
        self.lane.failed.connect(self._on_failed)
        self.checker: Checker | None = None  # set by the window: its trace process asks torch
        self.check_pool = QThreadPool(self)  # its own thread: a check waiting behind a long trace delays no plan
        self.check_pool.setMaxThreadCount(1)
        self.check_lane = Lane(self.check_pool, parent=self)
        self.check_lane.report.connect(self._on_checked)
        self.checked: int | str | None = None  # torch's figure for the plan shown, or why there is none
        self.config: UNetConfig | None = cfg
        self.inspection: Inspection | None = None
        self.plan: Plan | None = None  # what the result shows; None while computing or when nothing is shown
        self._requested: PlanRequest | None = None
        self._pending = True  # a request waits until the panel is shown (a tab behind the Summary: no work)
        self._tab_shown: bool | None = None  # in a dock: whether its tab is the current one (None: no dock)

        self.budget = QLineEdit(DEFAULT_BUDGET)
        self.budget.setPlaceholderText("e.g. 24GiB, 80GB")
        self.budget.setToolTip("the GPU's memory: a size such as 24GiB, 80GB or 16000000000 (bytes)")
        self.precision = QComboBox()
        self.optimizer = QComboBox()
        for combo, names, tips in ((self.precision, PRECISIONS, PRECISION_TIPS),
                                   (self.optimizer, OPTIMIZERS, OPTIMIZER_TIPS)):  # fmt: skip
            for name in names:
                combo.addItem(name)
                combo.setItemData(combo.count() - 1, tips[name], Qt.ItemDataRole.ToolTipRole)
        self.message = plain_label()  # one line: a bad budget, a config that cannot be planned, an inspected model
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c53030;")
        self.message.setOpenExternalLinks(False)
        self.message.linkActivated.connect(lambda _link: self.open_matched.emit())
        self.message.hide()
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.result.setMargin(4)

        form = QGridLayout()  # two rows: the result gets the rest of a short dock
        form.setContentsMargins(8, 6, 8, 0)
        form.addWidget(QLabel("GPU memory"), 0, 0)
        form.addWidget(self.budget, 0, 1, 1, 3)
        for column, (name, combo) in enumerate((("Precision", self.precision), ("Optimizer", self.optimizer))):
            form.addWidget(QLabel(name), 1, 2 * column)
            form.addWidget(combo, 1, 2 * column + 1)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the text wraps instead
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.setContentsMargins(4, 0, 4, 4)
        inner_layout.addWidget(self.message)
        inner_layout.addWidget(self.result)
        inner_layout.addStretch(1)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(scroll, 1)
        self.budget.textChanged.connect(self.request)
        self.precision.currentTextChanged.connect(self.request)
        self.optimizer.currentTextChanged.connect(self.request)

    def follow(self, document: ConfigDocument, inspector: InspectController, dock: QDockWidget) -> None:
        """Plan each config the document takes while `dock` is on screen; say that an inspected model needs a
        config. A dock behind another's tab stays visible to Qt (moved off screen): its own signal says which."""
        self._tab_shown = False
        dock.visibilityChanged.connect(self._on_tab_shown)
        document.changed.connect(self.set_config)
        inspector.inspected.connect(self.show_inspection)
        inspector.left.connect(lambda: self.set_config(document.config))
        self.open_matched.connect(inspector.open_matched)

    def set_config(self, cfg: UNetConfig) -> None:
        self.config, self.inspection = cfg, None
        self.request()

    def show_inspection(self, found: Inspection) -> None:
        self.inspection = found
        self.request()

    def set_stale(self, stale: bool) -> None:
        """The form holds an invalid edit: what is shown is the last valid config's plan."""
        self.result.setEnabled(not stale)

    def text(self) -> str:
        """The message line and the result, as shown (for tests and screen readers)."""
        shown = [self.message.text()] if not self.message.isHidden() else []
        return "\n".join([*shown, self.result.text()])

    def request(self) -> None:
        """Plan the current config with the chosen budget; the newest request wins, nothing stale stays shown."""
        self.lane.cancel()  # whatever is in flight answers an older question
        self.check_lane.cancel()
        self._requested, self.plan, self.checked = None, None, None
        if self.inspection is not None:
            matched = self.inspection.matched
            line = "The memory planner needs a config; this is an inspected model."
            if matched is not None:
                line += (f" It is exactly the config {escape(matched.name)}: "
                         f"<a href='{OPEN_MATCHED_LINK}'>open it as an editable config</a> to plan it.")  # fmt: skip
            self._show_message(line, rich=True)
            return
        try:
            budget = parse_bytes(self.budget.text(), FIELD)
        except ConfigError as exc:
            self._show_message(app_message(str(exc)))
            return
        if self.config is None:
            return
        if not self.isVisible() or self._tab_shown is False:
            self._pending = True
            self.message.hide()
            self.result.setText(COMPUTING)
            return
        self._pending = False
        self._requested = PlanRequest(self.config, budget, self.precision.currentText(), self.optimizer.currentText())
        self.message.hide()
        self.result.setText(COMPUTING)
        self.lane.submit(partial(plan_work, self._requested))

    def shutdown(self, wait_ms: int = 10_000) -> bool:
        self.lane.cancel()
        self.check_lane.cancel()
        return bool(self.pool.waitForDone(wait_ms)) and bool(self.check_pool.waitForDone(wait_ms))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._pending:
            self.request()

    def _on_tab_shown(self, shown: bool) -> None:
        self._tab_shown = shown
        if shown and self._pending:
            self.request()

    def _show_message(self, line: str, rich: bool = False) -> None:
        self._pending = False
        self.message.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self.message.setText(line)
        self.message.setStyleSheet("" if rich else "color: #c53030;")
        self.message.show()
        self.result.setText("")
        self.planned.emit()

    def _on_planned(self, _kind: str, payload: object) -> None:
        assert isinstance(payload, tuple)
        asked, result = payload
        if asked != self._requested:  # queued before a newer request: not what is asked now
            return
        assert isinstance(result, Plan)
        self.plan = result
        self.message.hide()
        self.result.setText(plan_html(result) + (check_html(None) if self.checker else ""))
        if self.checker is not None:
            self.check_lane.submit(partial(check_work, self.checker, asked))
        self.planned.emit()

    def _on_checked(self, _kind: str, payload: object) -> None:
        assert isinstance(payload, tuple)
        asked, found, ours = payload
        if asked != self._requested or self.plan is None:  # a newer request: its own check follows
            return
        self.checked = found
        self.result.setText(plan_html(self.plan) + check_html(found, ours))
        self.planned.emit()

    def _on_failed(self, error: object) -> None:
        text = app_message(str(error)) if isinstance(error, ConfigError) else f"{type(error).__name__}: {error}"
        self._show_message(f"Cannot plan this config: {' '.join(text.split())}")
