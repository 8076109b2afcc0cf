"""Issue 9, items 4–7: bounded resources. Config files are refused before reading when they are not regular
files or too large; the CPU trace's memory guard sees cgroup limits; build_model refuses what the analysis
refuses; a renderer gets a time limit, its output is checked, and a PNG's size is capped before drawing.

Fake `dot` binaries are small shell scripts in tmp_path, put in place of the system one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.cli_run import one_line_error, run
from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError

SVG = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10pt" height="10pt"></svg>'


def fake_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """A `dot` that runs the shell `body` (with "$1" the -T option), in place of the system one."""
    script = tmp_path / "bin" / "dot"
    script.parent.mkdir(exist_ok=True)
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    monkeypatch.setattr("unetviz.draw.render.system_dot", lambda: str(script))
    return script


# --- 5: config files ---------------------------------------------------------------------------------------


def test_config_fifo_is_refused_without_waiting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    code, _out, err = run(capsys, "summary", "--device", "none", "--config", str(fifo))
    assert "this is a FIFO" in one_line_error(code, err)


def test_config_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "dir.json"
    folder.mkdir()
    code, _out, err = run(capsys, "summary", "--device", "none", "--config", str(folder))
    assert "this is a folder" in one_line_error(code, err)


def test_config_device_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "summary", "--device", "none", "--config", "/dev/zero")
    assert "character device" in one_line_error(code, err)


def test_proc_file_is_refused_before_reading(capsys: pytest.CaptureFixture[str]) -> None:
    """/proc files say size 0 and may block (/proc/kmsg) or never end: refused from their size alone."""
    code, _out, err = run(capsys, "summary", "--device", "none", "--config", "/proc/self/status")
    assert "/proc file" in one_line_error(code, err)


def test_large_config_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.json"
    big.write_text("{}" + " " * (5 * 2**20))  # valid JSON, but no config is 5 MB

    def no_reading(*_args: object) -> bytes:
        raise AssertionError("read before refusing")

    monkeypatch.setattr(os, "read", no_reading)
    code, _out, err = run(capsys, "summary", "--device", "none", "--config", str(big))
    assert "at most 4 MiB" in one_line_error(code, err)


def test_unreadable_config_says_read_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "locked.json"
    config.write_text('{"depth": 2}')
    real_open = os.open

    def locked(path: str | Path, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if str(path) == str(config):  # as a 0000 file answers anyone but root
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", locked)
    code, _out, err = run(capsys, "summary", "--device", "none", "--config", str(config))
    line = one_line_error(code, err)
    assert str(config) in line and "cannot read it: Permission denied" in line and "write" not in line


# --- 6: memory --------------------------------------------------------------------------------------------


def _fake_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cgroup: str, files: dict[str, str]) -> None:
    from unetviz.network import host_memory

    (tmp_path / "meminfo").write_text("MemTotal: 67108864 kB\nMemAvailable: 62914560 kB\n")  # 60 GiB free
    (tmp_path / "cgroup").write_text(cgroup)
    for name, text in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(text)
    monkeypatch.setattr(host_memory, "PROC_MEMINFO", tmp_path / "meminfo")
    monkeypatch.setattr(host_memory, "PROC_CGROUP", tmp_path / "cgroup")
    monkeypatch.setattr(host_memory, "CGROUP_ROOT", tmp_path / "fs")


GIB, MIB = 2**30, 2**20


def test_cgroup_v2_limit_is_the_headroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from unetviz.network.trace import _free_memory_bytes

    files = {
        "job/memory.max": str(GIB),
        "job/memory.current": str(600 * MIB),
        "job/memory.stat": f"anon 1\ninactive_file {100 * MIB}\n",
    }
    _fake_host(tmp_path, monkeypatch, "0::/job\n", files)
    assert _free_memory_bytes("cpu") == GIB - 500 * MIB  # usage less the page cache that can be dropped


def test_cgroup_parent_limit_binds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from unetviz.network.host_memory import available_bytes

    files = {
        "outer/memory.max": str(GIB),
        "outer/memory.current": str(900 * MIB),
        "outer/inner/memory.max": "max",
        "outer/inner/memory.current": str(10 * MIB),
    }
    _fake_host(tmp_path, monkeypatch, "0::/outer/inner\n", files)
    assert available_bytes() == 124 * MIB


def test_cgroup_v1_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from unetviz.network.host_memory import available_bytes

    files = {"memory/docker/abc/memory.limit_in_bytes": str(2 * GIB), "memory/docker/abc/memory.usage_in_bytes": "0"}
    _fake_host(tmp_path, monkeypatch, "4:memory:/docker/abc\n0::/\n", files)
    assert available_bytes() == 2 * GIB


def test_no_cgroup_limit_leaves_the_machine_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from unetviz.network.host_memory import available_bytes

    _fake_host(tmp_path, monkeypatch, "0::/\n", {"memory.max": "max", "memory.current": "5"})
    assert available_bytes() == 60 * GIB


def test_cpu_trace_refused_inside_a_small_container(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"memory.max": str(256 * MIB), "memory.current": str(200 * MIB)}
    _fake_host(tmp_path, monkeypatch, "0::/\n", files)
    code, _out, err = run(capsys, "summary", "--preset", "ronneberger2015", "--device", "cpu")
    assert "GiB is free" in one_line_error(code, err)


def test_build_model_refuses_what_the_analysis_refuses() -> None:
    from unetviz import analyze, build_model

    cfg = UNetConfig(depth=3, base_width=1 << 16)  # 8·10^12 parameters
    with pytest.raises(ConfigError, match="parameters") as analysed:
        analyze(cfg)
    with pytest.raises(ConfigError, match="parameters") as built:
        build_model(cfg, "meta")
    assert str(built.value) == str(analysed.value)


def test_meta_trace_beyond_torch_limit_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    size = "input_size=[1048576,1048576]"
    code, _out, err = run(capsys, "summary", "--preset", "small", "--device", "meta", "--set", size,
                          "--set", "batch_size=65536")  # fmt: skip
    line = one_line_error(code, err)
    assert line.startswith("unetviz summary: input_size:") and "2^63 bytes" in line


# --- 7 and 4: the renderer ----------------------------------------------------------------------------------


def test_hanging_dot_is_stopped_in_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the shell waits on a child that holds stdout open: killing only the shell would leave the pipe open
    fake_dot(tmp_path, monkeypatch, "sleep 30; echo late")
    monkeypatch.setenv("UNETVIZ_RENDER_TIMEOUT", "0.5")
    target = tmp_path / "u.svg"
    started = time.monotonic()
    code, _out, err = run(capsys, "export", "--preset", "small", "--engine", "system", "-o", str(target))
    assert time.monotonic() - started < 10
    assert "longer than 0.5 s" in one_line_error(code, err)
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


def test_after_a_timeout_other_drawings_are_not_tried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path, monkeypatch, 'echo "$1" >> "$(dirname "$0")/calls"; sleep 30')
    monkeypatch.setenv("UNETVIZ_RENDER_TIMEOUT", "0.3")
    outputs = [str(tmp_path / name) for name in ("a.svg", "b.pdf", "c.dot", "d.csv")]
    code, out, err = run(
        capsys, "export", "--preset", "small", "--engine", "system", *[arg for o in outputs for arg in ("-o", o)]
    )
    assert "(and 1 more)" in one_line_error(code, err)
    assert (tmp_path / "bin" / "calls").read_text().split() == ["-Tsvg"]
    assert out.split() == ["wrote", outputs[2], "wrote", outputs[3]]


def test_bad_timeout_setting_is_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNETVIZ_RENDER_TIMEOUT", "soon")
    code, _out, err = run(capsys, "export", "--preset", "small", "-o", "/tmp/never-written.svg")
    assert "UNETVIZ_RENDER_TIMEOUT" in one_line_error(code, err)


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        ("svg", "echo 'not an svg'"),
        ("svg", "printf '<html>\\n</html>'"),
        ("svg", "printf '\\377\\376<svg/>'"),  # not UTF-8
        ("png", "echo 'GIF89a'"),
        ("pdf", "echo '<svg/>'"),
    ],
)
def test_garbage_from_dot_is_not_written(
    suffix: str, body: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path, monkeypatch, f'case "$1" in -Tplain) echo "graph 1 2 2";; *) {body};; esac')
    target = tmp_path / f"u.{suffix}"
    code, _out, err = run(capsys, "export", "--preset", "small", "--engine", "system", "-o", str(target))
    assert f"did not produce {suffix.upper()} output" in one_line_error(code, err)
    assert not target.exists()


def test_dot_error_with_terminal_escapes_is_printed_plain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path, monkeypatch, "printf 'Warning\\n\\033[31mError: \\033]0;pwned\\007boom\\033[0m\\n' >&2; exit 1")
    code, _out, err = run(capsys, "export", "--preset", "small", "--engine", "system", "-o", str(tmp_path / "u.svg"))
    line = one_line_error(code, err)
    assert "boom" in line and "\x1b" not in line and "\x07" not in line


def test_html_compare_survives_a_renderer_that_is_not_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path, monkeypatch, "printf '\\377<svg/>'")
    code, out, err = run(capsys, "compare", "small", "milesial", "--format", "html", "--engine", "system")
    assert code == 0, err
    assert out.count("diagram not drawn") == 2


def test_engine_version_that_hangs_does_not_stop_the_svg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from unetviz import analyze
    from unetviz.draw.graph import build_graph
    from unetviz.draw.render import render

    fake_dot(tmp_path, monkeypatch, f"""case "$1" in -V) sleep 30;; *) echo '{SVG}';; esac""")
    monkeypatch.setenv("UNETVIZ_RENDER_TIMEOUT", "0.3")
    svg = render(build_graph(analyze(UNetConfig(depth=2, input_size=(64, 64))), "u"), "svg", engine="system")
    assert b"version unknown" in svg and b"<svg" in svg


def test_the_svg_says_which_graphviz_drew_it_without_asking_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Graphviz writes its version into its SVG: the mark reads it there, and `dot -V` (a second process for every
    drawing) is never run."""
    from unetviz import analyze
    from unetviz.draw.graph import build_graph
    from unetviz.draw.render import render

    generated = SVG.replace("<svg", "<!-- Generated by graphviz version 9.9.9 (test) --><svg", 1)
    fake_dot(tmp_path, monkeypatch, f"""echo "$1" >> "$(dirname "$0")/calls"; echo '{generated}'""")
    svg = render(build_graph(analyze(UNetConfig(depth=2, input_size=(64, 64))), "u"), "svg", engine="system")
    assert b"laid out and drawn by the system engine (graphviz version 9.9.9 (test))" in svg
    assert (tmp_path / "bin" / "calls").read_text().split() == ["-Tsvg"]


def test_png_past_the_pixel_cap_is_refused_before_drawing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a 100 × 80 inch layout: at 150 dpi 15,090 × 12,090 pixels; the PNG is never asked for
    fake_dot(tmp_path, monkeypatch, 'echo "$1" >> "$(dirname "$0")/calls"; case "$1" in '
             '-Tplain) echo "graph 1 100 80";; *) printf "\\211PNG\\r\\n\\032\\n";; esac')  # fmt: skip
    target = tmp_path / "u.png"
    code, _out, err = run(capsys, "export", "--preset", "small", "--engine", "system", "-o", str(target))
    line = one_line_error(code, err)
    assert "--dpi 150" in line and "15,090×12,090" in line and "use --dpi 111 or less" in line
    assert (tmp_path / "bin" / "calls").read_text().split() == ["-Tplain"]
    assert not target.exists()


def test_png_under_the_cap_is_drawn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(
        tmp_path, monkeypatch, 'case "$1" in -Tplain) echo "graph 1 10 8";; *) printf "\\211PNG\\r\\n\\032\\nx";; esac'
    )
    target = tmp_path / "u.png"
    code, _out, err = run(
        capsys, "export", "--preset", "small", "--engine", "system", "--dpi", "600", "-o", str(target)
    )
    assert code == 0, err
    assert target.read_bytes() == b"\x89PNG\r\n\x1a\nx"


def test_png_size_counts_the_pad() -> None:
    from unetviz.draw.render import png_size

    assert png_size(10, 8, 100) == (1060, 860)


def test_missing_dot_draws_nothing_but_writes_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("unetviz.draw.render.system_dot", lambda: None)
    monkeypatch.setattr("unetviz.draw.render.embedded_dot", lambda: None)
    svg, dot = tmp_path / "u.svg", tmp_path / "u.dot"
    code, _out, err = run(capsys, "export", "--preset", "small", "-o", str(svg), "-o", str(dot))
    assert "install Graphviz" in one_line_error(code, err)
    assert dot.read_text().startswith("// unetviz") and not svg.exists()
