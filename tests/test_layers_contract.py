"""The core runs without Qt, and its analytic half without torch (STYLE: the models never import views)."""

from __future__ import annotations

import subprocess
import sys

BLOCK = "import sys\nfor name in {blocked!r}: sys.modules[name] = None  # importing it now raises ImportError\n"


def run_blocked(blocked: list[str], code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK.format(blocked=blocked) + code], capture_output=True, text=True)


def test_core_needs_no_qt() -> None:
    code = (
        "from unetviz import analyze, load_config\n"
        "from unetviz.report.compare import compare\n"
        "from unetviz.draw.graph import build_graph\n"
        "from unetviz.draw.render import render\n"
        "from unetviz.cli import main\n"
        "a = analyze(load_config('ronneberger2015'), device='meta')\n"
        "svg = render(build_graph(a, 'u'), 'svg')\n"
        "compare(a, analyze(load_config('milesial')))\n"
        "assert main(['summary', '--device', 'none', '--format', 'csv']) == 0\n"
        "print(len(svg) > 1000)\n"
    )
    out = run_blocked(["PySide6"], code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("True")


def test_analysis_graph_and_tables_need_no_torch() -> None:
    code = (
        "from unetviz import analyze, load_config\n"
        "from unetviz.draw.graph import build_graph\n"
        "from unetviz.report.tables import render_table\n"
        "from unetviz.report.compare import compare\n"
        "a = analyze(load_config('unet3d'))\n"
        "build_graph(a, 'layers'); render_table(a, 'markdown'); compare(a, a)\n"
        "print('ok')\n"
    )
    out = run_blocked(["torch", "torchinfo"], code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
