"""A trace in progress, in the status bar: a busy bar, the time it has run, and Cancel. A CPU trace of a large
UNet takes seconds to minutes; the user sees that it runs and can stop it (its child process is killed)."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from unetviz.gui.worker import UpdateWorker

SHOW_AFTER_MS = 300  # a meta trace is over before this: no flicker in the status bar
TICK_MS = 250


class TraceProgress(QWidget):
    def __init__(self, worker: UpdateWorker, cancel: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trace_progress")
        self.worker, self.cancel = worker, cancel
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy: a trace cannot say how far it has got
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(100)
        self.label = QLabel()
        button = QToolButton()
        button.setDefaultAction(cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.bar, self.label, button):
            layout.addWidget(widget)
        self._clock = QElapsedTimer()
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._update)
        cancel.setEnabled(False)
        worker.traces.busy_changed.connect(self._on_busy)
        self.hide()

    @property
    def running(self) -> bool:
        return self._tick.isActive()

    def text(self) -> str:
        seconds = self._clock.elapsed() / 1000 if self._clock.isValid() else 0.0
        return f"tracing on {self.worker.trace_device}… {seconds:.0f} s"

    def _on_busy(self, busy: bool) -> None:
        self.cancel.setEnabled(busy)
        if busy and not self.running:
            self._clock.start()
            self._tick.start()
            self._update()
        elif not busy:
            self._tick.stop()
            self._clock.invalidate()
            self.hide()

    def _update(self) -> None:
        self.label.setText(self.text())
        self.setVisible(self._clock.elapsed() >= SHOW_AFTER_MS)
