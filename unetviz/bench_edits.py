"""The edit-latency section of `python -m unetviz.bench` (and `make bench`): the main window driven offscreen, one
spin box change at a time, timed from the change to the view's repaint with the new diagram (debounce, analysis,
table, render, paint)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time

EDITS_PER_VIEW = 40
TARGET_MEDIAN_MS, TARGET_P95_MS = 100.0, 150.0


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def edit_latency(preset: str = "ronneberger2015", edits: int = EDITS_PER_VIEW) -> dict[str, tuple[float, float]]:
    """{view: (median ms, p95 ms)} over `edits` edits of the base width in each view."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from unetviz.core.config import load_preset
    from unetviz.gui.actions import APP_VIEWS
    from unetviz.gui.main_window import MainWindow
    from unetviz.gui.settings import SETTINGS_DIR_ENV, AppSettings

    app = QApplication.instance() or QApplication([])
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        os.environ[SETTINGS_DIR_ENV] = folder  # never the user's settings
        cfg = load_preset(preset)
        window = MainWindow(cfg, AppSettings(), auto_trace=False, remember=False)
        window.asks_to_save = False
        window.resize(1280, 800)
        window.show()
        spin = window.form.spins["base_width"]

        def wait_for(width: int) -> None:
            loop = QEventLoop()

            def check() -> None:
                shown = window.diagram.diagram
                if shown is not None and shown.config is not None and shown.config.base_width == width:
                    loop.quit()

            window.update_finished.connect(check)
            QTimer.singleShot(30_000, loop.quit)
            QTimer.singleShot(0, check)  # already shown (a no-op edit): the loop ends at once
            loop.exec()
            window.update_finished.disconnect(check)
            window.diagram.viewport().repaint()  # the paint the user waits for, synchronously

        wait_for(cfg.base_width)
        for view in APP_VIEWS:
            window.set_view(view)
            wait_for(spin.value())
            times = []
            for i in range(edits):
                width = cfg.base_width + 1 + i % 2  # alternates: each edit is a new config to analyse and draw
                started = time.perf_counter()
                spin.setValue(width)
                wait_for(width)
                times.append((time.perf_counter() - started) * 1000)
            results[view] = (statistics.median(times), p95(times))
            spin.setValue(cfg.base_width)
            wait_for(cfg.base_width)
        window.close()
        app.processEvents()
    return results


def main() -> None:
    for view, (median, worst) in edit_latency().items():
        verdict = "ok" if median <= TARGET_MEDIAN_MS and worst <= TARGET_P95_MS else "SLOW"
        print(
            f"edit latency, {view:6}: median {median:.0f} ms, p95 {worst:.0f} ms ({EDITS_PER_VIEW} edits; "
            f"target ≤ {TARGET_MEDIAN_MS:.0f} / ≤ {TARGET_P95_MS:.0f} ms: {verdict})"
        )


if __name__ == "__main__":
    main()
