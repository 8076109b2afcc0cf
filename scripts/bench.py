"""Timing targets live here, not in tests: `make bench` prints medians measured in one process.

- analytic engine for ronneberger2015: well under 1 ms
- meta trace for ronneberger2015 (warm): tens of milliseconds
- render of each view of ronneberger2015, per engine
- edit latency in the app (unetviz/bench_edits.py): edit → updated view ≤ 100 ms median, ≤ 150 ms p95, per view

`python scripts/bench.py edits` runs the edit-latency section alone, `engine` the rest (`make bench` does: the edits are
in `python -m unetviz.bench` too).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from unetviz.core.analysis import analyze
from unetviz.core.config import load_config
from unetviz.core.shapes import analyze_shapes
from unetviz.draw.graph import VIEWS, build_graph
from unetviz.draw.render import render, system_dot


def median_ms(func: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    if sys.argv[1:] != ["edits"]:
        engine_timings()
    if sys.argv[1:] != ["engine"]:
        from unetviz import bench_edits

        bench_edits.main()


def engine_timings() -> None:
    cfg = load_config("ronneberger2015")
    med, worst = median_ms(lambda: analyze_shapes(cfg), 500)
    print(f"analytic engine, ronneberger2015: median {med:.3f} ms, worst {worst:.3f} ms (500 runs)")

    from unetviz.network.trace import trace

    shapes = analyze_shapes(cfg)
    start = time.perf_counter()
    trace(cfg, shapes, "meta", cross_check=False)
    print(f"first meta trace in this process (torch warm-up): {(time.perf_counter() - start) * 1000:.0f} ms")
    med, worst = median_ms(lambda: trace(cfg, shapes, "meta", cross_check=False), 30)
    print(f"meta trace, ronneberger2015: median {med:.1f} ms, worst {worst:.1f} ms (30 runs)")
    med, worst = median_ms(lambda: trace(cfg, shapes, "meta", cross_check=True), 10)
    print(f"meta trace + torchinfo cross-check: median {med:.1f} ms (10 runs)")

    analysis = analyze(cfg)
    engines = ["embedded"] + (["system"] if system_dot() else [])
    for view in VIEWS:
        graph = build_graph(analysis, view)
        med_graph, _ = median_ms(lambda view=view: build_graph(analysis, view), 50)
        line = f"view {view:6}: {len(graph.nodes)} nodes, {len(graph.edges)} edges; graph {med_graph:.2f} ms"
        for engine in engines:
            med, _ = median_ms(lambda graph=graph, engine=engine: render(graph, "svg", engine=engine), 10)
            line += f"; SVG {engine} {med:.0f} ms"
        print(line + " (medians, 10 renders)")


if __name__ == "__main__":
    main()
