"""What a trace returns, torch-free: the app reads a trace's answer without loading torch."""

from __future__ import annotations

from dataclasses import dataclass, field

from unetviz.core.records import Shape


@dataclass(frozen=True)
class LayerCount:
    layer: str
    type: str
    ours: int
    torchinfo: int

    def to_dict(self) -> dict[str, object]:
        return {"layer": self.layer, "type": self.type, "ours": self.ours, "torchinfo": self.torchinfo}


@dataclass(frozen=True)
class TorchinfoCheck:
    params: int
    mult_adds: int
    params_agree: bool
    differing: tuple[LayerCount, ...]  # layers whose mult-adds differ from ours, in execution order

    def to_dict(self) -> dict[str, object]:
        return {
            "params": self.params,
            "mult_adds": self.mult_adds,
            "params_agree": self.params_agree,
            "differing_mult_adds": [d.to_dict() for d in self.differing],
        }

    def differing_types(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self.differing:
            counts[d.type] = counts.get(d.type, 0) + 1
        return counts


@dataclass(frozen=True)
class Mismatch:
    layer: str
    analytic: Shape | None
    traced: Shape | None

    def to_dict(self) -> dict[str, object]:
        return {
            "layer": self.layer,
            "analytic": list(self.analytic) if self.analytic is not None else None,
            "traced": list(self.traced) if self.traced is not None else None,
        }


@dataclass(frozen=True)
class TraceResult:
    device: str
    shapes: dict[str, Shape]
    mismatches: tuple[Mismatch, ...]
    params: int
    seconds: float
    torchinfo: TorchinfoCheck | None = None
    layer_ms: dict[str, float] = field(default_factory=dict)  # CUDA only
    peak_memory_bytes: int | None = None  # CUDA only
    note: str | None = None  # e.g. why a CUDA trace fell back to meta

    @property
    def agreed(self) -> bool:
        return not self.mismatches

    def to_dict(self) -> dict[str, object]:
        return {
            "device": self.device,
            "agreed": self.agreed,
            "mismatches": [m.to_dict() for m in self.mismatches],
            "params": self.params,
            "seconds": round(self.seconds, 4),
            "torchinfo": self.torchinfo.to_dict() if self.torchinfo is not None else None,
            "layer_ms": {k: round(v, 4) for k, v in self.layer_ms.items()} or None,
            "peak_memory_bytes": self.peak_memory_bytes,
            "note": self.note,
        }
