"""Shared test set-up: Qt renders offscreen; hypothesis stays inside CI's time budget."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

settings.register_profile(
    "unetviz", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)
settings.load_profile("unetviz")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--overwrite", action="store_true", help="regenerate the golden files under tests/golden/")


@pytest.fixture
def overwrite(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--overwrite"))
