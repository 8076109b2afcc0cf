"""UNetConfig: validation names the field, JSON round trip, presets, --set parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unetviz.core.config import (
    FIELD_NAMES,
    UNetConfig,
    apply_assignments,
    from_dict,
    load_config,
    parse_assignment,
    preset_names,
)
from unetviz.core.errors import ConfigError

BAD_FIELDS: list[tuple[str, Any]] = [
    ("dims", 4),
    ("dims", True),
    ("in_channels", 0),
    ("in_channels", 1.0),
    ("num_classes", "2"),
    ("depth", 0),
    ("depth", 11),
    ("base_width", 64.5),
    ("base_width", False),
    ("widths", [64, 128]),
    ("widths", [64, 128, 256, 512, 0]),
    ("widths", "wide"),
    ("kernel_size", 4),
    ("kernel_size", 0),
    ("convs_per_block", 0),
    ("padding", "full"),
    ("padding", 1),
    ("norm", "layer"),
    ("pooling", "lp"),
    ("upsampling", "pixelshuffle"),
    ("merge", "add"),
    ("input_size", [572]),
    ("input_size", [572, 0]),
    ("input_size", [572, 572.5]),
    ("input_size", 572),
    ("batch_size", 0),
    ("name", ""),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_bad_field_names_field_value_and_allowed(field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        UNetConfig().replace(**{field: value})
    message = str(info.value)
    assert info.value.field == field
    assert message.startswith(f"{field}: ")
    assert "expected" in message
    assert "\n" not in message


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ConfigError, match="colour: not a config field"):
        UNetConfig().replace(colour="red")


def test_default_config_is_valid_and_immutable() -> None:
    cfg = UNetConfig()
    assert cfg.level_widths == (64, 128, 256, 512, 1024)
    with pytest.raises(AttributeError):
        cfg.depth = 5  # type: ignore[misc]


def test_lists_become_tuples_so_configs_hash() -> None:
    cfg = UNetConfig(widths=[8, 16, 32, 64, 128], input_size=[64, 64])  # type: ignore[arg-type]
    assert cfg.widths == (8, 16, 32, 64, 128)
    assert hash(cfg) == hash(UNetConfig(widths=(8, 16, 32, 64, 128), input_size=(64, 64)))


def test_presets_load() -> None:
    assert {"ronneberger2015", "milesial", "milesial-bilinear", "small", "unet3d"} <= set(preset_names())
    paper = load_config("ronneberger2015")
    assert (paper.padding, paper.norm, paper.merge, paper.in_channels) == ("valid", "none", "crop", 1)
    bilinear = load_config("milesial-bilinear")
    assert bilinear.upsampling == "bilinear" and bilinear.in_channels == 3 and bilinear.name == "milesial-bilinear"
    assert load_config("unet3d").dims == 3


@given(
    depth=st.integers(1, 6),
    base=st.integers(2, 64),
    padding=st.sampled_from(["same", "valid"]),
    norm=st.sampled_from(["batch", "instance", "none"]),
    size=st.lists(st.integers(1, 4096), min_size=3, max_size=3),
    dims=st.sampled_from([2, 3]),
)
def test_json_round_trip(depth: int, base: int, padding: str, norm: str, size: list[int], dims: int) -> None:
    cfg = UNetConfig(depth=depth, base_width=base, padding=padding, norm=norm, dims=dims, input_size=tuple(size[:dims]))
    assert from_dict(json.loads(cfg.to_json())) == cfg


def test_config_file_with_preset_base(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"preset": "ronneberger2015", "padding": "same"}))
    cfg = load_config(path)
    assert cfg.padding == "same" and cfg.merge == "crop" and cfg.name == "mine"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("{not json", "config"),
        ('{"depth": 4, "colour": "red"}', "colour"),
        ('{"preset": "nope"}', "preset"),
        ("[1, 2]", "mine.json"),
        ('{"kernel_size": 2}', "kernel_size"),
    ],
)
def test_bad_config_files(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "mine.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.field == field


def test_missing_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"preset .* or an existing JSON file"):
        load_config("/no/such/file.json")


def test_parse_assignment_reads_json_else_string() -> None:
    assert parse_assignment("depth=5") == ("depth", 5)
    assert parse_assignment("input_size=[388,388]") == ("input_size", [388, 388])
    assert parse_assignment("padding=valid") == ("padding", "valid")
    assert parse_assignment("widths=null") == ("widths", None)
    with pytest.raises(ConfigError) as info:
        parse_assignment("depth")
    assert info.value.field == "--set"
    with pytest.raises(ConfigError) as info:
        parse_assignment("colour=red")
    assert info.value.field == "colour"


def test_apply_assignments_follows_dims_and_depth() -> None:
    cfg = apply_assignments(UNetConfig(), ["dims=3"])
    assert cfg.input_size == (572, 572, 572)
    explicit = UNetConfig(widths=(8, 16, 32, 64, 128))
    assert apply_assignments(explicit, ["depth=2"]).level_widths == (64, 128, 256)


def test_field_names_are_the_documented_ones() -> None:
    assert FIELD_NAMES[:15] == (
        "dims", "in_channels", "num_classes", "depth", "base_width", "widths", "kernel_size", "convs_per_block",
        "padding", "norm", "pooling", "upsampling", "merge", "input_size", "batch_size",
    )  # fmt: skip


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=6,
)


@given(field=st.sampled_from([*FIELD_NAMES, "colour"]), value=json_values)
def test_any_value_gives_a_config_or_a_config_error(field: str, value: Any) -> None:
    from unetviz.core.analysis import analyze

    try:
        cfg = from_dict({field: value})
        analyze(cfg.replace(input_size=cfg.input_size))
    except ConfigError as exc:
        assert exc.field and "\n" not in str(exc)
