"""docs/dark-mode.png (the app under a dark palette, as a dark system gives it) and docs/compare-toolbar.png (the
compare window with its toolbar): `python scripts/theme_screenshots.py`; on a display (Xvfb) or offscreen."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def dark_palette() -> object:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    roles = QPalette.ColorRole
    colours = {
        roles.Window: "#2b2b2b", roles.WindowText: "#e6e6e6", roles.Base: "#1f1f1f", roles.AlternateBase: "#2b2b2b",
        roles.Text: "#e6e6e6", roles.Button: "#353535", roles.ButtonText: "#e6e6e6", roles.Highlight: "#2f65ca",
        roles.HighlightedText: "#ffffff", roles.ToolTipBase: "#353535", roles.ToolTipText: "#e6e6e6",
        roles.Link: "#6cb0f0", roles.PlaceholderText: "#9a9a9a",
    }  # fmt: skip
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    return palette


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from unetviz.core.config import load_preset
    from unetviz.gui.compare_window import CompareWindow
    from unetviz.gui.main_window import MainWindow
    from unetviz.gui.settings import SETTINGS_DIR_ENV, AppSettings

    os.environ[SETTINGS_DIR_ENV] = tempfile.mkdtemp()  # never the user's settings
    app = QApplication([])
    app.setStyle("Fusion")
    light = QPalette(app.palette())
    app.setPalette(dark_palette())  # type: ignore[arg-type]
    paper = load_preset("ronneberger2015")
    window = MainWindow(paper, AppSettings(), auto_trace=False, remember=False)
    window.asks_to_save = False
    window.resize(1400, 860)
    window.show()

    windows: list[CompareWindow] = []

    def shoot_main() -> None:
        window.update_finished.disconnect(shoot_main)
        QTimer.singleShot(400, shoot_compare)

    def shoot_compare() -> None:
        window.grab().save(str(DOCS / "dark-mode.png"))
        app.setPalette(light)  # the compare window in the light theme
        b = paper.replace(num_classes=3, upsampling="bilinear", name="ronneberger2015, bilinear, 3 classes")
        compare = CompareWindow(paper, b, parent=window)
        compare.compared.connect(lambda _result: QTimer.singleShot(300, save_compare))
        windows.append(compare)
        compare.show()

    def save_compare() -> None:
        windows[0].grab().save(str(DOCS / "compare-toolbar.png"))
        app.quit()

    window.update_finished.connect(shoot_main)
    app.exec()
    window.close()


if __name__ == "__main__":
    main()
