"""Errors the user can read: each names the field, the bad value and what is allowed."""

from __future__ import annotations

import json
from typing import Any


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ConfigError(ValueError):
    """An invalid configuration field; str() is one line: field, bad value, what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str, message: str | None = None) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(message or f"{field}: {_show(value)} is not allowed; expected {allowed}")


def unknown_field(field: str, value: Any, known: tuple[str, ...], where: str = "") -> ConfigError:
    allowed = "one of the fields " + ", ".join(known)
    return ConfigError(field, value, allowed, f"{field}: not a config field{where}; the fields are {', '.join(known)}")


class TraceError(RuntimeError):
    """A trace that cannot run (no CUDA, not enough memory); the message says what to do."""


class RenderError(RuntimeError):
    """No Graphviz engine could draw the graph; the message says how to fix it."""
