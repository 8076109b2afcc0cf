"""unetviz: design a UNet and see exactly what it does to a tensor.

`build_model` and `inspect` load torch on first use, so `import unetviz` and `analyze(cfg)` stay torch-free.
"""

from __future__ import annotations

from typing import Any

from unetviz.core.analysis import Analysis, analyze
from unetviz.core.config import UNetConfig, load_config
from unetviz.core.errors import ConfigError, RenderError, TraceError

__all__ = [
    "Analysis",
    "ConfigError",
    "RenderError",
    "TraceError",
    "UNetConfig",
    "analyze",
    "build_model",
    "inspect",
    "load_config",
]


def __getattr__(name: str) -> Any:
    if name == "build_model":
        from unetviz.network.model import build_model

        return build_model
    if name == "inspect":  # unetviz.inspect(model, input_size): any nn.Module, traced (sources/inspect.py)
        from unetviz.sources.inspect import inspect

        return inspect
    raise AttributeError(f"module 'unetviz' has no attribute {name!r}")
