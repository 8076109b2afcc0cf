"""The valid-size search against a brute-force scan: the same sizes, for every kind of stage plan."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.test_trace import stage_configs
from unetviz.core.config import UNetConfig, load_config, preset_names
from unetviz.core.errors import ConfigError
from unetviz.core.tiles import axis_output, encoder_input, valid_sizes_near


def _scan(cfg: UNetConfig, near: int, count: int, axis: int) -> list[tuple[int, int]]:
    """Every size from 1 to far past `near`, tried one by one: the oracle."""
    found = [(h, out) for h in range(1, 4 * near + 4096) if (out := axis_output(cfg, h, axis)) is not None]
    return sorted(sorted(found, key=lambda item: (abs(item[0] - near), item[0]))[:count])


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_finds_what_a_scan_finds(preset: str) -> None:
    cfg = load_config(preset)
    for axis, near in enumerate(cfg.input_size):
        assert valid_sizes_near(cfg, near, 6, axis) == _scan(cfg, near, 6, axis)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stage_configs(), st.integers(1, 300))
def test_any_plan_finds_what_a_scan_finds(cfg: UNetConfig, near: int) -> None:
    try:
        cfg.plan  # noqa: B018  (a config the plan refuses has no sizes to find)
    except ConfigError:
        assume(False)
    assert valid_sizes_near(cfg, near, 5, -1) == _scan(cfg, near, 5, cfg.dims - 1)


def test_valid_inputs_are_an_arithmetic_progression() -> None:
    """ronneberger2015: 572 is the input of a 28×28 bottom map (the paper's Figure 1), and each step of the bottom
    map is 16 input pixels (four 2×2 pools)."""
    cfg = load_config("ronneberger2015")
    assert encoder_input(cfg, 28, 0) == 572
    sizes = [encoder_input(cfg, b, 0) for b in range(10, 15)]
    assert {b - a for a, b in itertools.pairwise(sizes)} == {16}
    assert all(axis_output(cfg, s, 0) is not None for s in sizes)
