"""File → Inspect a model…: the target, the factory's keyword arguments, the input size and the device.

The dialog checks its fields (one line naming the field, never a traceback), then hands the request to the
inspect controller, which runs it in a child process; the dialog shows its progress, Cancel ends it, and the
dialog closes once the inspected model is on screen. Browsing reads the chosen file's text for a likely
factory name; nothing here imports it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from unetviz.core.errors import ConfigError
from unetviz.gui.inspect_request import DEVICES, InspectRequest, parse_request
from unetviz.gui.marks import set_invalid
from unetviz.gui.text import plain_label

if TYPE_CHECKING:
    from unetviz.core.inspection import Inspection
    from unetviz.gui.inspect_mode import InspectController

RUNS_CODE = (
    "Inspecting imports the file or module you name and calls its factory: that runs its code, as running it "
    "with Python would (in a separate process, which Cancel ends). Inspect only code you trust. unetviz imports "
    "nothing else, and never by itself: not at start-up, nor when it opens any other file."
)
DEVICE_TIPS = {
    "meta": "shapes only: no memory, no computation (the default)",
    "cpu": "a real forward pass of a zero input on the CPU (slow and memory-hungry for large inputs)",
    "cuda": "a real forward pass on the GPU",
}
CLASS_LINE = re.compile(r"^class\s+([A-Za-z_]\w*)\s*\(([^)]*)\)", re.MULTILINE)
SCANNED_CHARS = 2_000_000  # of a browsed file, read as text for its class names


def guess_factory(path: Path) -> str:
    """The last top-level class in `path` whose bases name a Module (a model file's blocks come before the model),
    read as text, never imported; "" when there is none or the file cannot be read."""
    try:
        with path.open(encoding="utf-8", errors="replace") as source:
            text = source.read(SCANNED_CHARS)
    except OSError:
        return ""
    names = [name for name, bases in CLASS_LINE.findall(text) if "Module" in bases]
    return names[-1] if names else ""


class InspectDialog(QDialog):
    def __init__(self, controller: InspectController, request: InspectRequest, cuda: bool,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.controller = controller
        self.running = False
        self.setWindowTitle("Inspect a model")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        self.note = plain_label(RUNS_CODE)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("background: #fefcbf; color: #744210; padding: 6px; border-radius: 3px;")
        layout.addWidget(self.note)

        form = QFormLayout()
        self.target = QLineEdit(request.target)
        self.target.setPlaceholderText("path/to/model.py:UNet or package.module:factory")
        self.target.setToolTip(
            "the file (or module) to import, a colon, then the class or function that makes the model"
        )
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.browse)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 1)
        target_row.addWidget(self.browse_button)
        form.addRow("Target", target_row)
        self.kwargs = QLineEdit(request.kwargs_text)
        self.kwargs.setPlaceholderText('keyword arguments as JSON, e.g. {"n_channels": 3, "n_classes": 2}')
        form.addRow("Keyword arguments", self.kwargs)
        self.input_size = QLineEdit(request.size_text)
        self.input_size.setPlaceholderText("N,C,H,W (or N,C,D,H,W), e.g. 1,3,572,572")
        form.addRow("Input size", self.input_size)
        self.device = QComboBox()
        for device in DEVICES:
            if device != "cuda" or cuda:  # cuda only once the trace process has seen a GPU
                self.device.addItem(device)
                self.device.setItemData(self.device.count() - 1, DEVICE_TIPS[device], Qt.ItemDataRole.ToolTipRole)
        self.device.setCurrentText(request.device if request.device in DEVICES else "meta")
        form.addRow("Device", self.device)
        layout.addLayout(form)

        self.error_label = plain_label()  # it quotes what the user typed
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c53030;")
        self.error_label.hide()
        layout.addWidget(self.error_label)
        progress_row = QHBoxLayout()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)  # busy: the child reports stages, not fractions
        self.progress_bar.setMaximumWidth(120)
        self.progress_label = plain_label()
        self.progress_label.setWordWrap(True)
        progress_row.addWidget(self.progress_bar)
        progress_row.addWidget(self.progress_label, 1)
        layout.addLayout(progress_row)
        self.buttons = QDialogButtonBox()
        self.inspect_button = self.buttons.addButton("Inspect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.inspect_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._fields = {"Target": self.target, "Keyword arguments": self.kwargs, "Input size": self.input_size,
                        "Device": self.device}  # fmt: skip
        for edit in (self.target, self.kwargs, self.input_size):
            edit.textEdited.connect(self._clear_error)
        controller.progress.connect(self._on_progress)
        controller.inspected.connect(self._on_inspected)
        controller.failed.connect(self._on_failed)
        controller.cancelled.connect(self._on_cancelled)
        self._set_running(False)

    # --- the run -------------------------------------------------------------------------------------

    def start(self) -> bool:
        """Check the fields and start the inspection; False (and one line naming the field) if a field is wrong."""
        if self.running:
            return False
        try:
            request = parse_request(self.target.text(), self.kwargs.text(), self.input_size.text(),
                                    self.device.currentText())  # fmt: skip
        except ConfigError as exc:
            self.show_error(str(exc), self._fields.get(exc.field))
            return False
        self._clear_error()
        self._set_running(True)
        self.progress_label.setText(f"starting {request.target}…")
        self.controller.inspect(request)
        return True

    def reject(self) -> None:
        """Cancel while it runs ends the run and keeps the dialog; Cancel (or Esc) otherwise closes it."""
        if self.running:
            self.controller.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            self.controller.cancel()
        super().closeEvent(event)

    def _on_progress(self, text: str) -> None:
        if self.running:
            self.progress_label.setText(f"{text}…")

    def _on_inspected(self, _found: Inspection) -> None:
        if self.running:
            self._set_running(False)
            self.accept()

    def _on_failed(self, message: str) -> None:
        if self.running:
            self._set_running(False)
            self.show_error(message, None)

    def _on_cancelled(self) -> None:
        if self.running:
            self._set_running(False)
            self.progress_label.setText("cancelled; nothing was shown")
            self.progress_label.show()

    def _set_running(self, running: bool) -> None:
        self.running = running
        for widget in (self.target, self.browse_button, self.kwargs, self.input_size, self.device):
            widget.setEnabled(not running)
        self.inspect_button.setEnabled(not running)
        self.progress_bar.setVisible(running)
        self.progress_label.setVisible(running)

    # --- fields --------------------------------------------------------------------------------------

    def show_error(self, message: str, widget: QWidget | None) -> None:
        self.error_label.setText(" ".join(message.split()))  # one line, whatever the child said
        self.error_label.show()
        for field in self._fields.values():
            set_invalid(field, field is widget)
        if widget is not None:
            widget.setFocus()

    def error_text(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def _clear_error(self) -> None:
        self.error_label.hide()
        for field in self._fields.values():
            set_invalid(field, False)

    def browse(self) -> None:
        path = self.choose_file()
        if path:
            self.use_file(Path(path))

    def choose_file(self) -> str:
        where = self.target.text().rpartition(":")[0] or self.target.text()
        folder = str(Path(where).parent) if where and Path(where).parent.is_dir() else str(Path.cwd())
        path, _ = QFileDialog.getOpenFileName(self, "The model's Python file", folder, "Python (*.py);;All files (*)")
        return path

    def use_file(self, path: Path) -> None:
        """`path:` and the likely factory, selected, so that typing another name replaces it."""
        factory = guess_factory(path)
        self.target.setText(f"{path}:{factory}")
        self.target.setFocus()
        self.target.setSelection(len(str(path)) + 1, len(factory))
        self.progress_label.setText("type the factory's name after the colon if it is not the one shown")
        self.progress_label.show()
