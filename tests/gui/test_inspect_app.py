"""File → Inspect a model…: a PyTorch model the user wrote, imported in a child process and shown read-only in
every view, the table, the summary and the exports; "Open as an editable config" when it is exactly one; field
errors as one line naming the field; Cancel ends the child; nothing is imported by the app itself, ever."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

import pytest
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from unetviz.core.analysis import analyze
from unetviz.core.config import load_preset
from unetviz.core.errors import ConfigError
from unetviz.gui.app import open_window
from unetviz.gui.inspect_dialog import InspectDialog, guess_factory
from unetviz.gui.inspect_request import InspectRequest, parse_input_size, parse_kwargs, parse_request, parse_target
from unetviz.gui.main_window import MainWindow
from unetviz.gui.settings import AppSettings

from .conftest import MakeWindow, wait_update

MODELS = Path(__file__).parent.parent / "models"
UNET = f"{MODELS / 'pytorch_unet.py'}:UNet"
INSPECT_TIMEOUT_MS = 90_000  # a fresh child loads torch, imports the file and records the forward pass


def inspect_with_dialog(qtbot: QtBot, window: MainWindow, target: str, size: str, kwargs: str = "") -> InspectDialog:
    """Fill File → Inspect a model… and press Inspect; return once the inspected model's diagram is on screen."""
    dialog = window.inspector.open_dialog()
    dialog.target.setText(target)
    dialog.kwargs.setText(kwargs)
    dialog.input_size.setText(size)
    with qtbot.waitSignal(window.inspector.drawn, timeout=INSPECT_TIMEOUT_MS):
        assert dialog.start()
        assert dialog.running and not dialog.progress_bar.isHidden()  # progress shows while the child works
    return dialog


def test_the_pytorch_unet_is_shown_read_only_in_every_view(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    tester = QAbstractItemModelTester(window.table.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    dialog = inspect_with_dialog(qtbot, window, UNET, "1,3,572,572", '{"n_channels": 3, "n_classes": 2}')
    assert not dialog.isVisible()  # done: the dialog closed itself
    found = window.inspector.shown
    assert found is not None and found.input_shape == (1, 3, 572, 572)
    assert found.kwargs == {"n_channels": 3, "n_classes": 2}
    # The table holds the model's recorded layers: as many as the preset it matches, layer for layer.
    milesial = analyze(load_preset("milesial"))
    assert window.table.model.rowCount() == len(found.layers) == len(milesial.layers) == 71
    assert window.table.model.index(0, 1).data() == "inc.double_conv.0"
    summary = window.summary.text()
    assert "matches config milesial" in summary and "31,037,698" in summary
    assert "inspected model <b>" in summary and "pytorch_unet.py:UNet" in summary
    banner = window.inspector.banner
    assert banner.isVisible() and banner.text().startswith("Read-only")
    assert f"Showing an inspected model: {UNET}; its layers come from tracing it" in banner.text()
    assert "read-only" in window.windowTitle() and "UNet" in window.windowTitle()
    assert not window.commands.trace.isEnabled() and not window.commands.export_code.isEnabled()
    drawn = window.diagram.diagram
    assert drawn is not None and drawn.view == "u" and drawn.config is None
    assert b"<svg" in drawn.svg and b"UNet" in drawn.svg
    assert "unetviz_inspected_pytorch_unet" not in sys.modules  # the user's file ran in the child, not here

    for view in ("blocks", "layers"):
        with qtbot.waitSignal(window.inspector.drawn, timeout=INSPECT_TIMEOUT_MS):
            window.set_view(view)
        drawn = window.diagram.diagram
        assert drawn is not None and drawn.view == view
    assert len(drawn.graph.nodes) > 71  # every recorded step has its box, input and output too
    window.table.select_layers(["outc.conv"])
    window.table.layers_selected.emit(["outc.conv"])
    assert window.diagram.highlighted is not None  # the selection link works on the inspected graph

    for path in (tmp_path / "unet.svg", tmp_path / "unet.csv"):
        with qtbot.waitSignal(window.worker.exported, timeout=INSPECT_TIMEOUT_MS):
            assert (window.files.export_diagram if path.suffix == ".svg" else window.files.export_table)(path)
    svg = (tmp_path / "unet.svg").read_text(encoding="utf-8")  # the layers view, as shown
    assert "inspected (meta)" in svg and "outc.conv" in svg and "up4.conv.double_conv.3" in svg
    rows = list(csv.DictReader((tmp_path / "unet.csv").open(encoding="utf-8")))
    assert [row["layer"] for row in rows] == [layer.name for layer in found.layers]
    assert not window.files.export_code(tmp_path / "unet.py")  # it is code already: refused, in one line
    assert "inspected model" in window.last_error and "milesial" in window.last_error
    assert not (tmp_path / "unet.py").exists()
    del tester


def test_open_as_an_editable_config_loads_the_matched_preset(qtbot: QtBot, window: MainWindow) -> None:
    inspect_with_dialog(qtbot, window, UNET, "1,3,572,572")
    assert window.inspector.banner.open_matched.isVisible()
    with qtbot.waitSignal(window.update_finished, timeout=INSPECT_TIMEOUT_MS):
        window.inspector.banner.open_matched.click()
    assert window.document.config == load_preset("milesial")
    assert not window.inspector.active and not window.inspector.banner.isVisible()
    assert window.analysis is not None and window.analysis.config == load_preset("milesial")
    assert window.table.model.rowCount() == len(window.analysis.layers)
    assert "inspected model <b>" not in window.summary.text()
    assert "imported</b> from the inspected model" in window.summary.text()
    assert window.commands.trace.isEnabled() and window.windowTitle().startswith("unetviz — milesial")
    window.form.spins["depth"].setValue(3)  # editable: the normal flow
    wait_update(qtbot, window)
    assert window.document.config.depth == 3


@pytest.mark.parametrize("how", ["edit", "preset"])
def test_editing_the_form_goes_back_to_the_config(qtbot: QtBot, window: MainWindow, how: str) -> None:
    before = window.document.config
    inspect_with_dialog(qtbot, window, f"{MODELS / 'small_models.py'}:CropUNet", "1,1,92,92")
    found = window.inspector.shown
    assert found is not None and found.matched is None and found.skips[0].adjust == "crop"
    assert not window.inspector.banner.open_matched.isVisible()
    assert window.table.model.rowCount() == len(found.layers)
    if how == "edit":  # the form is the user's config: an edit goes back to it
        window.form.spins["base_width"].setValue(before.base_width * 2)
        expected = before.replace(base_width=before.base_width * 2, name=f"{before.name} (edited)")
    else:  # the preset the config already is: nothing changes but the mode
        window.form.preset.set_preset(before.name)
        window.form.preset.activated.emit(window.form.preset.currentIndex())
        expected = before
    wait_update(qtbot, window)
    assert not window.inspector.active and not window.inspector.banner.isVisible()
    assert window.document.config == expected
    assert window.analysis is not None and window.table.model.rowCount() == len(window.analysis.layers)
    assert window.table.model.index(0, 1).data() != found.layers[0].name
    assert "CropUNet" not in window.windowTitle()


def test_a_failing_forward_pass_shows_where_and_why(qtbot: QtBot, window: MainWindow) -> None:
    inspect_with_dialog(qtbot, window, f"{MODELS / 'small_models.py'}:StrictUNet", "1,1,65,65")
    found = window.inspector.shown
    assert found is not None and found.failure is not None
    summary = window.summary.text()
    assert "fails at cat" in summary and "Sizes of tensors must match" in summary
    assert window.diagram.diagram is not None and b"<svg" in window.diagram.diagram.svg


def test_a_valid_size_clicked_in_the_summary_inspects_again_there(qtbot: QtBot, window: MainWindow) -> None:
    inspect_with_dialog(qtbot, window, f"{MODELS / 'small_models.py'}:CropUNet", "1,1,90,90")
    found = window.inspector.shown
    assert found is not None and found.valid_sizes
    size = next(i for i, _o in found.valid_sizes[0].sizes if i != 90)
    assert f"shape:1,1,{size},{size}" in window.summary.text()
    with qtbot.waitSignal(window.inspector.drawn, timeout=INSPECT_TIMEOUT_MS):
        window.summary.label.linkActivated.emit(f"shape:1,1,{size},{size}")
    again = window.inspector.shown
    assert again is not None and again.input_shape == (1, 1, size, size) and again.target == found.target


@pytest.mark.parametrize(
    ("field", "target", "kwargs", "size", "start"),
    [
        ("kwargs", UNET, "{n_channels: 3", "1,3,572,572", "Keyword arguments: "),
        ("kwargs", UNET, "[3]", "1,3,572,572", "Keyword arguments: "),
        ("target", f"{MODELS / 'nope.py'}:UNet", "", "1,3,572,572", "Target: "),
        ("target", str(MODELS / "pytorch_unet.py"), "", "1,3,572,572", "Target: "),
        ("input_size", UNET, "", "1,3,abc", "Input size: "),
        ("input_size", UNET, "", "572,572", "Input size: "),
    ],
)
def test_a_wrong_field_is_one_line_naming_it(qtbot: QtBot, window: MainWindow, field: str, target: str, kwargs: str,
                                             size: str, start: str) -> None:  # fmt: skip
    dialog = window.inspector.open_dialog()
    dialog.target.setText(target)
    dialog.kwargs.setText(kwargs)
    dialog.input_size.setText(size)
    assert not dialog.start()
    text = dialog.error_text()
    assert text.startswith(start) and "\n" not in text and "Traceback" not in text
    if field == "target" and "nope" in target:
        assert "does not exist" in text
    assert not window.inspector.running and not dialog.running and dialog.isVisible()
    widget = {"kwargs": dialog.kwargs, "target": dialog.target, "input_size": dialog.input_size}[field]
    assert widget.property("invalid") is True


def test_an_error_in_the_users_module_comes_back_as_one_line(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.inspector.open_dialog()
    dialog.target.setText(f"{MODELS / 'small_models.py'}:NoSuchModel")
    dialog.input_size.setText("1,1,64,64")
    with qtbot.waitSignal(window.inspector.failed, timeout=INSPECT_TIMEOUT_MS) as failed:
        assert dialog.start()
    message = failed.args[0]
    assert message.startswith("Target: ") and "NoSuchModel" in message and "\n" not in message
    assert dialog.isVisible() and not dialog.running and dialog.error_text() == message
    assert not window.inspector.active and "Cannot inspect the model" in window.statusBar().currentMessage()


def test_cancel_ends_a_model_that_hangs(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    model = tmp_path / "hangs.py"
    model.write_text(f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n")
    dialog = window.inspector.open_dialog()
    dialog.target.setText(f"{model}:UNet")
    dialog.input_size.setText("1,1,64,64")
    assert dialog.start()
    qtbot.waitUntil(lambda: pid_file.is_file() and pid_file.read_text() != "", timeout=INSPECT_TIMEOUT_MS)
    pid = int(pid_file.read_text())
    assert window.inspector.running and dialog.running
    with qtbot.waitSignal(window.inspector.cancelled, timeout=5_000):
        dialog.reject()  # Cancel while it runs: the run ends, the dialog stays
    assert dialog.isVisible() and not dialog.running and not window.inspector.active

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    qtbot.waitUntil(gone, timeout=10_000)
    assert window.summary.inspection is None


def test_the_inspected_model_is_never_saved_or_restored(qtbot: QtBot, make_window: MakeWindow, settings: AppSettings,
                                                        settings_dir: Path) -> None:  # fmt: skip
    window = make_window()
    shown = window.document.config
    inspect_with_dialog(qtbot, window, UNET, "1,3,572,572")
    window.close()
    autosave = json.loads((settings_dir / "autosave.json").read_text(encoding="utf-8"))
    assert autosave["config"]["name"] == shown.name  # the config, not the inspected model (nor its match)
    assert settings.last_config() == shown
    # The next start, as `unetviz gui` makes it: the last config again, and no import of anything.
    again = open_window(argparse.Namespace(preset=None, config=None, assignments=[]), settings, auto_trace=False)
    qtbot.addWidget(again)
    try:
        assert again.document.config == shown
        assert again.inspector.request is None and not again.inspector.running and not again.inspector.active
    finally:
        again.worker.shutdown()


def test_browse_fills_the_file_and_a_likely_factory(qtbot: QtBot, window: MainWindow,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    dialog = window.inspector.open_dialog()
    monkeypatch.setattr(dialog, "choose_file", lambda: str(MODELS / "pytorch_unet.py"))
    dialog.browse_button.click()
    assert dialog.target.text() == UNET and dialog.target.selectedText() == "UNet"
    assert guess_factory(MODELS / "small_models.py") == "Classifier"
    assert "runs its code" in dialog.note.text()
    assert "unetviz_inspected_pytorch_unet" not in sys.modules


def test_requests_are_read_from_the_fields_text() -> None:
    assert parse_request(UNET, ' {"bilinear": true} ', "1 × 3 × 64 × 64", "cpu") == InspectRequest(
        UNET, {"bilinear": True}, (1, 3, 64, 64), "cpu"
    )
    assert parse_target(" torchvision.models:resnet18 ") == "torchvision.models:resnet18"
    assert parse_kwargs("") == {} and parse_input_size("(2, 1, 8, 16, 16)") == (2, 1, 8, 16, 16)
    for bad in ("UNet", ":UNet", f"{MODELS / 'pytorch_unet.py'}:", f"{MODELS / 'pytorch_unet.py'}:1x", "a b:UNet"):
        with pytest.raises(ConfigError, match=r"^Target: "):
            parse_target(bad)
    with pytest.raises(ConfigError, match=r"^Device: "):
        parse_request(UNET, "", "1,3,64,64", "tpu")
    with pytest.raises(ConfigError, match=r"^Input size: .*at most"):
        parse_input_size("1,3,99999999,64")


def test_the_inspect_child_command_line_is_isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the trace child: -P (or -I before Python 3.11) before -c, so a pickle.py in the launch folder cannot run;
    and a session of its own, so that Cancel ends what the user's code started too."""
    from unetviz.gui import inspect_process

    seen: list[tuple[list[str], dict[str, object]]] = []

    class Started(Exception):
        pass

    def popen(args: list[str], **kwargs: object) -> None:
        seen.append((args, kwargs))
        raise Started

    monkeypatch.setattr(inspect_process.subprocess, "Popen", popen)
    with pytest.raises(Started):
        inspect_process.InspectProcess().run(InspectRequest(UNET), lambda _text: None)
    args, kwargs = seen[0]
    assert args[:3] == [sys.executable, "-P" if sys.version_info >= (3, 11) else "-I", "-c"]
    assert args[3] == inspect_process.CHILD_COMMAND and kwargs["start_new_session"] is (os.name == "posix")
