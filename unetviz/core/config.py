"""The UNet configuration: one frozen dataclass, its validation, JSON I/O and presets.

Imports neither torch nor Qt, so a config can be read and checked before either loads.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unetviz.core.errors import ConfigError, printable, unknown_field
from unetviz.core.json_files import parse_json, read_json
from unetviz.core.resources import presets_dir

if TYPE_CHECKING:
    from unetviz.core.plan import StagePlan

MAX_DEPTH = 10
MAX_CHANNELS = 1 << 20
MAX_INPUT_AXIS = 1 << 20
MAX_KERNEL = 99
MAX_STRIDE = 16
MAX_CONVS = 16
MAX_NAME = 80
PADDINGS = ("same", "valid")
NORMS = ("batch", "instance", "group", "none")
POOLINGS = ("max", "avg", "conv")
UPSAMPLINGS = ("transpose", "bilinear", "nearest")
MERGES = ("crop", "pad", "strict")
BLOCKS = ("plain", "residual")
SHORTCUTS = ("pool_conv", "strided_conv")
CONV_BIASES = ("auto", True, False)
ACTIVATIONS = ("relu", "leaky_relu", "prelu", "gelu", "elu")

# A per-stage value: one for every stage, or one per stage, each one for every axis or one per axis.
# Lists are accepted (JSON gives them); the config stores tuples.
Axes = int | Sequence[int]
PerStage = int | Sequence[Axes]
Counts = int | Sequence[int]


@dataclass(frozen=True)
class UNetConfig:
    """Everything that defines a UNet and the dummy input traced through it.

    Per-stage fields follow nnU-Net's `dynamic_network_architectures` and MONAI's `DynUNet`: stage i is
    encoder level i (0 … depth), `strides[i]` goes from level i to i+1, a decoder list is indexed by the
    level it returns to (0 … depth−1). Every list may hold an int (all axes) or a list of `dims` ints.
    The resolved, per-axis view of all this is `core.plan.resolve_plan(cfg)`.
    """

    dims: int = 2
    in_channels: int = 1
    num_classes: int = 2
    depth: int = 4
    base_width: int = 64
    widths: tuple[int, ...] | None = None
    kernel_size: PerStage = 3
    convs_per_block: Counts = 2
    padding: str = "same"
    norm: str = "batch"
    pooling: str = "max"
    upsampling: str = "transpose"
    merge: str = "pad"
    input_size: tuple[int, ...] = (572, 572)
    batch_size: int = 1
    strides: Sequence[Axes] | None = None
    decoder_convs_per_block: Counts | None = None
    block: str = "plain"
    decoder_block: str | None = None
    shortcut: str = "pool_conv"
    stem_channels: int | None = None
    conv_bias: str | bool = "auto"
    norm_groups: int = 8
    norm_affine: bool = True
    activation: str = "relu"
    negative_slope: float = 0.01
    shared_activation: bool = False
    dropout: float = 0.0
    up_kernel_size: PerStage | None = None
    decoder_kernel_size: Sequence[Axes] | None = None
    up_widths: Sequence[int] | None = None
    decoder_widths: Sequence[int] | None = None
    encoder_first_widths: Sequence[int] | None = None
    deep_supervision: bool | int = False
    name: str = "custom"

    def __post_init__(self) -> None:
        # JSON gives lists; the frozen config holds tuples so it stays hashable.
        for field in _LIST_FIELDS:
            value = getattr(self, field)
            if isinstance(value, list):
                object.__setattr__(self, field, _tuples(value))
        from unetviz.core.validation import canonical, validate  # its rules read this module's constants

        validate(self)
        canonical(self)

    @property
    def level_widths(self) -> tuple[int, ...]:
        """Width of each level 0…depth: explicit `widths`, else base_width·2^i."""
        if self.widths is not None:
            return self.widths
        return tuple(self.base_width * 2**i for i in range(self.depth + 1))

    @functools.cached_property
    def plan(self) -> StagePlan:
        """The resolved stage plan (per level, per axis); see `core.plan`."""
        from unetviz.core.plan import resolve_plan

        return resolve_plan(self)

    @property
    def conv_padding(self) -> int:
        """The padding of an isotropic kernel (the 2015 paper's family); per-axis padding is in the plan."""
        kernel = self.kernel_size if isinstance(self.kernel_size, int) else 3
        return (kernel - 1) // 2 if self.padding == "same" else 0

    def replace(self, **changes: Any) -> UNetConfig:
        unknown = sorted(set(changes) - set(FIELD_NAMES))
        if unknown:
            raise unknown_field(unknown[0], changes[unknown[0]], FIELD_NAMES)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {field: _lists(getattr(self, field)) for field in FIELD_NAMES}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(UNetConfig))
# Channel lists of one entry per stage: a new depth sends them back to their rules.
STAGE_FIELDS = ("widths", "encoder_first_widths")
_LIST_FIELDS = (
    "widths", "kernel_size", "convs_per_block", "input_size", "strides", "decoder_convs_per_block",
    "up_kernel_size", "decoder_kernel_size", "up_widths", "decoder_widths", "encoder_first_widths",
)  # fmt: skip


def _tuples(value: Any, depth: int = 0) -> Any:
    # A config list is at most two deep (per stage, per axis); deeper ones stay lists, which validation refuses,
    # so a list nested a thousand deep costs no recursion here.
    if isinstance(value, list | tuple) and depth < 3:
        return tuple(_tuples(v, depth + 1) for v in value)
    return value


def _lists(value: Any) -> Any:
    return [_lists(v) for v in value] if isinstance(value, tuple) else value


def _is_int(value: Any) -> bool:
    return type(value) is int  # a bool is not an int here, nor is 64.0


# --- presets and files ---------------------------------------------------------------------------


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.json"))


def preset_description(name: str) -> str:
    data = read_json(presets_dir() / f"{name}.json", "preset")
    return str(data.get("description", ""))


PRESET_SOURCES = ("paper", "Pytorch-UNet", "nnU-Net", "MONAI", "examples")


def preset_source(name: str) -> str:
    """Where a preset comes from: one of PRESET_SOURCES (the app groups its picker by it)."""
    data = read_json(presets_dir() / f"{name}.json", "preset")
    return str(data.get("source", "examples"))


def from_dict(data: Mapping[str, Any], source: str = "config") -> UNetConfig:
    """A config from a JSON object: optional `preset` base, then the given fields on top."""
    if not isinstance(data, Mapping):
        raise ConfigError(source, data, "a JSON object of config fields")
    fields = dict(data)
    fields.pop("description", None)
    fields.pop("source", None)
    base = UNetConfig()
    preset = fields.pop("preset", None)
    if preset is not None:
        base = load_preset(preset)
    unknown = sorted((key for key in fields if key not in FIELD_NAMES), key=str)
    if unknown:
        raise unknown_field(unknown[0], fields[unknown[0]], FIELD_NAMES, f" (in {source})")
    try:
        return dataclasses.replace(base, **fields)
    except TypeError as exc:  # pragma: no cover - replace() only raises this for unknown names
        raise ConfigError(source, dict(fields), str(exc)) from exc


def load_preset(name: Any) -> UNetConfig:
    if not isinstance(name, str) or name not in preset_names():
        raise ConfigError("preset", name, "one of " + ", ".join(preset_names()))
    data = read_json(presets_dir() / f"{name}.json", "preset")
    data.setdefault("name", name)
    return from_dict(data, source=f"preset {name}")


def load_config(name_or_path: str | Path) -> UNetConfig:
    """A preset name, or a path to a JSON config file."""
    text = str(name_or_path)
    if text in preset_names():
        return load_preset(text)
    path = existing_path(text)
    return config_from_file(read_json(path, "config"), path)


def existing_path(text: str) -> Path:
    """`text` as the path of an existing file; ConfigError (a preset or an existing file) when it is not one."""
    path = Path(text)
    try:
        exists = path.exists()
    except (OSError, ValueError):  # a name no file system takes (a NUL, too long)
        exists = False
    if not exists:
        raise ConfigError("config", text, "a preset (" + ", ".join(preset_names()) + ") or an existing JSON file")
    return path


def config_from_file(data: Any, path: Path) -> UNetConfig:
    """A unetviz config from the JSON value of the file at `path` (named after the file unless it says)."""
    if isinstance(data, dict):
        data.setdefault("name", _name_from_file(path))
    return from_dict(data, source=printable(path.name))


def _name_from_file(path: Path) -> str:
    """The file's stem as a config name: its printable form, cut to the longest name allowed."""
    return printable(path.stem)[:MAX_NAME] or "custom"


def parse_assignment(text: str) -> tuple[str, Any]:
    """`KEY=VALUE` from the command line: VALUE is JSON when it parses, else a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError("--set", text, "KEY=VALUE, e.g. depth=5 or 'input_size=[388,388]'")
    if key not in FIELD_NAMES:
        raise unknown_field(key, raw, FIELD_NAMES)
    try:
        value: Any = parse_json(raw, key)
    except json.JSONDecodeError:
        value = raw
    return key, value


def apply_assignments(cfg: UNetConfig, assignments: Sequence[str]) -> UNetConfig:
    """`cfg` with the `--set KEY=VALUE` assignments applied (see `apply_changes`)."""
    return apply_changes(cfg, dict(parse_assignment(text) for text in assignments))


def apply_changes(cfg: UNetConfig, changes: Mapping[str, Any]) -> UNetConfig:
    """`cfg` with `changes`, as a user means them: a new dims or depth carries the fields that depend on it
    along (input size, per-axis and per-stage lists), so one change alone gives a config that still fits."""
    changes = dict(changes)
    # Changing dims alone would leave input_size the wrong length: follow it with a cube/square.
    if "dims" in changes and "input_size" not in changes and changes["dims"] in (2, 3) and _is_int(changes["dims"]):
        edge = cfg.input_size[-1]
        changes["input_size"] = (edge,) * changes["dims"]
    if "dims" in changes:  # per-axis entries no longer fit: keep each stage's in-plane value
        for field in ("kernel_size", "strides", "up_kernel_size", "decoder_kernel_size"):
            if field not in changes:
                changes[field] = _in_plane(getattr(cfg, field))
    if "depth" in changes and _is_int(changes["depth"]):
        # channel lists go back to their rules; kernel, stride and count lists keep their stages,
        # cut at the new depth or extended with their last entry
        depth = changes["depth"]
        for field in (*STAGE_FIELDS, "up_widths", "decoder_widths"):
            changes.setdefault(field, None)
        for field, entries in (("kernel_size", depth + 1), ("convs_per_block", depth + 1), ("strides", depth),
                               ("decoder_convs_per_block", depth), ("up_kernel_size", depth),
                               ("decoder_kernel_size", depth)):  # fmt: skip
            value = changes.get(field, getattr(cfg, field))
            if field not in changes and isinstance(value, tuple) and value:
                changes[field] = (*value[:entries], *[value[-1]] * max(0, entries - len(value)))
    return cfg.replace(**changes)


def _in_plane(value: Any) -> Any:
    """A per-stage list with each per-axis entry replaced by its in-plane (last axis) value."""
    if not isinstance(value, tuple):
        return value
    return tuple(entry[-1] if isinstance(entry, tuple) else entry for entry in value)
