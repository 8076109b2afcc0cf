"""Starting the app as a user does: no display, --screenshot, the first config, torch after the diagram, Xvfb."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from unetviz.core.config import load_preset
from unetviz.core.errors import ConfigError
from unetviz.gui.app import NO_DISPLAY, display_missing, initial_config, parse_size
from unetviz.gui.settings import SETTINGS_DIR_ENV, AppSettings

ROOT = Path(__file__).resolve().parents[2]
DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "unetviz.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout
    )


def clean_env(settings_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DISPLAY_VARS}
    env[SETTINGS_DIR_ENV] = str(settings_dir)
    env.update(extra)
    return env


def gui_args(*argv: str) -> argparse.Namespace:
    from unetviz.cli import build_parser

    return build_parser().parse_args(["gui", *argv])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is for Linux")
def test_no_display_says_so_in_one_line(settings_dir: Path) -> None:
    out = run([], clean_env(settings_dir), timeout=30)  # plain `unetviz` opens the app
    assert out.returncode == 2
    assert out.stderr == NO_DISPLAY + "\n" and out.stdout == ""
    assert "unetviz export" in out.stderr and "QT_QPA_PLATFORM=offscreen" in out.stderr


def test_offscreen_without_screenshot_does_not_hang(settings_dir: Path) -> None:
    out = run([], clean_env(settings_dir, QT_QPA_PLATFORM="offscreen"), timeout=30)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "shows no window" in out.stderr and "--screenshot" in out.stderr


def test_display_check() -> None:
    assert display_missing({}, "linux")
    assert not display_missing({"DISPLAY": ":0"}, "linux")
    assert not display_missing({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not display_missing({}, "darwin")


def test_screenshot_writes_png_of_the_window(settings_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "shot.png"
    out = run(["gui", "--preset", "small", "--screenshot", str(target), "--size", "900x640"], clean_env(settings_dir))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # not even the offscreen plugin's notice
    image = QImage(str(target))
    assert (image.width(), image.height()) == (900, 640)
    colours = {image.pixel(x, y) for x in range(0, 900, 7) for y in range(0, 640, 7)}
    assert len(colours) > 20  # panes drawn, not a blank window
    assert not (settings_dir / "unetviz.ini").exists()  # a screenshot leaves the user's settings alone


def test_bad_size_and_bad_config_are_one_line(settings_dir: Path, tmp_path: Path) -> None:
    out = run(["gui", "--screenshot", str(tmp_path / "x.png"), "--size", "huge"], clean_env(settings_dir))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "--size" in out.stderr
    out = run(["gui", "--set", "depth=0", "--screenshot", str(tmp_path / "x.png")], clean_env(settings_dir))
    assert out.returncode == 2 and out.stderr.startswith("unetviz gui: depth: 0 is not allowed")
    assert not (tmp_path / "x.png").exists()


def test_parse_size() -> None:
    assert parse_size("1280x800") == (1280, 800)
    with pytest.raises(ConfigError):
        parse_size("12x8000000")


def test_first_config_preset_then_last(settings: AppSettings) -> None:
    assert initial_config(gui_args(), settings.last_config()) == load_preset("ronneberger2015")
    settings.set_last_config(load_preset("unet3d").replace(depth=2))
    last = AppSettings().last_config()
    assert initial_config(gui_args(), last) == load_preset("unet3d").replace(depth=2)
    assert initial_config(gui_args("--preset", "small"), last) == load_preset("small")
    assert initial_config(gui_args("--set", "depth=3"), last) == load_preset("ronneberger2015").replace(depth=3)


STARTUP_SCRIPT = """
import sys, time
from PySide6.QtWidgets import QApplication
from unetviz.core.config import load_preset
from unetviz.gui.main_window import MainWindow
from unetviz.gui.settings import AppSettings
app = QApplication([])
window = MainWindow(load_preset("small"), AppSettings(), auto_trace=True, remember=False)
window.show()
window.update_finished.connect(lambda: print("diagram shown; torch loaded:", "torch" in sys.modules, flush=True))
def traced():
    print("trace:", window.summary.text().count("analytic and traced sizes agree"), flush=True)
    app.quit()
window.trace_finished.connect(traced)
app.exec()
window.worker.shutdown()
"""


def test_diagram_appears_before_torch_loads_then_trace_verdict(settings_dir: Path) -> None:
    env = clean_env(settings_dir, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", STARTUP_SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "diagram shown; torch loaded: False"
    assert lines[-1] == "trace: 1"


def _xcb_skip_reason() -> str | None:
    for tool in ("Xvfb", "xwininfo"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/system-deps.sh installs it)"
    return None


@pytest.mark.skipif(_xcb_skip_reason() is not None, reason=str(_xcb_skip_reason()))
def test_real_window_appears_under_xvfb(settings_dir: Path) -> None:
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert xvfb.stdout is not None
        display = f":{xvfb.stdout.readline().strip()}"  # Xvfb picks a free display number itself
        env = clean_env(settings_dir, DISPLAY=display)
        app = subprocess.Popen(
            [sys.executable, "-m", "unetviz.cli", "gui", "--preset", "small"],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline, tree = time.monotonic() + 60, ""
            while time.monotonic() < deadline and app.poll() is None:
                tree = subprocess.run(
                    ["xwininfo", "-root", "-tree"], capture_output=True, text=True, env=env, timeout=10
                ).stdout
                if '"unetviz — small' in tree:
                    break
                time.sleep(0.1)  # polling another process: there is no signal to wait on
            if app.poll() is not None:
                _out, err = app.communicate()
                if "xcb" in err and "platform plugin" in err:
                    pytest.skip(reason=f"Qt's xcb plugin cannot load here: {err.strip().splitlines()[0]}")
                pytest.fail(f"the app exited with {app.returncode}: {err}")
            assert '"unetviz — small' in tree
        finally:
            app.terminate()
            app.wait(10)
    finally:
        xvfb.terminate()
        xvfb.wait(10)
