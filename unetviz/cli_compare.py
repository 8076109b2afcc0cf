"""`unetviz compare`: two configs (or a model and a config) side by side, or one config across values of a
field (--vary)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from unetviz.cli import add_config_arguments, config_from_args, write_output
from unetviz.core.config import UNetConfig, apply_assignments, apply_changes, parse_json
from unetviz.core.errors import ConfigError

if TYPE_CHECKING:
    from unetviz.report.compare import Comparison


def parse_vary(text: str) -> tuple[str, list[object]]:
    """`KEY=V1,V2,…`: the values read as one JSON list when they parse (`input_size=[64,64],[96,96]`), else strings."""
    from unetviz.core.config import parse_assignment

    key, raw = parse_assignment(text.split("=", 1)[0] + "=0")[0], text.partition("=")[2]
    try:
        values = parse_json(f"[{raw}]", "--vary")
    except json.JSONDecodeError:  # some are bare words (valid,same): read each on its own
        values = [_json_or_text(v.strip()) for v in raw.split(",")]
    if len(values) < 2 or any(isinstance(v, str) and v == "" for v in values):
        raise ConfigError("--vary", text, "KEY=V1,V2[,…] with at least two values, e.g. padding=valid,same")
    return key, values


def _json_or_text(text: str) -> object:
    try:
        return parse_json(text, "--vary")
    except json.JSONDecodeError:
        return text


def _compare_inputs(args: argparse.Namespace) -> tuple[list[UNetConfig], list[str]]:
    if args.vary:
        if args.set_a or args.set_b:
            raise ConfigError("--set-a/--set-b", args.set_a + args.set_b, "--set with --vary (one base config)")
        if len(args.configs) > 1:
            raise ConfigError("compare", args.configs, "one base config (or --preset/--config) with --vary")
        if args.configs:
            from unetviz.sources.open import open_config

            base = open_config(args.configs[0], args.configuration, args.dataset_json).config
        else:
            base = config_from_args(args)
        base = apply_assignments(base, args.assignments) if args.configs else base
        key, values = parse_vary(args.vary)
        # as --set KEY=VALUE would: a new depth or dims carries the per-stage and per-axis fields along
        configs = [apply_changes(base, {key: value}) for value in values]
        return configs, [f"{key}={json.dumps(v) if not isinstance(v, str) else v}" for v in values]
    if len(args.configs) != 2:
        raise ConfigError(
            "compare",
            args.configs,
            "two configs A B (preset names, JSON configs, nnU-Net plans or MONAI bundle configs), or --vary KEY=V1,V2",
        )
    from unetviz.sources.open import open_config

    # --set applies to both sides, then --set-a and --set-b to their own; likewise --configuration
    side_a = open_config(args.configs[0], args.configuration_a or args.configuration, args.dataset_json)
    side_b = open_config(args.configs[1], args.configuration_b or args.configuration, args.dataset_json)
    a = apply_assignments(side_a.config, [*args.assignments, *args.set_a])
    b = apply_assignments(side_b.config, [*args.assignments, *args.set_b])
    labels = [" ".join([a.name, *args.set_a]), " ".join([b.name, *args.set_b])]
    if labels[0] == labels[1]:
        labels = [f"A: {labels[0]}", f"B: {labels[1]}"]
    return [a, b], labels


def cmd_compare(args: argparse.Namespace) -> int:
    from unetviz.core.analysis import analyze
    from unetviz.report.compare import compare_all
    from unetviz.report.compare_report import render_comparison

    if args.inspect:
        comparison = _compare_inspected(args)
    else:
        configs, labels = _compare_inputs(args)
        comparison = compare_all([analyze(cfg) for cfg in configs], labels)
    write_output(render_comparison(comparison, args.format, engine=args.engine), args.output)
    return 0


def _compare_inspected(args: argparse.Namespace) -> Comparison:
    """`compare --inspect TARGET CONFIG`: the model against a config, at --input-size or the config's input."""
    from unetviz.cli_inspect import inspection_from_args
    from unetviz.core.analysis import analyze
    from unetviz.report.compare import compare_all
    from unetviz.sources.open import open_config

    if len(args.configs) != 1 or args.vary:
        raise ConfigError("compare", args.configs, "one config beside --inspect TARGET (compare --inspect m.py:UNet "
                          "ronneberger2015)")  # fmt: skip
    cfg = apply_assignments(open_config(args.configs[0], args.configuration, args.dataset_json).config,
                            args.assignments)  # fmt: skip
    found = inspection_from_args(args, args.inspect, (cfg.batch_size, cfg.in_channels, *cfg.input_size))
    return compare_all([found, analyze(cfg)], [found.name, cfg.name] if found.name != cfg.name else ["A", "B"])


def add_compare_command(sub: Any) -> None:
    compare = sub.add_parser("compare", help="two configs side by side, or one across values of a field (--vary)")
    compare.add_argument(
        "configs", nargs="*", metavar="A B", help="preset names, JSON configs, nnU-Net plans or MONAI bundle configs"
    )
    add_config_arguments(compare, inspect=True)
    compare.add_argument("--configuration-a", metavar="NAME", help="the plans configuration of A")
    compare.add_argument("--configuration-b", metavar="NAME", help="the plans configuration of B")
    compare.add_argument("--set-a", metavar="KEY=VALUE", action="append", default=[], help="override a field of A")
    compare.add_argument("--set-b", metavar="KEY=VALUE", action="append", default=[], help="override a field of B")
    compare.add_argument("--vary", metavar="KEY=V1,V2,…", help="compare one config across values of one field")
    compare.add_argument("--format", default="table", choices=("table", "json", "markdown", "html"))
    compare.add_argument("--engine", default="auto", choices=("auto", "system", "embedded"), help="for html diagrams")
    compare.add_argument("-o", "--output", metavar="FILE", help="write here (atomically) instead of stdout (-)")
    compare.set_defaults(func=cmd_compare)
