"""Open whatever config-like thing a user points at: a preset name, a unetviz config, an nnU-Net plans file
(with the dataset.json beside it) or a MONAI bundle config. Pickles are refused, never opened.

`open_config` returns the config and, for a foreign file, what was imported from which keys and what was
assumed; the CLI's `--config`, `import` and `compare` and the app's File → Open all come through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from unetviz.core.config import UNetConfig, config_from_file, existing_path, load_preset, preset_names
from unetviz.core.errors import ConfigError, printable
from unetviz.core.json_files import read_json
from unetviz.core.records import Imported
from unetviz.sources.monai import import_bundle, is_bundle
from unetviz.sources.nnunet import PICKLE_REFUSAL, import_plans, is_plans


@dataclass(frozen=True)
class Opened:
    config: UNetConfig
    imported: Imported | None = None  # None: a preset or a unetviz config


def open_config(name_or_path: str | Path, configuration: str | None = None,
                dataset_json: str | Path | None = None, strict: bool = True) -> Opened:  # fmt: skip
    """A preset, a unetviz config file, an nnU-Net plans file (`configuration`, default 3d_fullres or 2d; the
    dataset.json beside it or `dataset_json`) or a MONAI bundle config. ConfigError names what is wrong;
    `strict`: a `configuration` given for a file that is not a plans file is an error too."""
    text = str(name_or_path)
    if text in preset_names():
        return Opened(load_preset(text))
    path = Path(text)
    if path.suffix.lower() in (".pkl", ".pickle"):
        raise ConfigError("config", text, PICKLE_REFUSAL)
    if path.suffix.lower() in (".yaml", ".yml"):
        raise ConfigError("config", text, "a JSON file: YAML bundle configs are not read (convert it to JSON "
                          "first; the keys stay the same)")  # fmt: skip
    data = read_json(existing_path(text), "config")
    if is_plans(data):
        imported = import_plans(data, configuration, _dataset(path, dataset_json))
        return Opened(imported.config, imported)
    if configuration is not None and strict:
        raise ConfigError("--configuration", configuration, f"only with an nnU-Net plans file ({printable(path.name)} "
                          "is not one)")  # fmt: skip
    if is_bundle(data):
        imported = import_bundle(data)
        return Opened(imported.config, imported)
    return Opened(config_from_file(data, path))


def _dataset(plans: Path, dataset_json: str | Path | None) -> dict[str, object] | None:
    """The dataset.json given, or the one beside the plans file (as nnU-Net keeps them), or None."""
    if dataset_json is not None:
        data = read_json(Path(dataset_json), "--dataset-json")
        if not isinstance(data, dict):
            raise ConfigError("--dataset-json", str(dataset_json), "a JSON object (nnU-Net's dataset.json)")
        return data
    beside = plans.parent / "dataset.json"
    if beside.is_file():
        data = read_json(beside, "dataset.json")
        return data if isinstance(data, dict) else None
    return None
