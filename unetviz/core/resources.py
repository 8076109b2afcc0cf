"""Where the shipped resources (presets, icons) live: inside the wheel, or beside a source checkout."""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    package = Path(__file__).resolve().parent.parent  # unetviz/
    packaged = package / "resources"
    if packaged.is_dir():
        return packaged
    return package.parent / "resources"


def presets_dir() -> Path:
    return resources_dir() / "presets"
