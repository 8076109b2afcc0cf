"""Text the user wrote, shown safely, and errors in the app's own words.

Qt guesses rich text from anything that looks like a tag: a config named `<img src=x width=46000>` would load
an image in a label, a message box or a tooltip. User text goes into plain-text widgets, or is escaped.
"""

from __future__ import annotations

import re
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel

CLI_HINT = re.compile(r"try `unetviz sizes`[^;)]*")
APP_HINT = "the Summary lists input sizes that fit"


def plain_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def tooltip(text: str) -> str:
    """A tooltip shows as rich text when it looks like it; then the user's text in it is escaped."""
    return f"<p>{escape(text, quote=False)}</p>" if GuiQt.mightBeRichText(text) else text


def app_message(text: str) -> str:
    """An error message as the app says it: point to the Summary, not to a command line."""
    return CLI_HINT.sub(APP_HINT, text)
