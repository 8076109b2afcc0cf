"""The UNet configuration: one frozen dataclass, its validation, JSON I/O and presets.

Imports neither torch nor Qt, so a config can be read and checked before either loads.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unetviz.core.errors import ConfigError, printable, unknown_field
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
MAX_CONFIG_BYTES = 4 * 2**20  # a config is a few hundred bytes; anything near this is not one
MAX_NUMBER_DIGITS = 4000  # below Python's 4,300-digit limit on int <-> str
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
        _validate(self)
        _canonical(self)

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


def _check_int(field: str, value: Any, low: int, high: int) -> None:
    if not _is_int(value) or not low <= value <= high:
        raise ConfigError(field, value, f"an integer from {low} to {high}")


def _check_choice(field: str, value: Any, choices: tuple[Any, ...]) -> None:
    if not any(value is c or (isinstance(value, str) and value == c) for c in choices):
        raise ConfigError(field, value, "one of " + ", ".join(json.dumps(c) for c in choices).replace('"', ""))


def _check_axes(field: str, value: Any, entries: int, dims: int, ok: Any, what: str, null: str = "",
                scalar: bool = True) -> None:  # fmt: skip
    """`value` is (when `scalar`) one int, or a list of `entries` entries, each an int or a list of `dims` ints;
    every int passes `ok`, which `what` says in words. `null` is what null means, when null is allowed."""

    def axes_ok(entry: Any) -> bool:
        if _is_int(entry):
            return bool(ok(entry))
        return isinstance(entry, tuple) and len(entry) == dims and all(_is_int(v) and ok(v) for v in entry)

    listed = f"a list of {entries} entries (one per stage), each {what} or a list of {dims} (one per axis)"
    allowed = (f"null ({null}), " if null else "") + (f"{what}, or " if scalar else "") + listed
    if _is_int(value) and scalar:
        if not ok(value):
            raise ConfigError(field, value, allowed)
        return
    if not isinstance(value, tuple) or len(value) != entries or not all(map(axes_ok, value)):
        raise ConfigError(field, value, allowed)


def _check_int_list(field: str, value: Any, entries: int, low: int, high: int, scalar: bool = False) -> None:
    """null, (scalar) an int, or a list of `entries` ints from low to high."""
    if value is None or (scalar and _is_int(value) and low <= value <= high):
        return
    allowed = f"null{', an integer' if scalar else ''} or a list of {entries} integers from {low} to {high}"
    if not isinstance(value, tuple) or len(value) != entries or not all(_is_int(v) and low <= v <= high for v in value):
        raise ConfigError(field, value, allowed)


def _odd(k: int) -> bool:
    return 1 <= k <= MAX_KERNEL and k % 2 == 1


def _validate(cfg: UNetConfig) -> None:
    if cfg.dims not in (2, 3) or not _is_int(cfg.dims):
        raise ConfigError("dims", cfg.dims, "2 or 3")
    _check_int("in_channels", cfg.in_channels, 1, MAX_CHANNELS)
    _check_int("num_classes", cfg.num_classes, 1, MAX_CHANNELS)
    _check_int("depth", cfg.depth, 1, MAX_DEPTH)
    _check_int("base_width", cfg.base_width, 1, MAX_CHANNELS)
    stages, levels = cfg.depth + 1, cfg.depth
    if cfg.widths is not None:
        allowed = f"null or a list of depth+1 = {stages} integers from 1 to {MAX_CHANNELS}"
        if not isinstance(cfg.widths, tuple) or len(cfg.widths) != stages:
            raise ConfigError("widths", cfg.widths, allowed)
        if not all(_is_int(w) and 1 <= w <= MAX_CHANNELS for w in cfg.widths):
            raise ConfigError("widths", cfg.widths, allowed)
    if _is_int(cfg.kernel_size):
        if not _odd(cfg.kernel_size):  # type: ignore[arg-type]
            raise ConfigError("kernel_size", cfg.kernel_size, f"an odd integer from 1 to {MAX_KERNEL}")
    else:
        _check_axes("kernel_size", cfg.kernel_size, stages, cfg.dims, _odd, f"an odd integer from 1 to {MAX_KERNEL}")
    if not (_is_int(cfg.convs_per_block) and 1 <= cfg.convs_per_block <= MAX_CONVS):  # type: ignore[operator]
        _check_int_list("convs_per_block", cfg.convs_per_block, stages, 1, MAX_CONVS)
        if cfg.convs_per_block is None:
            raise ConfigError("convs_per_block", None, f"an integer from 1 to {MAX_CONVS} or a list of {stages}")
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
    if cfg.strides is not None:
        _check_axes("strides", cfg.strides, levels, cfg.dims, lambda s: 1 <= s <= MAX_STRIDE,
                    f"an integer from 1 to {MAX_STRIDE}", null="2 on every axis", scalar=False)  # fmt: skip
    _check_int_list("decoder_convs_per_block", cfg.decoder_convs_per_block, levels, 1, MAX_CONVS, scalar=True)
    _check_choice("block", cfg.block, BLOCKS)
    if cfg.decoder_block is not None:
        _check_choice("decoder_block", cfg.decoder_block, BLOCKS)
    _check_choice("shortcut", cfg.shortcut, SHORTCUTS)
    if cfg.stem_channels is not None:
        _check_int("stem_channels", cfg.stem_channels, 1, MAX_CHANNELS)
    _check_choice("conv_bias", cfg.conv_bias, CONV_BIASES)
    _check_int("norm_groups", cfg.norm_groups, 1, MAX_CHANNELS)
    if not isinstance(cfg.norm_affine, bool):
        raise ConfigError("norm_affine", cfg.norm_affine, "true or false")
    _check_choice("activation", cfg.activation, ACTIVATIONS)
    if isinstance(cfg.negative_slope, bool) or not isinstance(cfg.negative_slope, int | float) \
            or not -1e6 <= cfg.negative_slope <= 1e6:  # fmt: skip
        raise ConfigError("negative_slope", cfg.negative_slope, "a number (LeakyReLU's slope below 0, e.g. 0.01)")
    if not isinstance(cfg.shared_activation, bool):
        raise ConfigError("shared_activation", cfg.shared_activation, "true or false")
    if isinstance(cfg.dropout, bool) or not isinstance(cfg.dropout, int | float) or not 0 <= cfg.dropout < 1:
        raise ConfigError("dropout", cfg.dropout, "a probability p with 0 ≤ p < 1")
    if cfg.up_kernel_size is not None:
        _check_axes("up_kernel_size", cfg.up_kernel_size, levels, cfg.dims, lambda k: 1 <= k <= MAX_KERNEL,
                    f"an integer from 1 to {MAX_KERNEL}", null="the stride")  # fmt: skip
    if cfg.decoder_kernel_size is not None:
        _check_axes("decoder_kernel_size", cfg.decoder_kernel_size, levels, cfg.dims, _odd,
                    f"an odd integer from 1 to {MAX_KERNEL}", null="each level's own kernel", scalar=False)  # fmt: skip
    _check_int_list("up_widths", cfg.up_widths, levels, 1, MAX_CHANNELS)
    _check_int_list("decoder_widths", cfg.decoder_widths, levels, 1, MAX_CHANNELS)
    _check_int_list("encoder_first_widths", cfg.encoder_first_widths, stages, 1, MAX_CHANNELS)
    if not isinstance(cfg.deep_supervision, bool) and not (
        _is_int(cfg.deep_supervision) and 0 <= cfg.deep_supervision <= levels - 1
    ):
        raise ConfigError(
            "deep_supervision",
            cfg.deep_supervision,
            f"true (a head at every decoder level but the top), false, or a count of heads from 0 to {levels - 1}",
        )
    if not isinstance(cfg.name, str) or not 0 < len(cfg.name) <= MAX_NAME or not cfg.name.isprintable():
        # control characters, line breaks and lone surrogates reach titles, tables and terminals: refused
        raise ConfigError("name", cfg.name, f"a non-empty string of at most {MAX_NAME} printable characters "
                          "(no control characters or line breaks)")  # fmt: skip
    _validate_together(cfg)


def _canonical(cfg: UNetConfig) -> None:
    """One spelling per network, so that equal networks are equal configs: an entry the same on every axis
    becomes one int, a list the same at every stage becomes one int, and a list that says what the default
    says (strides of 2, up kernels equal to the strides, decoder kernels equal to the encoder's) becomes null."""

    def collapse(value: Any) -> Any:
        if not isinstance(value, tuple):
            return value
        entries = tuple(e[0] if isinstance(e, tuple) and len(set(e)) == 1 else e for e in value)
        return entries

    def uniform(value: Any) -> Any:
        if isinstance(value, tuple) and len(set(value)) == 1 and _is_int(value[0]):
            return value[0]
        return value

    for field in ("kernel_size", "strides", "up_kernel_size", "decoder_kernel_size"):
        object.__setattr__(cfg, field, collapse(getattr(cfg, field)))
    for field in ("kernel_size", "convs_per_block", "decoder_convs_per_block"):
        object.__setattr__(cfg, field, uniform(getattr(cfg, field)))
    if cfg.decoder_block == "plain":
        object.__setattr__(cfg, "decoder_block", None)
    if cfg.strides is not None and all(s == 2 for s in cfg.strides):
        object.__setattr__(cfg, "strides", None)
    plan = cfg.plan
    if cfg.up_kernel_size is not None and all(d.up_kernel == d.stride for d in plan.decoder):
        object.__setattr__(cfg, "up_kernel_size", None)
    if cfg.decoder_kernel_size is not None and all(d.kernel == plan.encoder[d.level].kernel for d in plan.decoder):
        object.__setattr__(cfg, "decoder_kernel_size", None)
    if isinstance(cfg.decoder_convs_per_block, int) and cfg.decoder_convs_per_block == cfg.convs_per_block:
        object.__setattr__(cfg, "decoder_convs_per_block", None)


def _validate_together(cfg: UNetConfig) -> None:
    """Rules between fields: what one field allows depends on another."""
    interpolating = cfg.upsampling != "transpose"
    if interpolating and cfg.up_widths is None and cfg.decoder_widths is None and min(cfg.level_widths[1:]) < 2:
        raise ConfigError(
            "widths",
            list(cfg.level_widths),
            f"widths ≥ 2 below level 0 with {cfg.upsampling} up-sampling (the decoder halves them)",
        )
    if interpolating and cfg.up_widths is not None:
        raise ConfigError("up_widths", list(cfg.up_widths), "null with bilinear or nearest up-sampling "
                          "(interpolation keeps the channels)")  # fmt: skip
    if cfg.up_kernel_size is not None and interpolating:
        raise ConfigError("up_kernel_size", _lists(cfg.up_kernel_size), "null with bilinear or nearest up-sampling")
    plan = cfg.plan  # resolving the plan checks what only the resolved, per-axis values show
    if cfg.norm == "group":
        from unetviz.core.plan import all_widths

        bad = sorted(w for w in set(all_widths(plan)) if w % cfg.norm_groups)
        if bad:
            raise ConfigError("norm_groups", cfg.norm_groups, f"a group count that divides every width "
                              f"({bad[0]} is not a multiple of {cfg.norm_groups})")  # fmt: skip


# --- presets and files ---------------------------------------------------------------------------


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.json"))


def preset_description(name: str) -> str:
    data = _read_json(presets_dir() / f"{name}.json", "preset")
    return str(data.get("description", ""))


PRESET_SOURCES = ("paper", "Pytorch-UNet", "nnU-Net", "MONAI", "examples")


def preset_source(name: str) -> str:
    """Where a preset comes from: one of PRESET_SOURCES (the app groups its picker by it)."""
    data = _read_json(presets_dir() / f"{name}.json", "preset")
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
    data = _read_json(presets_dir() / f"{name}.json", "preset")
    data.setdefault("name", name)
    return from_dict(data, source=f"preset {name}")


def load_config(name_or_path: str | Path) -> UNetConfig:
    """A preset name, or a path to a JSON config file."""
    text = str(name_or_path)
    if text in preset_names():
        return load_preset(text)
    path = Path(text)
    try:
        exists = path.exists()
    except (OSError, ValueError):  # a name no file system takes (a NUL, too long)
        exists = False
    if not exists:
        raise ConfigError("config", text, "a preset (" + ", ".join(preset_names()) + ") or an existing JSON file")
    data = _read_json(path, "config")
    if isinstance(data, dict):
        data.setdefault("name", _name_from_file(path))
    return from_dict(data, source=printable(path.name))


def _name_from_file(path: Path) -> str:
    """The file's stem as a config name: its printable form, cut to the longest name allowed."""
    return printable(path.stem)[:MAX_NAME] or "custom"


class HugeInt(int):
    """A JSON integer longer than MAX_NUMBER_DIGITS: kept as a huge stand-in (±10^4000) so that every range check
    refuses it, and shown by its length, since Python refuses to print more than 4,300 digits."""

    digits: int


def _parse_int(text: str) -> int:
    if len(text) <= MAX_NUMBER_DIGITS:
        return int(text)
    huge = HugeInt(-(10**MAX_NUMBER_DIGITS) if text.startswith("-") else 10**MAX_NUMBER_DIGITS)
    huge.digits = len(text.lstrip("-"))
    return huge


def parse_json(text: str, field: str) -> Any:
    """JSON from the user (a file, --set, --vary) with the standard library only: numbers of any length and
    any nesting give a value or a ConfigError naming `field`, never a Python limit's own error.
    Invalid JSON raises json.JSONDecodeError for the caller to word."""
    try:
        return json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise ConfigError(field, text, "JSON nested less deeply (lists and objects at most a few levels)") from None


def read_config_bytes(path: Path, field: str) -> bytes:
    """The bytes of a config file, refused before reading when it is not a regular file or is larger than
    MAX_CONFIG_BYTES: a FIFO, a device or /proc/kmsg would block or never end."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)  # opening a FIFO must not wait
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:
        raise ConfigError(field, str(path), f"a readable file (cannot read it: {_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(field, str(path), f"a regular JSON file (this is {_file_kind(info.st_mode)})")
        too_big = f"a JSON file of at most {MAX_CONFIG_BYTES // 2**20} MiB"
        if info.st_size == 0:  # empty, or a /proc file (/proc/kmsg would block, or hand over the kernel's log)
            raise ConfigError(field, str(path), "a JSON file (this one is empty, or a /proc file of no fixed size)")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(field, str(path), f"{too_big} (this one has {info.st_size:,} bytes)")
        chunks, size = [], 0
        while size <= MAX_CONFIG_BYTES:
            chunk = os.read(fd, MAX_CONFIG_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_CONFIG_BYTES:  # a file that grows, or a /proc file that reports size 0
            raise ConfigError(field, str(path), too_big)
        return b"".join(chunks)
    except OSError as exc:
        raise ConfigError(field, str(path), f"a readable file (cannot read it: {_reason(exc)})") from None
    finally:
        os.close(fd)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or (os.strerror(exc.errno) if exc.errno else "") or exc.__class__.__name__
    return str(exc) or exc.__class__.__name__


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _read_json(path: Path, field: str) -> Any:
    data = read_config_bytes(path, field)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(field, str(path), f"a UTF-8 text file (byte {exc.start} is not UTF-8)") from None
    try:
        return parse_json(text, field)
    except json.JSONDecodeError as exc:
        raise ConfigError(field, str(path), f"valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


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
