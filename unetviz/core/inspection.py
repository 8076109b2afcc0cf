"""What `unetviz inspect` found in a PyTorch model: the same layer, level and warning records as `analyze()`,
plus the skips it found, the trace's device and time, and whether the model is exactly a unetviz config.

It answers the questions an `Analysis` answers (`layers`, `levels`, `warnings`, `shapes.total_params`,
`valid_input_sizes()`, `to_dict()`), so tables, diagrams, exports and comparisons take either."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from unetviz.core.config import UNetConfig
from unetviz.core.records import Layer, LayerTotals, Level, Shape, ShapeWarning
from unetviz.core.tiles import ValidSizes


@dataclass(frozen=True)
class FoundSkip:
    """A tensor kept at `level` by `source` and joined by `join` (concat or add), crop or pad on the way."""

    level: int
    source: str  # layer names
    join: str
    kind: str  # concat or add
    adjust: str  # crop, pad or none
    adjusted: str  # which input was cropped or padded: skip or up; "" when none
    amounts: tuple[tuple[int, int], ...] | None

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "source": self.source,
            "join": self.join,
            "kind": self.kind,
            "adjust": self.adjust,
            "adjusted": self.adjusted or None,
            "amounts": [list(a) for a in self.amounts] if self.amounts is not None else None,
        }


@dataclass(frozen=True)
class Inspection(LayerTotals):
    name: str  # the class, or the factory's name
    target: str  # as given: `path/to/file.py:UNet`, `monai.networks.nets:UNet`, or `<module>` for an object
    layers: tuple[Layer, ...]
    levels: tuple[Level, ...]
    skips: tuple[FoundSkip, ...]
    warnings: tuple[ShapeWarning, ...]
    input_shape: Shape
    total_params: int  # sum(p.numel()) over the model's parameters
    device: str
    seconds: float  # the recorded forward pass
    u_found: bool
    no_u_reason: str = ""
    failure: str | None = None  # `layer: torch's message` when the forward raised
    matched: UNetConfig | None = None  # the unetviz config this model is exactly (same layers, shapes, params)
    differs: tuple[str, ...] = ()  # else: how it differs from the nearest preset
    unattributed: tuple[str, ...] = ()  # modules whose parameters no recorded layer used
    valid_sizes: tuple[ValidSizes, ...] = ()
    resolutions: tuple[str, ...] = ()  # per level from 0, relative to the input: `1`, `1/2`, `1/(1×2×2)`
    edges: tuple[tuple[str, str], ...] = ()  # (source layer or "input", target layer): the recorded data flow
    kwargs: dict[str, Any] = field(default_factory=dict)
    trace = None  # an inspection is itself a trace: there is no second, analytic source
    imported = None

    # --- the Analysis surface ------------------------------------------------------------------------------
    @property
    def shapes(self) -> Inspection:
        return self

    @property
    def config(self) -> UNetConfig | None:
        return self.matched

    @property
    def output_shape(self) -> Shape:
        return self.layers[-1].out_shape if self.layers else self.input_shape

    @property
    def receptive_field_text(self) -> str:
        return "not computed for an inspected model"

    @property
    def attributed_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def depth(self) -> int:
        return max((level.level for level in self.levels), default=0)

    def inputs(self) -> dict[str, list[str]]:
        """Each layer to the layers (or "input") whose outputs it read, in argument order."""
        read: dict[str, list[str]] = {}
        for source, target in self.edges:
            read.setdefault(target, []).append(source)
        return read

    def valid_input_sizes(self) -> list[ValidSizes]:
        return list(self.valid_sizes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "inspected": {
                "name": self.name,
                "target": self.target,
                "kwargs": self.kwargs,
                "device": self.device,
                "trace_seconds": round(self.seconds, 4),
                "u_found": self.u_found,
                "resolutions": list(self.resolutions),
                **({"no_u": self.no_u_reason} if self.no_u_reason else {}),
                "matches_config": self.matched.name if self.matched is not None else None,
                "differs": list(self.differs),
                "unattributed_modules": list(self.unattributed),
            },
            "config": self.matched.to_dict() if self.matched is not None else None,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "total_params": self.total_params,
            "mult_adds": self.mult_adds,
            **({"failure": self.failure} if self.failure else {}),
            "activation_bytes": self.activation_bytes,
            "layers": [layer.to_dict() for layer in self.layers],
            "levels": [level.to_dict() for level in self.levels],
            "skips": [skip.to_dict() for skip in self.skips],
            "warnings": [w.to_dict() for w in self.warnings],
            "valid_input_sizes": [entry.to_dict() for entry in self.valid_sizes],
            "trace": None,
        }
