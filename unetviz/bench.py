"""`python -m unetviz.bench [--rounds N] [--cold] [--json FILE]`: unetviz's paths beside the tools they replace,
measured in one process with interleaved rounds, as ratios unetviz/peer per round (median and p10–p90).

Timing targets live here, not in the tests (issue: analyze(meta) with its torchinfo cross-check ≥ 2× faster than
torchinfo.summary alone; a warm meta trace ≤ 10 ms; the valid-size search linear in depth).
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


TORCHINFO_SCRIPT = """
import torch, torchinfo
from unetviz.core.config import load_config
from unetviz.network.model import build_model
cfg = load_config("milesial")
model = build_model(cfg, "meta")
print(torchinfo.summary(model, input_data=torch.empty(1, 3, 572, 572, device="meta"), device="meta", verbose=0))
"""


def cold_cli(rounds: int) -> dict[str, Any]:
    """A new process each: `unetviz summary --preset milesial --device meta` against a torchinfo script."""
    ours = [sys.executable, "-m", "unetviz.cli", "summary", "--preset", "milesial", "--device", "meta"]
    theirs = [sys.executable, "-c", TORCHINFO_SCRIPT]
    times: dict[str, list[float]] = {"unetviz": [], "torchinfo": []}
    for _ in range(rounds):
        for key, command in (("unetviz", ours), ("torchinfo", theirs)):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[key].append((time.perf_counter() - start) * 1000)
    ratio = [a / b for a, b in zip(times["unetviz"], times["torchinfo"], strict=True)]
    return {"ms": {k: _summary(v) for k, v in times.items()}, "ratio_to_torchinfo": _summary(ratio)}


def _print(results: dict[str, Any]) -> None:
    print(f"machine: {results['machine']}")
    print("\nmeta paths (ms, median; ratio unetviz/torchinfo.summary median [p10–p90], < 1 is faster)")
    for preset, data in results["trace"].items():
        ms, ratio = data["ms"], data["ratio_to_torchinfo"]
        print(f"  {preset:20s} analytic {ms['analytic']['median']:6.2f}  trace {ms['trace']['median']:6.2f}  "
              f"analyze(meta) {ms['analyze_meta']['median']:6.2f}  torchinfo {ms['torchinfo']['median']:6.2f}  "
              f"ratio analyze/torchinfo {ratio['analyze_meta']['median']:.2f} "
              f"[{ratio['analyze_meta']['p10']:.2f}–{ratio['analyze_meta']['p90']:.2f}]")  # fmt: skip
    print("\nrender, ronneberger2015 (ms, median)")
    for key, value in results["render"].items():
        print(f"  {key:14s} {value['median']:8.2f}")
    print("\nvalid-size search by depth (ms): " + ", ".join(f"{d}: {v:.2f}" for d, v in results["depth"].items()))
    if "cold" in results:
        cold = results["cold"]
        print(f"\ncold CLI (ms, median): unetviz {cold['ms']['unetviz']['median']:.0f}, torchinfo script "
              f"{cold['ms']['torchinfo']['median']:.0f}, ratio {cold['ratio_to_torchinfo']['median']:.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unetviz.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="interleaved rounds per measurement (default 40)")
    parser.add_argument("--cold", action="store_true", help="also time cold CLI processes (slow)")
    parser.add_argument("--json", metavar="FILE", help="write every figure here as JSON")
    args = parser.parse_args(argv)
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    results: dict[str, Any] = {"machine": machine, "rounds": args.rounds}
    results["trace"] = trace_rounds(args.rounds)
    results["render"] = render_times(args.rounds)
    results["depth"] = depth_growth()
    if args.cold:
        results["cold"] = cold_cli(max(3, args.rounds // 10))
    _print(results)
    if args.json:
        from unetviz.report.export import write_text

        write_text(args.json, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
