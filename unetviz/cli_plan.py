"""`unetviz plan --gpu-memory 24GiB`: the training memory of a config, item by item, and the largest batch size and
patch that fit (unetviz.core.memory)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from unetviz.core.memory import OPTIMIZERS, PRECISIONS, parse_bytes, plan


def _gib(n: int) -> str:
    return f"{n / 2**30:,.2f} GiB"


def cmd_plan(args: argparse.Namespace) -> int:
    from unetviz.cli import config_from_args, write_output

    cfg = config_from_args(args)
    budget = parse_bytes(args.gpu_memory)
    result = plan(cfg, budget, args.precision, args.optimizer)
    est = result.estimate
    if args.format == "json":
        data = {"budget_bytes": budget, "estimate": est.to_dict(), "largest_batch_size": result.largest_batch,
                "largest_patch": [{"axes": a, "size": s, "bytes": b} for a, s, b in result.largest_patch]}  # fmt: skip
        write_output(json.dumps(data, indent=2) + "\n", args.output)
        return 0
    size = "×".join(str(s) for s in cfg.input_size)
    lines = [f"training memory of {cfg.name}: batch {cfg.batch_size}, input {size}, {args.precision}, {args.optimizer}"]
    width = max(len(item.what) for item in est.items)
    lines += [f"  {item.what.ljust(width)}  {_gib(item.bytes):>12}" for item in est.items]
    fits = "fits" if est.total <= budget else "does NOT fit"
    lines += [f"  {'total'.ljust(width)}  {_gib(est.total):>12}   ({fits} in {_gib(budget)})", ""]
    if result.largest_batch:
        lines.append(f"largest batch size at {size}: {result.largest_batch}")
    else:
        lines.append(f"largest batch size at {size}: none (batch 1 needs more than {_gib(budget)})")
    for axes, patch, used in result.largest_patch:
        said = f"{patch} ({_gib(used)} at batch 1)" if patch else "none fits"
        lines.append(f"largest valid input on {axes} (the others as they are), batch 1: {said}")
    lines.append("estimate: weights, gradients, optimizer state, what autograd keeps per layer type (see README); "
                 "not measured on a GPU here")  # fmt: skip
    write_output("\n".join(lines) + "\n", args.output)
    return 0


def add_plan_command(sub: Any) -> None:
    from unetviz.cli import add_config_arguments

    parser = sub.add_parser("plan", help="training memory, and the largest batch and patch that fit a GPU")
    add_config_arguments(parser)
    parser.add_argument("--gpu-memory", required=True, metavar="SIZE", help="the GPU's memory, e.g. 24GiB or 80GB")
    parser.add_argument("--precision", default="fp32", choices=PRECISIONS, help="fp32, or amp (float16 autocast)")
    parser.add_argument("--optimizer", default="adam", choices=OPTIMIZERS, help="adam (2 states), sgd (momentum: 1)")
    parser.add_argument("--format", default="table", choices=("table", "json"))
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    parser.set_defaults(func=cmd_plan)
