"""analyze(config, device): the analytic answer, optionally confirmed by a trace of the real model."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from unetviz.core.config import UNetConfig
from unetviz.core.records import Imported
from unetviz.core.shapes import Layer, Level, ShapeAnalysis, ShapeWarning, analyze_shapes
from unetviz.core.tiles import ValidSizes, valid_sizes_per_axis

if TYPE_CHECKING:
    from unetviz.network.trace_records import TraceResult

VALID_SIZES_SHOWN = 6


@dataclass(frozen=True)
class Analysis:
    shapes: ShapeAnalysis
    trace: TraceResult | None = None
    imported: Imported | None = None  # what a foreign file (plans, bundle) gave, read and assumed

    @property
    def config(self) -> UNetConfig:
        return self.shapes.config

    @property
    def layers(self) -> tuple[Layer, ...]:
        return self.shapes.layers

    @property
    def levels(self) -> tuple[Level, ...]:
        return self.shapes.levels

    @property
    def warnings(self) -> tuple[ShapeWarning, ...]:
        return self.shapes.warnings

    def valid_input_sizes(self) -> list[ValidSizes]:
        """Per input axis (axes that share a rule and a size together): the nearby sizes that every
        down-sampling divides, with their output size."""
        return self._valid_input_sizes

    @functools.cached_property
    def _valid_input_sizes(self) -> list[ValidSizes]:
        # A search: tables, JSON and comparisons all ask for it, so it runs once per analysis.
        return valid_sizes_per_axis(self.config, VALID_SIZES_SHOWN)

    def to_dict(self) -> dict[str, Any]:
        s = self.shapes
        return {
            "config": self.config.to_dict(),
            "input_shape": list(s.input_shape),
            "output_shape": list(s.output_shape),
            "total_params": s.total_params,
            "trainable_params": s.total_params,
            "mult_adds": s.mult_adds,
            "receptive_field": s.receptive_field,
            **({"receptive_field_axes": list(s.receptive_field_axes)} if len(set(s.receptive_field_axes)) > 1 else {}),
            **({"failure": s.failure} if s.failure else {}),
            "activation_bytes": s.activation_bytes,
            "layers": [layer.to_dict() for layer in s.layers],
            "levels": [level.to_dict() for level in s.levels],
            "warnings": [w.to_dict() for w in s.warnings],
            "valid_input_sizes": [entry.to_dict() for entry in self.valid_input_sizes()],
            "trace": self.trace.to_dict() if self.trace is not None else None,
            **({"imported": self.imported.to_dict()} if self.imported is not None else {}),
        }


def analyze(cfg: UNetConfig, device: str | None = None) -> Analysis:
    """The analytic sizes of `cfg`; with a device (auto, cpu, cuda, meta) also a trace of the real model.

    device=None (or "none") never imports torch.
    """
    shapes = analyze_shapes(cfg)
    if device is None or device == "none" or shapes.failure:  # a forward that fails is reported, not traced
        return Analysis(shapes)
    from unetviz.network.trace import trace  # torch loads only when a trace is asked for

    return Analysis(shapes, trace(cfg, shapes, device))
