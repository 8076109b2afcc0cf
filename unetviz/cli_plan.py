"""`unetviz plan --gpu-memory 24GiB`: the training memory of a config, item by item, and the largest batch size and
patch that fit (unetviz.core.memory), checked against torch: what autograd saves in a meta training forward
(`--device meta`, the default), or one measured training step on the GPU (`--device cuda`)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from unetviz.core.config import UNetConfig
from unetviz.core.errors import TraceError
from unetviz.core.memory import (
    OPTIMIZERS,
    PRECISIONS,
    MemoryEstimate,
    batch_arithmetic,
    kept_in_float32,
    parse_bytes,
    patch_arithmetic,
    percent_off,
    plan,
)

PLAN_DEVICES = ("meta", "cuda", "none")


def _gib(n: int) -> str:
    return f"{n / 2**30:,.2f} GiB"


def check(cfg: UNetConfig, est: MemoryEstimate, device: str) -> dict[str, Any] | None:
    """torch's side of the estimate: on meta, the bytes autograd saves in one float32 training forward beside the
    estimate's kept-for-backward items (in float32: autocast does not run on meta); on cuda, one measured training
    step's peak beside the total, and each layer's forward time. TraceError when CUDA is asked for and absent."""
    if device == "none":
        return None
    from unetviz.network.trace import cuda_available

    if device == "cuda" and not cuda_available():
        raise TraceError("--device: 'cuda' is not available on this machine (torch sees no GPU); use meta or none")
    if device == "meta":
        from unetviz.network.saved_tensors import kept_for_backward

        return {"device": "meta", "what": "kept for backward (float32)", "measured_bytes": kept_for_backward(cfg),
                "estimate_bytes": kept_in_float32(cfg)}  # fmt: skip
    from unetviz.network.gpu_measure import cuda_device, measure_step

    step = measure_step(cfg, cuda_device(), est.precision, est.optimizer)
    return {"device": "cuda", "what": "training step peak (torch.cuda.max_memory_allocated)",
            "measured_bytes": step.peak_bytes, "estimate_bytes": step.estimate_bytes,
            "layer_ms": step.layer_ms, "layer_bytes": step.layer_bytes}  # fmt: skip


def _check_line(found: dict[str, Any]) -> str:
    measured, estimated = found["measured_bytes"], found["estimate_bytes"]
    off = percent_off(estimated, measured)
    line = (f"checked on {found['device']}: {found['what']}: torch {_gib(measured)}, the estimate {_gib(estimated)} "
            f"({off:+.1f} %)")  # fmt: skip
    if found["device"] == "cuda" and found["layer_ms"]:
        slowest = sorted(found["layer_ms"].items(), key=lambda kv: -kv[1])[:3]
        line += "; slowest layers (forward, ms): " + ", ".join(f"{name} {ms:.2f}" for name, ms in slowest)
        biggest = sorted(found["layer_bytes"].items(), key=lambda kv: -kv[1])[:3]
        line += "; largest allocations (forward): " + ", ".join(f"{name} {_gib(n)}" for name, n in biggest)
    return line


def cmd_plan(args: argparse.Namespace) -> int:
    from unetviz.cli import config_from_args, write_output

    cfg = config_from_args(args)
    budget = parse_bytes(args.gpu_memory)
    if args.device not in PLAN_DEVICES:
        raise TraceError(f"--device: {args.device!r} is not allowed; expected one of {', '.join(PLAN_DEVICES)}")
    result = plan(cfg, budget, args.precision, args.optimizer)
    est = result.estimate
    found = check(cfg, est, args.device)
    if args.format == "json":
        data = {"budget_bytes": budget, "estimate": est.to_dict(), "largest_batch_size": result.largest_batch,
                "largest_patch": [{"axes": a, "size": s, "bytes": b} for a, s, b in result.largest_patch],
                "fixed_bytes": result.fixed_bytes, "per_sample_bytes": result.per_sample_bytes,
                "next_patch": [{"axes": a, "size": s, "bytes": b} for a, s, b in result.next_patch],
                "check": found}  # fmt: skip
        write_output(json.dumps(data, indent=2) + "\n", args.output)
        return 0
    size = "×".join(str(s) for s in cfg.input_size)
    lines = [f"training memory of {cfg.name}: batch {cfg.batch_size}, input {size}, {args.precision}, {args.optimizer}"]
    width = max(len(item.what) for item in est.items)
    lines += [f"  {item.what.ljust(width)}  {_gib(item.bytes):>12}" for item in est.items]
    fits = "fits" if est.total <= budget else "does NOT fit"
    lines += [f"  {'total'.ljust(width)}  {_gib(est.total):>12}   ({fits} in {_gib(budget)})", ""]
    sums = batch_arithmetic(result, _gib)
    if result.largest_batch:
        lines.append(f"largest batch size at {size}: {result.largest_batch} ({sums})")
    else:
        lines.append(f"largest batch size at {size}: none (batch 1 needs {sums}, more than {_gib(budget)})")
    for axes, patch, used in result.largest_patch:
        after = patch_arithmetic(result, axes, _gib)
        said = f"{patch} ({_gib(used)} at batch 1{'; ' + after if after else ''})" if patch else "none fits"
        lines.append(f"largest valid input on {axes} (the others as they are), batch 1: {said}")
    lines.append("estimate: weights, gradients, optimizer state, what autograd keeps per layer type (see README)")
    if found is not None:
        lines.append(_check_line(found))
    write_output("\n".join(lines) + "\n", args.output)
    return 0


def add_plan_command(sub: Any) -> None:
    from unetviz.cli import add_config_arguments

    parser = sub.add_parser("plan", help="training memory, and the largest batch and patch that fit a GPU")
    add_config_arguments(parser)
    parser.add_argument("--gpu-memory", required=True, metavar="SIZE", help="the GPU's memory, e.g. 24GiB or 80GB")
    parser.add_argument("--precision", default="fp32", choices=PRECISIONS, help="fp32, or amp (float16 autocast)")
    parser.add_argument("--optimizer", default="adam", choices=OPTIMIZERS, help="adam (2 states), sgd (momentum: 1)")
    parser.add_argument("--device", default="meta", metavar="DEVICE",
                        help="check the estimate with torch: meta (what autograd saves, free), cuda (one measured "
                             "training step), none")  # fmt: skip
    parser.add_argument("--format", default="table", choices=("table", "json"))
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    parser.set_defaults(func=cmd_plan)
