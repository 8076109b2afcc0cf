"""Errors the user can read: each names the field, the bad value and what is allowed."""

from __future__ import annotations

import json
import math
from typing import Any

SHOWN_CHARS = 80  # a value longer than this is cut, so the message stays one line
SHOWN_DEPTH = 4  # lists nested deeper are shown as […]
SHOWN_ITEMS = 12  # a longer list shows its first items and …


def printable(text: str) -> str:
    """`text` with every character that is not printable (controls, terminal escapes, line breaks, lone
    surrogates) written as its escape, so a message stays one line and cannot steer a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _brief(value: Any, depth: int = 0) -> Any:
    """A JSON-safe, bounded stand-in for `value`: no int Python refuses to print (over 4,300 digits), no
    unbounded nesting, no huge list; only called on values that are already wrong."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        digits = getattr(value, "digits", None) or math.floor(value.bit_length() * math.log10(2)) + 1
        return value if digits <= 30 else _Raw(f"{'-' if value < 0 else ''}<an integer of {digits} digits>")
    if isinstance(value, float):
        return value  # json writes NaN and Infinity as JavaScript does
    if isinstance(value, list | tuple):
        if depth >= SHOWN_DEPTH:
            return _Raw("[…]")
        items = [_brief(v, depth + 1) for v in value[:SHOWN_ITEMS]]
        return [*items, _Raw("…")] if len(value) > SHOWN_ITEMS else items
    if isinstance(value, dict):
        if depth >= SHOWN_DEPTH:
            return _Raw("{…}")
        return {str(k)[:SHOWN_CHARS]: _brief(v, depth + 1) for k, v in list(value.items())[:SHOWN_ITEMS]}
    return _Raw(f"<{type(value).__name__}>")


class _Raw(str):
    """Text written into the shown value as it is, without JSON quotes."""


def _dump(value: Any) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_dump(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def _show(value: Any) -> str:
    text = printable(_dump(_brief(value)))
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


class ConfigError(ValueError):
    """An invalid configuration field; str() is one line: field, bad value, what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str, message: str | None = None) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        field = printable(field)
        super().__init__(
            printable(message) if message else f"{field}: {_show(value)} is not allowed; expected {allowed}"
        )


def unknown_field(field: str, value: Any, known: tuple[str, ...], where: str = "") -> ConfigError:
    allowed = "one of the fields " + ", ".join(known)
    shown = printable(str(field))[:SHOWN_CHARS]
    return ConfigError(field, value, allowed, f"{shown}: not a config field{where}; the fields are {', '.join(known)}")


class TraceError(RuntimeError):
    """A trace that cannot run (no CUDA, not enough memory); the message says what to do."""


class RenderError(RuntimeError):
    """No Graphviz engine could draw the graph; the message says how to fix it."""


class RenderTimeout(RenderError):
    """The renderer ran past its time limit and was stopped."""


class OutputError(OSError):
    """A file that could not be written: OutputError(errno, what went wrong, the path the user gave). str() names
    that path, never the temporary beside it, and always says why."""

    def __str__(self) -> str:
        return f"cannot write {printable(str(self.filename))}: {printable(str(self.strerror))}"
