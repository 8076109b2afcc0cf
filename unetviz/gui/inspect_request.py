"""What File → Inspect a model asks for (target, keyword arguments, input size, device), read from the dialog's
text into one `InspectRequest`, or one `ConfigError` line naming the field as the dialog labels it.

Nothing here imports or runs the user's code: a path is only checked to exist.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unetviz.core.config import MAX_INPUT_AXIS
from unetviz.core.errors import ConfigError

DEVICES = ("meta", "cpu", "cuda")
TARGET_FORM = "path/to/model.py:factory or package.module:factory (a class or a function returning an nn.Module)"
KWARGS_FORM = 'a JSON object of keyword arguments, e.g. {"n_channels": 3, "bilinear": false}, or nothing'
SIZE_FORM = "N,C and 1 to 3 spatial sizes, each a whole number ≥ 1, e.g. 1,3,572,572"
FIELD_WORDS = {"target": "Target", "kwargs": "Keyword arguments", "input_size": "Input size", "device": "Device"}


@dataclass(frozen=True)
class InspectRequest:
    target: str  # as the child's load_model takes it
    kwargs: dict[str, Any] = field(default_factory=dict)
    input_shape: tuple[int, ...] = (1, 3, 572, 572)
    device: str = "meta"

    @property
    def factory(self) -> str:
        return self.target.rpartition(":")[2]

    @property
    def kwargs_text(self) -> str:
        return json.dumps(self.kwargs, ensure_ascii=False) if self.kwargs else ""

    @property
    def size_text(self) -> str:
        return ",".join(str(v) for v in self.input_shape)

    def at_size(self, input_shape: tuple[int, ...]) -> InspectRequest:
        return InspectRequest(self.target, dict(self.kwargs), input_shape, self.device)


def is_file_target(where: str) -> bool:
    """`path/to/model.py` (a file) rather than `package.module` (imported by name): as load_factory decides."""
    return where.endswith(".py") or "/" in where or "\\" in where


def parse_target(text: str) -> str:
    target = text.strip()
    if not target:
        raise ConfigError("Target", text, TARGET_FORM, f"Target: empty; expected {TARGET_FORM}")
    where, sep, factory = target.rpartition(":")
    if not sep or not where.strip() or not factory:
        raise ConfigError("Target", target, f"{TARGET_FORM}: the factory's name after the last colon")
    if not all(part.isidentifier() for part in factory.split(".")):
        raise ConfigError("Target", target, f"a class or function name after the colon, e.g. UNet: {factory!r} is not")
    if is_file_target(where):
        path = Path(where).expanduser()
        if path.suffix != ".py":
            raise ConfigError("Target", target, f"a .py file before the colon: {where} is not one")
        if not path.is_file():
            raise ConfigError("Target", target, TARGET_FORM, f"Target: {where} does not exist; expected an existing "
                              ".py file, then :factory")  # fmt: skip
        return f"{path}:{factory}"
    if not all(part.isidentifier() for part in where.split(".")):
        raise ConfigError("Target", target, f"{TARGET_FORM}: {where!r} is neither a .py file nor a module name")
    return target


def parse_kwargs(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError("Keyword arguments", text, f"{KWARGS_FORM} ({exc.msg} at column {exc.colno})") from None
    except RecursionError:  # nested past the parser's depth
        raise ConfigError("Keyword arguments", text, KWARGS_FORM) from None
    if not isinstance(value, dict):
        raise ConfigError("Keyword arguments", text, f"{KWARGS_FORM}, not a JSON {type(value).__name__}")
    return value


def parse_input_size(text: str) -> tuple[int, ...]:
    parts = [p for p in re.split(r"[,x×\s]+", text.strip().strip("()[]")) if p]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError("Input size", text, SIZE_FORM) from None
    if not 3 <= len(values) <= 5 or any(v < 1 for v in values):
        raise ConfigError("Input size", text, SIZE_FORM)
    if any(v > MAX_INPUT_AXIS for v in values):
        raise ConfigError("Input size", text, f"{SIZE_FORM}, each at most {MAX_INPUT_AXIS:,}")
    return values


def parse_request(target: str, kwargs: str, input_size: str, device: str) -> InspectRequest:
    """The dialog's four fields as a request; the first field that is wrong raises, named as the dialog names it."""
    if device not in DEVICES:
        raise ConfigError("Device", device, ", ".join(DEVICES))
    return InspectRequest(parse_target(target), parse_kwargs(kwargs), parse_input_size(input_size), device)


def app_words(message: str) -> str:
    """A message from the inspector (`target: …`, `kwargs: …`) with the field as the dialog labels it."""
    head, sep, rest = message.partition(": ")
    return f"{FIELD_WORDS[head]}: {rest}" if sep and head in FIELD_WORDS else message
