"""Start the desktop app: pick the first config, open the window, or render it offscreen to a PNG.

Only Qt and the torch-free core load here; torch loads later, in the worker, for the first trace.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import traceback
from types import TracebackType
from typing import TYPE_CHECKING

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError

if TYPE_CHECKING:  # Qt loads inside run_app, after the display check
    from PySide6.QtWidgets import QApplication

    from unetviz.gui.main_window import MainWindow
    from unetviz.gui.settings import AppSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SCREENSHOT_TIMEOUT_MS = 60_000
NO_DISPLAY = (
    "unetviz: no display found (DISPLAY and WAYLAND_DISPLAY are unset); on a headless machine use "
    "`unetviz summary` or `unetviz export`, or QT_QPA_PLATFORM=offscreen with `unetviz gui --screenshot FILE`"
)


HIDDEN_PLATFORMS = ("offscreen", "minimal")  # Qt draws, but nobody can see or close the window
NOTHING_TO_SEE = (
    "unetviz: QT_QPA_PLATFORM={platform} shows no window; add `--screenshot FILE` to save one, "
    "or use `unetviz summary` or `unetviz export`"
)


def display_missing(env: dict[str, str] | None = None, platform: str = sys.platform) -> bool:
    env = dict(os.environ) if env is None else env
    if not platform.startswith("linux"):
        return False
    return not any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def parse_size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if sep and width.isdigit() and height.isdigit() and 100 <= int(width) <= 10000 and 100 <= int(height) <= 10000:
        return int(width), int(height)
    raise ConfigError("--size", text, "WIDTHxHEIGHT in pixels, each from 100 to 10000, e.g. 1280x800")


def initial_config(args: argparse.Namespace, last: UNetConfig | None) -> UNetConfig:
    """The command line's config; with no --preset/--config/--set, the one shown last time (else the paper's)."""
    from unetviz.cli import config_from_args

    if not (args.preset or args.config or args.assignments) and last is not None:
        return last
    return config_from_args(args)


def run_app(args: argparse.Namespace) -> int:
    screenshot: str | None = getattr(args, "screenshot", None)
    if screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # an explicit platform (xcb under Xvfb) is kept
        _quiet_offscreen_notice()
    elif display_missing():
        print(NO_DISPLAY, file=sys.stderr)
        return EXIT_USAGE
    elif (platform := os.environ.get("QT_QPA_PLATFORM", "").partition(":")[0]) in HIDDEN_PLATFORMS:
        print(NOTHING_TO_SEE.format(platform=platform), file=sys.stderr)
        return EXIT_USAGE
    size = parse_size(getattr(args, "size", None) or "1280x800")

    from PySide6.QtWidgets import QApplication

    from unetviz.gui.main_window import app_icon
    from unetviz.gui.settings import APPLICATION, ORGANIZATION, AppSettings

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setDesktopFileName("unetviz")
    app.setWindowIcon(app_icon())
    with_trace = bool(getattr(args, "with_trace", False))
    window = open_window(args, AppSettings(), auto_trace=with_trace or not screenshot, remember=not screenshot)
    if screenshot:
        return _screenshot(app, window, screenshot, size, with_trace)
    window.restore_layout()
    window.show()
    _install_excepthook(window)
    _close_on_signals(window)
    # What start-up made lives as long as the window: kept out of the collector's full passes, which would
    # otherwise walk it again and again as GUI-thread pauses.
    gc.collect()
    gc.freeze()
    return int(app.exec())


def open_window(
    args: argparse.Namespace, settings: AppSettings, auto_trace: bool = True, remember: bool = True
) -> MainWindow:
    """The main window with its first config; after a crash, the config being edited, and a line that says so.
    Damaged settings or autosave files never stop it: the window opens and the status bar says what was ignored."""
    from unetviz.gui.autosave import AUTOSAVE_NAME, read_unclean
    from unetviz.gui.main_window import MainWindow

    notes = [settings.problem()]
    recovered = read_unclean(settings.folder / AUTOSAVE_NAME) if remember else None
    explicit = bool(args.preset or args.config or args.assignments)
    cfg = initial_config(args, settings.last_config())
    if recovered is not None:
        notes.append(recovered.problem)
        if recovered.config is not None and not explicit:
            cfg = recovered.config
            notes.append("restored the config you were editing when unetviz last stopped without closing")
    window = MainWindow(_marked_edited(cfg), settings, auto_trace=auto_trace, remember=remember)
    if not explicit and remember:
        _relink(window, settings)
    message = "; ".join(note for note in notes if note)
    if message:
        window.statusBar().showMessage(message)
    return window


def _marked_edited(cfg: UNetConfig) -> UNetConfig:
    """`--preset ronneberger2015 --set depth=3` opens as "ronneberger2015 (edited)", as an edit in the form would."""
    from unetviz.core.config import load_preset, preset_names
    from unetviz.gui.preset_picker import EDITED, edited_name

    base = cfg.name.removesuffix(EDITED)
    if base not in preset_names():
        return cfg
    return cfg.replace(name=edited_name(cfg, load_preset(base)))


def _relink(window: MainWindow, settings: AppSettings) -> None:
    """The last config's file, linked again: Save writes there, and the title names it."""
    from unetviz.core.config import config_from_file
    from unetviz.core.json_files import read_json

    path = settings.last_path()
    if path is None:
        return
    try:
        saved = config_from_file(read_json(path, "config"), path) == window.document.config
    except (ConfigError, OSError):  # no longer a readable unetviz config: the link goes, the config stays
        settings.set_last_path(None)
        return
    window.document.relink(path, saved)


def _screenshot(app: QApplication, window: MainWindow, path: str, size: tuple[int, int], with_trace: bool) -> int:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QTimer

    from unetviz.report.export import write_bytes

    outcome: list[int] = []

    def save() -> None:
        if outcome:
            return
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        window.grab().save(buffer, "PNG")
        try:
            write_bytes(path, bytes(data.data()))
        except OSError as exc:
            print(f"unetviz gui: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            outcome.append(EXIT_USAGE)
        else:
            drawn = window.diagram.diagram is not None and window.analysis is not None
            if not drawn:
                print(f"unetviz gui: the window was saved without a diagram: {window.last_error}", file=sys.stderr)
            outcome.append(EXIT_OK if drawn else EXIT_FAILED)
        app.quit()

    def give_up() -> None:
        print("unetviz gui: the diagram did not appear within a minute; saving the window as it is", file=sys.stderr)
        save()

    window.resize(*size)
    ready = window.trace_finished if with_trace else window.update_finished
    ready.connect(lambda: QTimer.singleShot(0, save))  # after the drawing is laid out
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, give_up)
    window.show()
    app.exec()
    window.close()
    return outcome[0] if outcome else EXIT_FAILED


def _quiet_offscreen_notice() -> None:
    """The offscreen plugin says it "does not support propagateSizeHints()" on every window: not news."""
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    def handler(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if "propagateSizeHints" not in message:
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(handler)


def _install_excepthook(window: MainWindow) -> None:
    """A bug in a slot becomes a message in the window, not a traceback on the console (UNETVIZ_DEBUG=1 shows it)."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            window.close()
            return
        if os.environ.get("UNETVIZ_DEBUG"):
            traceback.print_exception(kind, error, tb)
        window.show_error("Unexpected error", f"{kind.__name__}: {error} (run with UNETVIZ_DEBUG=1 for details)")

    sys.excepthook = hook


def _close_on_signals(window: MainWindow) -> None:
    """Ctrl+C and SIGTERM (a logout, `kill`) close the window as its close button does, minus the question
    about unsaved changes that nobody is there to answer: the last config keeps them for the next start."""
    from PySide6.QtCore import QTimer

    def close(_sig: int, _frame: object) -> None:
        window.asks_to_save = False
        QTimer.singleShot(0, window.close)  # out of the signal handler, into the event loop

    signal.signal(signal.SIGINT, close)
    signal.signal(signal.SIGTERM, close)
    # Python runs signal handlers only between bytecodes: an idle timer lets it in while Qt waits for events.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
