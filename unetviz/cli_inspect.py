"""`unetviz inspect TARGET` and `--inspect TARGET` for summary, export and compare: the argument parsing and
the command. Importing TARGET runs the user's code; nothing else ever imports it."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from unetviz.core.errors import ConfigError

if TYPE_CHECKING:
    from unetviz.core.inspection import Inspection

INSPECT_DEVICES = ("meta", "cpu", "cuda")


def add_inspect_arguments(source: Any, group: Any | None = None) -> None:
    """--inspect in `source` (beside --preset and --config), --kwargs and --input-size in `group`; with no group,
    only the last two, in `source`."""
    if group is not None:
        source.add_argument("--inspect", metavar="TARGET", help="a PyTorch model instead of a config: "
                           "package.module:factory or path/to/file.py:factory (runs that file's code)")  # fmt: skip
    group = group if group is not None else source
    group.add_argument("--kwargs", metavar="JSON", help="keyword arguments for the factory, e.g. '{\"n_channels\": 3}'")
    group.add_argument("--input-size", metavar="N,C,H,W", help="the dummy input's shape, e.g. 1,3,572,572")


def parse_input_size(text: str | None, fallback: tuple[int, ...] | None = None) -> tuple[int, ...]:
    if text is None:
        if fallback is not None:
            return fallback
        raise ConfigError(
            "--input-size", None, "N,C and 1 to 3 spatial sizes, e.g. 1,3,572,572 (required with a model)"
        )
    try:
        values = tuple(int(v) for v in text.replace("×", ",").replace("x", ",").split(","))
    except ValueError:
        raise ConfigError(
            "--input-size", text, "N,C and 1 to 3 spatial sizes, each an integer ≥ 1 (1,3,572,572)"
        ) from None
    if not 3 <= len(values) <= 5 or any(v < 1 for v in values):
        raise ConfigError("--input-size", text, "N,C and 1 to 3 spatial sizes, each an integer ≥ 1 (1,3,572,572)")
    return values


def parse_kwargs(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError("--kwargs", text, f"a JSON object, e.g. '{{\"n_channels\": 3}}' ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ConfigError("--kwargs", text, "a JSON object of keyword arguments, e.g. '{\"n_channels\": 3}'")
    return value


def inspection_from_args(args: argparse.Namespace, target: str, fallback: tuple[int, ...] | None = None,
                         device: str = "meta") -> Inspection:  # fmt: skip
    """Import `target`, build the model and inspect it at --input-size (or `fallback`)."""
    from unetviz.sources.inspect import inspect, load_model

    kwargs = parse_kwargs(args.kwargs)
    if device not in INSPECT_DEVICES:
        raise ConfigError("--device", device, ", ".join(INSPECT_DEVICES))
    model = load_model(target, kwargs, device)
    if args.input_size is None and fallback is not None:  # the config's batch and size, the model's channels
        first = (getattr(m, "in_channels", None) for m in model.modules())
        channels = next((c for c in first if isinstance(c, int)), fallback[1])
        fallback = (fallback[0], channels, *fallback[2:])
    shape = parse_input_size(args.input_size, fallback)
    name = target.rpartition(":")[2]
    return inspect(model, shape, device=device, name=name, target=target, kwargs=kwargs)


def cmd_inspect(args: argparse.Namespace) -> int:
    from unetviz.cli import export_outputs, write_output
    from unetviz.report.tables import render_table

    found = inspection_from_args(args, args.target, device=args.device)
    if args.save_config:
        if found.matched is None:
            raise ConfigError("--save-config", args.save_config, "a model that is exactly a unetviz config; this one "
                              "is not" + (f" ({found.differs[0]})" if found.differs else ""))  # fmt: skip
        write_output(found.matched.to_json(), args.save_config)
    if args.outputs:
        return export_outputs(found, args)
    write_output(render_table(found, args.format), None)
    return 0


def add_inspect_command(sub: Any) -> None:
    inspect = sub.add_parser("inspect", help="trace a PyTorch model you wrote and draw it as a U (runs its code)")
    inspect.add_argument(
        "target",
        metavar="TARGET",
        help="package.module:factory or path/to/file.py:factory: a class or a function returning an nn.Module; "
        "that file is imported, which runs its code",
    )
    add_inspect_arguments(inspect)
    inspect.add_argument("--device", default="meta", choices=INSPECT_DEVICES,
                         help="meta (default): shapes only, no memory; cpu or cuda: a real forward pass")  # fmt: skip
    inspect.add_argument("--format", default="table", choices=("table", "json", "csv", "markdown"))
    inspect.add_argument(
        "-o",
        "--output",
        dest="outputs",
        metavar="FILE",
        action="append",
        default=[],
        help="write a diagram or table here instead (format from the extension); repeatable",
    )
    inspect.add_argument(
        "--save-config", metavar="FILE.json", help="when the model is exactly a unetviz config: write that config"
    )
    inspect.add_argument("--view", default="u", choices=("u", "blocks", "layers", "paper"), help="the diagram's view")
    inspect.add_argument("--engine", default="auto", choices=("auto", "system", "embedded"))
    inspect.add_argument("--dpi", type=int, default=150, help="PNG resolution (default 150)")
    inspect.set_defaults(func=cmd_inspect, as_suffix=None, configuration=None, into=None, table_format=None,
                         bar_scale="power")  # fmt: skip
