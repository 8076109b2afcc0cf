"""The desktop app: everything that imports Qt lives here (the core never does).

`app.run_app` is the entry point; `main_window.MainWindow` wires the views to one `ConfigDocument`.
"""

from unetviz.gui.qt_workarounds import protect_singletons

protect_singletons()
