"""Text the user wrote, shown safely, and errors in the app's own words.

Qt guesses rich text from anything that looks like a tag: a config named `<img src=x width=46000>` would load
an image in a label, a message box or a tooltip. User text goes into plain-text widgets, or is escaped.
"""

from __future__ import annotations

import re
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

CLI_HINT = re.compile(r"try `unetviz sizes`[^;)]*")
APP_HINT = "the Summary lists input sizes that fit"
# The core speaks the CLI's words (its flags, commands and JSON); the app says the same in its own.
APP_WORDS = (
    (CLI_HINT, APP_HINT),
    (re.compile(r"use --device (?:none|meta)"), "choose Device meta (shapes only)"),
    (re.compile(r"(?:with|use) --set\b"), "in the form"),
    (re.compile(r"use --dpi \d+ or less, or SVG/PDF"), "export SVG or PDF instead"),
    (re.compile(r"--dpi (\d+)"), r"\1 dpi"),
    (re.compile(r"(?<![\w-])--([a-z][a-z-]*)"), r"\1"),  # a flag that names a field: the field
)
NULL = re.compile(r'"(?:[^"\\]|\\.)*"|\bnull\b')  # JSON null, outside the quoted text a message quotes


def plain_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def tooltip(text: str) -> str:
    """A tooltip shows as rich text when it looks like it; then the user's text in it is escaped."""
    return f"<p>{escape(text, quote=False)}</p>" if GuiQt.mightBeRichText(text) else text


def unbroken(text: str) -> str:
    """A shape ("64 × 568×568") that wraps as one word: a line breaks between shapes, not inside one."""
    return text.replace(" ", "\u00a0")


def app_message(text: str) -> str:
    """A message as the app says it: the Summary, the form and the Device box instead of a command line, and
    "default" for JSON's null (a per-stage field left to follow the others)."""
    for pattern, words in APP_WORDS:
        text = pattern.sub(words, text)
    return NULL.sub(lambda m: "default" if m.group() == "null" else m.group(), text)


def rich_text_pane(area: QScrollArea, text: str, interaction: Qt.TextInteractionFlag) -> QLabel:
    """A wrapping rich-text label (its names escaped by the caller) filling `area`, which scrolls down only:
    the Summary's and the Detail pane's body."""
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the text wraps instead
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setTextInteractionFlags(interaction)
    label.setMargin(8)
    inner = QWidget()
    layout = QVBoxLayout(inner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(label)
    area.setWidget(inner)
    return label
