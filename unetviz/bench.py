"""`python -m unetviz.bench [--rounds N] [--cold] [--json FILE] [--device cuda]`: unetviz's paths beside the tools
they replace, measured in one process with interleaved rounds, as ratios unetviz/peer per round (median, p10–p90).

Timing targets live here, not in the tests (issue #14: analyze(meta) with its torchinfo cross-check ≥ 2× faster
than torchinfo.summary alone; a warm meta trace ≤ 10 ms; the valid-size search linear in depth; cold
`unetviz summary --device meta` ≤ 0.75× a torchinfo script; the `u` export ≤ 0.15 s cold; the app's first diagram
≤ 0.5 s and first trace verdict ≤ 2.5 s after launch). `--device cuda` adds the GPU: per preset at two batch sizes
a measured training step's peak beside the planner's estimate (target: within 10 %), the slowest layers' forward
times, and the CUDA trace's time.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

PRESETS = ("ronneberger2015", "milesial", "unet3d", "nnunet-3d-fullres")


def _ms(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start) * 1000


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"median": statistics.median(ordered), "p10": pick(0.1), "p90": pick(0.9)}


def _torchinfo_alone(cfg: Any) -> Callable[[], object]:
    import torch
    import torchinfo

    from unetviz.network.model import build_model

    def run() -> object:  # what a user of torchinfo runs: build the model on meta, summarise it
        model = build_model(cfg, "meta")
        shape = (cfg.batch_size, cfg.in_channels, *cfg.input_size)
        return torchinfo.summary(model, input_data=torch.empty(shape, device="meta"), device="meta", verbose=0)

    return run


def trace_rounds(rounds: int) -> dict[str, Any]:
    """Per preset: the analytic engine, the warm meta trace, analyze(meta) with the torchinfo check, and
    torchinfo.summary alone, interleaved; ratios unetviz/torchinfo per round."""
    from unetviz.core.analysis import analyze
    from unetviz.core.config import load_config
    from unetviz.core.shapes import analyze_shapes
    from unetviz.network.trace import trace

    out: dict[str, Any] = {}
    for preset in PRESETS:
        cfg = load_config(preset)
        shapes = analyze_shapes(cfg)
        peer = _torchinfo_alone(cfg)
        analyze(cfg, "meta")  # warm: torch's lazy imports, the meta model
        peer()
        times: dict[str, list[float]] = {"analytic": [], "trace": [], "analyze_meta": [], "torchinfo": []}
        for _ in range(rounds):
            times["analytic"].append(_ms(functools.partial(analyze_shapes, cfg)))
            times["trace"].append(_ms(functools.partial(trace, cfg, shapes, "meta", cross_check=False)))
            times["analyze_meta"].append(_ms(functools.partial(analyze, cfg, "meta")))
            times["torchinfo"].append(_ms(peer))
        ratios = {key: [a / b for a, b in zip(times[key], times["torchinfo"], strict=True)]
                  for key in ("analytic", "trace", "analyze_meta")}  # fmt: skip
        out[preset] = {"ms": {k: _summary(v) for k, v in times.items()},
                       "ratio_to_torchinfo": {k: _summary(v) for k, v in ratios.items()}}  # fmt: skip
    return out


def peer_rounds(rounds: int) -> dict[str, Any]:
    """milesial: our U diagram (analysis, graph, SVG) beside torchview's draw_graph + dot, and analyze(meta)
    (params, mult-adds, checked shapes) beside thop.profile (params, MACs); interleaved; peers from the bench
    extra (`pip install -e '.[bench]'`), skipped with a note when missing."""
    import importlib.util

    import torch

    from unetviz.core.analysis import analyze
    from unetviz.core.config import load_config
    from unetviz.draw.graph import build_graph
    from unetviz.draw.render import render
    from unetviz.network.model import build_model

    cfg = load_config("milesial")
    shape = (cfg.batch_size, cfg.in_channels, *cfg.input_size)
    out: dict[str, Any] = {}

    def ours_diagram() -> object:
        return render(build_graph(analyze(cfg), "u"), "svg")

    if importlib.util.find_spec("torchview") is not None:
        import torchview

        def torchview_diagram() -> object:
            graph = torchview.draw_graph(build_model(cfg, "meta"), input_size=shape, device="meta", depth=3)
            return graph.visual_graph.pipe(format="svg")

        ours_diagram(), torchview_diagram()
        pairs = [(_ms(ours_diagram), _ms(torchview_diagram)) for _ in range(max(3, rounds // 4))]
        out["u diagram vs torchview"] = _pair(pairs)
    else:
        out["u diagram vs torchview"] = "torchview not installed (pip install -e '.[bench]')"
    if importlib.util.find_spec("thop") is not None:
        import thop

        def thop_profile() -> object:
            return thop.profile(build_model(cfg, "meta"), inputs=(torch.zeros(shape, device="meta"),), verbose=False)

        ours = functools.partial(analyze, cfg, "meta")
        ours(), thop_profile()
        out["analyze(meta) vs thop"] = _pair([(_ms(ours), _ms(thop_profile)) for _ in range(rounds)])
    else:
        out["analyze(meta) vs thop"] = "thop not installed (pip install -e '.[bench]')"
    return out


def _pair(pairs: list[tuple[float, float]]) -> dict[str, Any]:
    return {"ours_ms": _summary([a for a, _ in pairs]), "peer_ms": _summary([b for _, b in pairs]),
            "ratio": _summary([a / b for a, b in pairs])}  # fmt: skip


def render_times(rounds: int) -> dict[str, Any]:
    from unetviz.core.analysis import analyze
    from unetviz.core.config import load_config
    from unetviz.draw.graph import VIEWS, build_graph
    from unetviz.report.export import paper_bytes

    analysis = analyze(load_config("ronneberger2015"))
    out: dict[str, Any] = {}
    for view in VIEWS:
        graph = functools.partial(build_graph, analysis, view)
        out[f"{view} graph"] = _summary([_ms(graph) for _ in range(rounds)])
        drawn = functools.partial(_draw, graph)
        out[f"{view} svg"] = _summary([_ms(drawn) for _ in range(max(3, rounds // 8))])
    out["paper svg"] = _summary([_ms(lambda: paper_bytes(analysis, ".svg", 150, "x.svg")) for _ in range(rounds)])
    return out


def _draw(graph: Callable[[], Any]) -> bytes:
    from unetviz.draw.render import render

    return render(graph(), "svg")


def depth_growth() -> dict[str, float]:
    """The valid-size search by depth (milesial, an input of 2^(depth+2) + 92): linear, not doubling."""
    from unetviz.core.config import load_config
    from unetviz.core.tiles import valid_sizes_per_axis

    base = load_config("milesial")
    out = {}
    for depth in range(1, 11):
        size = 2 ** (depth + 2) + 92
        cfg = base.replace(depth=depth, input_size=(size, size))
        out[str(depth)] = statistics.median(_ms(functools.partial(valid_sizes_per_axis, cfg, 6)) for _ in range(7))
    return out


def size_growth() -> dict[str, dict[str, dict[str, float]]]:
    """The analytic engine, the meta trace and torchinfo.summary as the input grows: 64²…8192² (milesial) and
    16³…256³ (unet3d); medians of 5, ms."""
    from unetviz.core.config import load_config
    from unetviz.core.shapes import analyze_shapes
    from unetviz.network.trace import trace

    out: dict[str, dict[str, dict[str, float]]] = {}
    for preset, sizes, dims in (("milesial", (64, 256, 1024, 4096, 8192), 2), ("unet3d", (16, 32, 64, 128, 256), 3)):
        base = load_config(preset)
        series: dict[str, dict[str, float]] = {"analytic": {}, "trace": {}, "torchinfo": {}}
        for size in sizes:
            cfg = base.replace(input_size=(size,) * dims)
            shapes = analyze_shapes(cfg)
            peer = _torchinfo_alone(cfg)
            trace(cfg, shapes, "meta", cross_check=False)
            series["analytic"][str(size)] = statistics.median(
                _ms(functools.partial(analyze_shapes, cfg)) for _ in range(5)
            )
            series["trace"][str(size)] = statistics.median(
                _ms(functools.partial(trace, cfg, shapes, "meta", cross_check=False)) for _ in range(5)
            )
            series["torchinfo"][str(size)] = statistics.median(_ms(peer) for _ in range(5))
        out[f"{preset} {'²' if dims == 2 else '³'}"] = series
    return out


def plot_svg(results: dict[str, Any]) -> str:
    """A small line chart (log y) of the growth curves: depth, and input size per preset."""
    import math

    panels = [("valid-size search by depth", {"search": results["depth"]})]
    panels += [(f"{name} by input size", series) for name, series in results.get("growth", {}).items()]
    colours = {"search": "#0072B2", "analytic": "#009E73", "trace": "#0072B2", "torchinfo": "#D55E00"}
    w, h, pad = 300, 200, 40
    parts = []
    for i, (title, series) in enumerate(panels):
        x0 = i * (w + pad) + pad
        values = [v for s in series.values() for v in s.values() if v > 0]
        lo, hi = math.log10(min(values)), math.log10(max(values)) + 1e-9
        keys = list(next(iter(series.values())))
        parts.append(f'<text x="{x0}" y="20" font-size="12">{title} (ms, log)</text>')
        parts.append(f'<rect x="{x0}" y="30" width="{w}" height="{h}" fill="none" stroke="#999"/>')
        for j, key in enumerate(keys):
            x = x0 + w * j / max(1, len(keys) - 1)
            parts.append(f'<text x="{x:.1f}" y="{30 + h + 14}" font-size="9" text-anchor="middle">{key}</text>')
        for k, (name, points) in enumerate(series.items()):
            coords = []
            for j, key in enumerate(keys):
                v = max(points[key], 10**lo)
                coords.append(
                    f"{x0 + w * j / max(1, len(keys) - 1):.1f},{30 + h - h * (math.log10(v) - lo) / (hi - lo):.1f}"
                )
            colour = colours.get(name, "#333")
            parts.append(f'<polyline points="{" ".join(coords)}" fill="none" stroke="{colour}" stroke-width="2"/>')
            parts.append(f'<text x="{x0 + 6}" y="{48 + 12 * k}" font-size="10" fill="{colour}">{name}</text>')
        parts.append(f'<text x="{x0}" y="{30 + h + 28}" font-size="9">{10**lo:.2g} … {10**hi:.3g} ms</text>')
    width = len(panels) * (w + pad) + pad
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h + 80}" viewBox="0 0 {width} {h + 80}" '
        f'font-family="Liberation Sans"><rect width="{width}" height="{h + 80}" fill="white"/>'
        + "".join(parts)
        + "</svg>"
    )


TORCHINFO_SCRIPT = """
import torch, torchinfo
from unetviz.core.config import load_config
from unetviz.network.model import build_model
cfg = load_config("milesial")
model = build_model(cfg, "meta")
print(torchinfo.summary(model, input_data=torch.empty(1, 3, 572, 572, device="meta"), device="meta", verbose=0))
"""


APP_SCRIPT = """
import sys, time
from unetviz.gui import app
shoot = app._screenshot
def marked(qt, window, path, size, with_trace):
    mark = lambda what: sys.stderr.write(f"MARK {what} {time.time()!r}\\n")
    window.update_finished.connect(lambda: mark("diagram"))
    window.trace_finished.connect(lambda: mark("verdict"))
    return shoot(qt, window, path, size, with_trace)
app._screenshot = marked
from unetviz.cli import main
main(["gui", "--preset", "milesial", "--screenshot", sys.argv[1], "--with-trace"])
"""


def _app_marks(png: str) -> dict[str, float]:
    """Seconds from launching the app to its first diagram and to its first trace verdict (offscreen)."""
    started = time.time()
    done = subprocess.run([sys.executable, "-c", APP_SCRIPT, png], capture_output=True, text=True, check=True,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))  # fmt: skip
    marks = [line.split() for line in done.stderr.splitlines() if line.startswith("MARK ")]
    return {what: (float(at) - started) * 1000 for _, what, at in marks}


def cold_cli(rounds: int) -> dict[str, Any]:
    """A new process each: `unetviz summary --preset milesial --device meta` against a torchinfo script; the `u`
    export; the app's start to its first diagram and first verdict. The package is byte-compiled first, as an
    installed one is (a checkout run with PYTHONDONTWRITEBYTECODE would compile it in every process)."""
    import compileall
    import tempfile
    from pathlib import Path

    compileall.compile_dir(str(Path(__file__).parent), quiet=1)
    ours = [sys.executable, "-m", "unetviz.cli", "summary", "--preset", "milesial", "--device", "meta"]
    theirs = [sys.executable, "-c", TORCHINFO_SCRIPT]
    times: dict[str, list[float]] = {"unetviz": [], "torchinfo": [], "export_u": [], "app_diagram": [],
                                     "app_verdict": []}  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        export = [sys.executable, "-m", "unetviz.cli", "export", "--preset", "ronneberger2015", "-o", f"{folder}/u.svg"]
        for _ in range(rounds):
            for key, command in (("unetviz", ours), ("torchinfo", theirs), ("export_u", export)):
                start = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True)
                times[key].append((time.perf_counter() - start) * 1000)
            marks = _app_marks(f"{folder}/app.png")
            times["app_diagram"].append(marks["diagram"])
            times["app_verdict"].append(marks["verdict"])
    ratio = [a / b for a, b in zip(times["unetviz"], times["torchinfo"], strict=True)]
    return {"ms": {k: _summary(v) for k, v in times.items()}, "ratio_to_torchinfo": _summary(ratio)}


def gpu_rounds(batches: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    """Every preset at each batch size on CUDA: one measured training step (peak beside the planner's estimate,
    each layer's forward time) and the CUDA trace's time, median of 5. An out-of-memory is recorded, not fatal."""
    import torch

    from unetviz.core.config import load_config, preset_names
    from unetviz.core.shapes import analyze_shapes
    from unetviz.network.gpu_measure import cuda_device, measure_step
    from unetviz.network.trace import trace

    out: dict[str, Any] = {}
    for preset in preset_names():
        for batch in batches:
            cfg = load_config(preset).replace(batch_size=batch)
            key = f"{preset} batch {batch}"
            try:
                step = measure_step(cfg, cuda_device(), "fp32", "adam")
                shapes = analyze_shapes(cfg)
                trace_ms = [_ms(functools.partial(trace, cfg, shapes, "cuda", cross_check=False)) for _ in range(6)]
            except torch.cuda.OutOfMemoryError:
                out[key] = "out of memory"
            else:
                slowest = sorted(step.layer_ms.items(), key=lambda kv: -kv[1])[:3]
                biggest = sorted(step.layer_bytes.items(), key=lambda kv: -kv[1])[:3]
                out[key] = {"peak_bytes": step.peak_bytes, "estimate_bytes": step.estimate_bytes, "error": step.error,
                            "forward_ms": sum(step.layer_ms.values()), "slowest": slowest, "biggest": biggest,
                            "trace_ms": statistics.median(trace_ms[1:])}  # fmt: skip
            torch.cuda.empty_cache()
    return out


def _print_gpu(gpu: dict[str, Any]) -> None:
    print("\nCUDA, a measured fp32 Adam training step beside the planner (GiB; error = estimate/measured − 1)")
    for key, value in gpu.items():
        if isinstance(value, str):
            print(f"  {key:32s} {value}")
            continue
        slowest = ", ".join(f"{name} {ms:.2f}" for name, ms in value["slowest"])
        biggest = ", ".join(f"{name} {n / 2**20:.0f} MiB" for name, n in value["biggest"])
        print(f"  {key:32s} peak {value['peak_bytes'] / 2**30:7.2f}  estimate {value['estimate_bytes'] / 2**30:7.2f}  "
              f"error {value['error'] * 100:+6.1f} %  forward {value['forward_ms']:7.2f} ms (slowest: {slowest})  "
              f"largest allocations: {biggest}; trace {value['trace_ms']:.1f} ms")  # fmt: skip


def _print(results: dict[str, Any]) -> None:
    print(f"machine: {results['machine']}")
    print("\nmeta paths (ms, median; ratio unetviz/torchinfo.summary median [p10–p90], < 1 is faster)")
    for preset, data in results["trace"].items():
        ms, ratio = data["ms"], data["ratio_to_torchinfo"]
        print(f"  {preset:20s} analytic {ms['analytic']['median']:6.2f}  trace {ms['trace']['median']:6.2f}  "
              f"analyze(meta) {ms['analyze_meta']['median']:6.2f}  torchinfo {ms['torchinfo']['median']:6.2f}  "
              f"ratio analyze/torchinfo {ratio['analyze_meta']['median']:.2f} "
              f"[{ratio['analyze_meta']['p10']:.2f}–{ratio['analyze_meta']['p90']:.2f}]")  # fmt: skip
    print("\npeers, milesial (ms, median; ratio unetviz/peer)")
    for key, value in results["peers"].items():
        if isinstance(value, str):
            print(f"  {key}: {value}")
            continue
        print(f"  {key}: {value['ours_ms']['median']:.1f} vs {value['peer_ms']['median']:.1f}, ratio "
              f"{value['ratio']['median']:.2f} [{value['ratio']['p10']:.2f}–{value['ratio']['p90']:.2f}]")  # fmt: skip
    print("\nrender, ronneberger2015 (ms, median)")
    for key, value in results["render"].items():
        print(f"  {key:14s} {value['median']:8.2f}")
    print("\nvalid-size search by depth (ms): " + ", ".join(f"{d}: {v:.2f}" for d, v in results["depth"].items()))
    for name, series in results.get("growth", {}).items():
        print(f"\n{name} by input size (ms, median of 5)")
        for what, points in series.items():
            print(f"  {what:10s} " + ", ".join(f"{k}: {v:.2f}" for k, v in points.items()))
    if "edits" in results:
        print(
            "\nedit → view latency in the app, offscreen (ms, 40 edits a view; target ≤ 100 median, ≤ 150 p95): "
            + ", ".join(f"{view} {v['median']:.0f} / {v['p95']:.0f}" for view, v in results["edits"].items())
        )
    if "cold" in results:
        cold = results["cold"]
        ms = {key: value["median"] for key, value in cold["ms"].items()}
        print(
            f"\ncold, a new process each (ms, median): `unetviz summary --preset milesial --device meta` "
            f"{ms['unetviz']:.0f}, the torchinfo script {ms['torchinfo']:.0f}, ratio "
            f"{cold['ratio_to_torchinfo']['median']:.2f}; `unetviz export -o u.svg` {ms['export_u']:.0f}; "
            f"app start to diagram {ms['app_diagram']:.0f}, to first trace verdict {ms['app_verdict']:.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unetviz.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="interleaved rounds per measurement (default 40)")
    parser.add_argument("--cold", action="store_true", help="also time cold CLI processes (slow)")
    parser.add_argument("--json", metavar="FILE", help="write every figure here as JSON")
    parser.add_argument("--growth", action="store_true", help="also time growing inputs (64²…8192², 16³…256³)")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the growth curves here (implies --growth)")
    parser.add_argument("--device", default="meta", choices=("meta", "cuda"),
                        help="cuda: also a measured training step per preset beside the planner")  # fmt: skip
    args = parser.parse_args(argv)
    if args.device == "cuda":
        from unetviz.network.trace import cuda_available

        if not cuda_available():
            print("python -m unetviz.bench: --device: 'cuda' is not available on this machine (torch sees no GPU)",
                  file=sys.stderr)  # fmt: skip
            return 2
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    results: dict[str, Any] = {"machine": machine, "rounds": args.rounds}
    results["trace"] = trace_rounds(args.rounds)
    results["render"] = render_times(args.rounds)
    results["peers"] = peer_rounds(args.rounds)
    results["depth"] = depth_growth()
    if args.growth or args.plot:
        results["growth"] = size_growth()
    if args.cold:
        results["cold"] = cold_cli(max(3, args.rounds // 10))
    if args.device == "cuda":
        results["gpu"] = gpu_rounds()
    from unetviz.bench_edits import edit_latency

    results["edits"] = {view: {"median": median, "p95": p95} for view, (median, p95) in edit_latency().items()}
    _print(results)
    if "gpu" in results:
        _print_gpu(results["gpu"])
    if args.plot:
        from unetviz.draw.paper_svg import svg_to_png
        from unetviz.report.export import write_bytes

        write_bytes(args.plot, svg_to_png(plot_svg(results), 110))
    if args.json:
        from unetviz.report.export import write_text

        write_text(args.json, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
