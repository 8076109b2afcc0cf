"""Regenerate the README's pictures: `python scripts/screenshots.py` (offscreen, no display needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    unetviz = [sys.executable, "-m", "unetviz.cli"]
    subprocess.run([*unetviz, "export", "--preset", "ronneberger2015", "-o", str(DOCS / "ronneberger2015-u.png"),
                    "-o", str(DOCS / "ronneberger2015-u.svg")], check=True)  # fmt: skip
    subprocess.run([*unetviz, "export", "--preset", "milesial", "-o", str(DOCS / "milesial-u.png")], check=True)
    subprocess.run([*unetviz, "export", "--preset", "nnunet-3d-fullres", "--dpi", "110", "-o",
                    str(DOCS / "nnunet-3d-fullres-u.png")], check=True)  # fmt: skip
    # The paper's UNet with padding switched to same (pad skips keep 572 → 572; crop skips would give 560).
    subprocess.run([*unetviz, "gui", "--preset", "ronneberger2015", "--set", "padding=same", "--set", "merge=pad",
                    "--screenshot", str(DOCS / "app.png"), "--with-trace"], check=True)  # fmt: skip
    compare_screenshot(DOCS / "compare.png")


def compare_screenshot(path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from unetviz.core.config import load_preset
    from unetviz.gui.compare_window import CompareWindow, padding_twin

    app = QApplication([])
    paper = load_preset("ronneberger2015")
    window = CompareWindow(paper, padding_twin(paper).replace(merge="pad"))
    window.resize(1400, 900)
    window.compared.connect(lambda _result: (app.processEvents(), window.grab().save(str(path)), app.quit()))
    window.show()
    app.exec()
    window.close()


if __name__ == "__main__":
    main()
