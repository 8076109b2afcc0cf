"""The CLI end to end, through a subprocess as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from unetviz import cli


def unetviz(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "unetviz.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_summary_paper_table() -> None:
    out = unetviz("summary", "--preset", "ronneberger2015")
    assert out.returncode == 0, out.stderr
    assert "(572 − 3 + 2·0)/1 + 1 = 570" in out.stdout
    assert "31,030,658" in out.stdout
    assert "[1, 2, 388, 388]" in out.stdout
    assert "agree" in out.stdout


def test_summary_json_object() -> None:
    out = unetviz("summary", "--preset", "milesial", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["total_params"] == 31_037_698
    assert data["output_shape"] == [1, 2, 572, 572]
    assert data["trace"]["agreed"] is True and data["trace"]["mismatches"] == []
    assert data["config"]["in_channels"] == 3
    assert data["layers"][0]["name"] == "enc0.conv1" and data["layers"][0]["output_shape"] == [1, 64, 572, 572]
    for key in ("trainable_params", "mult_adds", "receptive_field", "levels", "warnings", "input_shape"):
        assert key in data


def test_summary_device_none_skips_trace_and_set_overrides(tmp_path: Path) -> None:
    target = tmp_path / "t.json"
    out = unetviz("summary", "--preset", "ronneberger2015", "--set", "padding=same", "--set", "input_size=[576,576]",
                  "--device", "none", "--format", "json", "-o", str(target))  # fmt: skip
    assert out.returncode == 0 and out.stdout == f"wrote {target}\n"
    data = json.loads(target.read_text())
    assert data["trace"] is None and data["output_shape"] == [1, 2, 576, 576]


@pytest.mark.parametrize("fmt", ["csv", "markdown"])
def test_summary_tables(fmt: str) -> None:
    out = unetviz("summary", "--preset", "small", "--device", "none", "--format", fmt)
    assert out.returncode == 0
    first = out.stdout.splitlines()[0]
    assert first.startswith("layer,type" if fmt == "csv" else "| layer | type")
    assert "enc0.conv1" in out.stdout


def test_sizes_and_presets() -> None:
    out = unetviz("sizes", "--preset", "ronneberger2015", "--near", "572", "--count", "3")
    assert out.returncode == 0
    assert "  572     388      1.27 GB   ← requested" in out.stdout  # input, output, activation memory
    listed = unetviz("presets")
    assert listed.returncode == 0 and "ronneberger2015" in listed.stdout and "unet3d" in listed.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["summary", "--set", "kernel_size=4"], "kernel_size: 4"),
        (["summary", "--set", "depth=true"], "depth: true"),
        (["summary", "--set", "colour=red"], "colour"),
        (["summary", "--preset", "nope"], "preset"),
        (["summary", "--config", "/no/such.json"], "config"),
        (["summary", "--device", "gpu"], "--device"),
        (["summary", "--set", "input_size=[32,32]", "--preset", "ronneberger2015"], "input_size"),
        (["summary", "--device", "none", "-o", "/no/such/dir/out.txt"], "cannot write /no/such/dir/out.txt: no such"),
        (["export", "-o", "/no/such/dir/u.svg"], "cannot write /no/such/dir/u.svg"),
        (["sizes", "--count", "0"], "--count"),
    ],
)
def test_bad_input_one_line_exit_2(args: list[str], needle: str) -> None:
    out = unetviz(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert needle in out.stderr


def test_no_partial_file_on_failure(tmp_path: Path) -> None:
    out = unetviz("summary", "--set", "kernel_size=4", "-o", str(tmp_path / "x.txt"))
    assert out.returncode == 2
    assert list(tmp_path.iterdir()) == []


def test_help_lists_every_command() -> None:
    out = unetviz("--help")
    assert out.returncode == 0
    for command in ("summary", "sizes", "presets", "export", "compare", "gui"):
        assert command in out.stdout


@pytest.mark.parametrize(
    ("argv", "frozen"),
    [(["summary", "--preset", "small", "--device", "meta"], True), (["--help"], False)],
)
def test_the_console_command_skips_the_exit_sweep_unless_qt_is_loaded(
    argv: list[str], frozen: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only a process with torch loaded and without Qt (whose objects must be torn down in order) skips it."""
    calls: list[None] = []
    monkeypatch.delitem(sys.modules, "PySide6.QtCore", raising=False)
    if not frozen:
        monkeypatch.setitem(sys.modules, "PySide6.QtCore", sys)  # as if the app had run
    monkeypatch.setattr(cli.gc, "freeze", lambda: calls.append(None))
    monkeypatch.setattr(sys, "argv", ["unetviz", *argv])
    try:
        code = cli.entry()
    except SystemExit as exc:  # --help
        code = int(exc.code or 0)
    assert code == 0 and capsys.readouterr().out
    assert bool(calls) == frozen
