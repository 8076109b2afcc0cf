"""The UNet configuration: one frozen dataclass, its validation, JSON I/O and presets.

Imports neither torch nor Qt, so a config can be read and checked before either loads.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unetviz.core.errors import ConfigError, unknown_field
from unetviz.core.resources import presets_dir

MAX_DEPTH = 10
MAX_CHANNELS = 1 << 20
MAX_INPUT_AXIS = 1 << 20
PADDINGS = ("same", "valid")
NORMS = ("batch", "instance", "none")
POOLINGS = ("max", "avg")
UPSAMPLINGS = ("transpose", "bilinear", "nearest")
MERGES = ("crop", "pad")


@dataclass(frozen=True)
class UNetConfig:
    """Everything that defines a UNet and the dummy input traced through it."""

    dims: int = 2
    in_channels: int = 1
    num_classes: int = 2
    depth: int = 4
    base_width: int = 64
    widths: tuple[int, ...] | None = None
    kernel_size: int = 3
    convs_per_block: int = 2
    padding: str = "same"
    norm: str = "batch"
    pooling: str = "max"
    upsampling: str = "transpose"
    merge: str = "pad"
    input_size: tuple[int, ...] = (572, 572)
    batch_size: int = 1
    name: str = "custom"

    def __post_init__(self) -> None:
        # JSON gives lists; the frozen config holds tuples so it stays hashable.
        if isinstance(self.widths, list):
            object.__setattr__(self, "widths", tuple(self.widths))
        if isinstance(self.input_size, list):
            object.__setattr__(self, "input_size", tuple(self.input_size))
        _validate(self)

    @property
    def level_widths(self) -> tuple[int, ...]:
        """Width of each level 0…depth: explicit `widths`, else base_width·2^i."""
        if self.widths is not None:
            return self.widths
        return tuple(self.base_width * 2**i for i in range(self.depth + 1))

    @property
    def conv_padding(self) -> int:
        return (self.kernel_size - 1) // 2 if self.padding == "same" else 0

    def replace(self, **changes: Any) -> UNetConfig:
        unknown = sorted(set(changes) - set(FIELD_NAMES))
        if unknown:
            raise unknown_field(unknown[0], changes[unknown[0]], FIELD_NAMES)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in FIELD_NAMES:
            value = getattr(self, field)
            out[field] = list(value) if isinstance(value, tuple) else value
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(UNetConfig))


def _is_int(value: Any) -> bool:
    return type(value) is int  # a bool is not an int here, nor is 64.0


def _check_int(field: str, value: Any, low: int, high: int) -> None:
    if not _is_int(value) or not low <= value <= high:
        raise ConfigError(field, value, f"an integer from {low} to {high}")


def _check_choice(field: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices or not isinstance(value, str):
        raise ConfigError(field, value, "one of " + ", ".join(choices))


def _validate(cfg: UNetConfig) -> None:
    if cfg.dims not in (2, 3) or not _is_int(cfg.dims):
        raise ConfigError("dims", cfg.dims, "2 or 3")
    _check_int("in_channels", cfg.in_channels, 1, MAX_CHANNELS)
    _check_int("num_classes", cfg.num_classes, 1, MAX_CHANNELS)
    _check_int("depth", cfg.depth, 1, MAX_DEPTH)
    _check_int("base_width", cfg.base_width, 1, MAX_CHANNELS)
    if cfg.widths is not None:
        allowed = f"null or a list of depth+1 = {cfg.depth + 1} integers from 1 to {MAX_CHANNELS}"
        if not isinstance(cfg.widths, tuple) or len(cfg.widths) != cfg.depth + 1:
            raise ConfigError("widths", cfg.widths, allowed)
        if not all(_is_int(w) and 1 <= w <= MAX_CHANNELS for w in cfg.widths):
            raise ConfigError("widths", cfg.widths, allowed)
    if not _is_int(cfg.kernel_size) or cfg.kernel_size < 1 or cfg.kernel_size % 2 == 0 or cfg.kernel_size > 99:
        raise ConfigError("kernel_size", cfg.kernel_size, "an odd integer from 1 to 99")
    _check_int("convs_per_block", cfg.convs_per_block, 1, 16)
    _check_choice("padding", cfg.padding, PADDINGS)
    _check_choice("norm", cfg.norm, NORMS)
    _check_choice("pooling", cfg.pooling, POOLINGS)
    _check_choice("upsampling", cfg.upsampling, UPSAMPLINGS)
    _check_choice("merge", cfg.merge, MERGES)
    size_allowed = f"a list of dims = {cfg.dims} integers from 1 to {MAX_INPUT_AXIS}"
    if not isinstance(cfg.input_size, tuple) or len(cfg.input_size) != cfg.dims:
        raise ConfigError("input_size", cfg.input_size, size_allowed)
    if not all(_is_int(s) and 1 <= s <= MAX_INPUT_AXIS for s in cfg.input_size):
        raise ConfigError("input_size", cfg.input_size, size_allowed)
    _check_int("batch_size", cfg.batch_size, 1, 1 << 16)
    if not isinstance(cfg.name, str) or not 0 < len(cfg.name) <= 80:
        raise ConfigError("name", cfg.name, "a non-empty string of at most 80 characters")
    if cfg.upsampling != "transpose" and min(cfg.level_widths[1:]) < 2:
        raise ConfigError(
            "widths",
            list(cfg.level_widths),
            f"widths ≥ 2 below level 0 with {cfg.upsampling} up-sampling (the decoder halves them)",
        )


# --- presets and files ---------------------------------------------------------------------------


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.json"))


def preset_description(name: str) -> str:
    data = _read_json(presets_dir() / f"{name}.json", "preset")
    return str(data.get("description", ""))


def from_dict(data: Mapping[str, Any], source: str = "config") -> UNetConfig:
    """A config from a JSON object: optional `preset` base, then the given fields on top."""
    if not isinstance(data, Mapping):
        raise ConfigError(source, data, "a JSON object of config fields")
    fields = dict(data)
    fields.pop("description", None)
    base = UNetConfig()
    preset = fields.pop("preset", None)
    if preset is not None:
        base = load_preset(preset)
    unknown = sorted(set(fields) - set(FIELD_NAMES))
    if unknown:
        raise unknown_field(unknown[0], fields[unknown[0]], FIELD_NAMES, f" (in {source})")
    try:
        return dataclasses.replace(base, **fields)
    except TypeError as exc:  # pragma: no cover - replace() only raises this for unknown names
        raise ConfigError(source, dict(fields), str(exc)) from exc


def load_preset(name: Any) -> UNetConfig:
    if not isinstance(name, str) or name not in preset_names():
        raise ConfigError("preset", name, "one of " + ", ".join(preset_names()))
    data = _read_json(presets_dir() / f"{name}.json", "preset")
    data.setdefault("name", name)
    return from_dict(data, source=f"preset {name}")


def load_config(name_or_path: str | Path) -> UNetConfig:
    """A preset name, or a path to a JSON config file."""
    text = str(name_or_path)
    if text in preset_names():
        return load_preset(text)
    path = Path(text)
    if not path.is_file():
        raise ConfigError("config", text, "a preset (" + ", ".join(preset_names()) + ") or an existing JSON file")
    data = _read_json(path, "config")
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
    return from_dict(data, source=path.name)


def _read_json(path: Path, field: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(field, str(path), f"valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(field, str(path), f"a readable UTF-8 file ({exc.__class__.__name__})") from exc


def parse_assignment(text: str) -> tuple[str, Any]:
    """`KEY=VALUE` from the command line: VALUE is JSON when it parses, else a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError("--set", text, "KEY=VALUE, e.g. depth=5 or 'input_size=[388,388]'")
    if key not in FIELD_NAMES:
        raise unknown_field(key, raw, FIELD_NAMES)
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key, value


def apply_assignments(cfg: UNetConfig, assignments: list[str]) -> UNetConfig:
    changes = dict(parse_assignment(text) for text in assignments)
    # Changing dims alone would leave input_size the wrong length: follow it with a cube/square.
    if "dims" in changes and "input_size" not in changes and changes["dims"] in (2, 3) and _is_int(changes["dims"]):
        edge = cfg.input_size[-1]
        changes["input_size"] = (edge,) * changes["dims"]
    if "depth" in changes and "widths" not in changes:
        changes["widths"] = None
    return cfg.replace(**changes)
