"""The `unetviz` command: argparse front over the core. Never imports Qt (the app loads it itself)."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import gc
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from unetviz.core.config import (
    UNetConfig,
    apply_assignments,
    preset_description,
    preset_names,
)
from unetviz.core.errors import ConfigError, OutputError, RenderError, RenderTimeout, TraceError, printable

if TYPE_CHECKING:
    from unetviz.core.analysis import Analysis
    from unetviz.core.inspection import Inspection
    from unetviz.core.records import Imported
    from unetviz.sources.open import Opened

EXIT_USAGE = 2
STDOUT_AS = ("svg", "dot", "json", "csv", "md", "txt")


MAX_MESSAGE = 400  # a message quoting a megabyte argument is still one readable line


def one_line(text: str) -> str:
    """`text` as one line: control characters escaped (no terminal escapes, no line breaks), cut to MAX_MESSAGE."""
    text = printable(text)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        self.exit(EXIT_USAGE, one_line(f"{self.prog}: {message} (see {self.prog} --help)") + "\n")


def add_config_arguments(parser: argparse.ArgumentParser, inspect: bool = False) -> None:
    """--preset/--config (and, with `inspect`, --inspect TARGET with its --kwargs and --input-size)."""
    group = parser.add_argument_group("configuration")
    source = group.add_mutually_exclusive_group()
    if inspect:
        from unetviz.cli_inspect import add_inspect_arguments

        add_inspect_arguments(source, group)
    source.add_argument("--preset", metavar="NAME", help="a shipped preset: " + ", ".join(preset_names()))
    source.add_argument(
        "--config",
        metavar="FILE",
        help='a JSON config file (may name a "preset" to start from), an nnU-Net plans file or a MONAI bundle config',
    )
    group.add_argument(
        "--configuration",
        metavar="NAME",
        help="with an nnU-Net plans file: the configuration to read (default 3d_fullres, else 2d)",
    )
    group.add_argument(
        "--dataset-json",
        metavar="FILE",
        help="with an nnU-Net plans file: its dataset.json (default: the one beside it)",
    )
    group.add_argument(
        "--set",
        dest="assignments",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override one field; VALUE is read as JSON when it parses (e.g. --set 'input_size=[388,388]')",
    )


def opened_from_args(args: argparse.Namespace, default_preset: str = "ronneberger2015", output: bool = False) -> Opened:
    """The config the arguments name (a preset, a config, plans or a bundle) with --set applied, and what was
    imported to make it. `output`: --configuration may name an output plans configuration instead."""
    from unetviz.sources.open import Opened, open_config

    configuration = getattr(args, "configuration", None)
    dataset = getattr(args, "dataset_json", None)
    if ((configuration and not output) or dataset) and not args.config:
        flag = "--dataset-json" if dataset else "--configuration"
        raise ConfigError(flag, dataset or configuration, "with --config PLANS.json (an nnU-Net plans file)")
    source = args.config or args.preset or default_preset
    opened = open_config(source, configuration if args.config else None, dataset, strict=not output)
    return Opened(apply_assignments(opened.config, args.assignments), opened.imported)


def config_from_args(args: argparse.Namespace, default_preset: str = "ronneberger2015") -> UNetConfig:
    return opened_from_args(args, default_preset).config


STDOUT = "-"


def _print_text(text: str) -> None:
    """Text to standard output, even where its encoding cannot show every character (written as escapes)."""
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))
    sys.stdout.flush()


def _wrote(path: str) -> None:
    """Say where the output went, unless it went to a device, a pipe or /dev/stdout, where the line would land
    in the output itself."""
    from unetviz.report.export import is_replaced_file

    if is_replaced_file(path):
        print(f"wrote {path}")


def write_output(text: str, path: str | None) -> None:
    if path is None or path == STDOUT:
        _print_text(text)
        return
    from unetviz.report.export import write_text

    write_text(path, text)
    _wrote(path)


def cmd_summary(args: argparse.Namespace) -> int:
    from unetviz.core.analysis import analyze
    from unetviz.report.tables import render_table

    if args.inspect:
        _output_inspection(args, args.inspect)
        return 0
    opened = opened_from_args(args)
    analysis = analyze(opened.config, device=None if args.device == "none" else args.device)
    if opened.imported is not None:
        analysis = dataclasses.replace(analysis, imported=opened.imported)
    write_output(render_table(analysis, args.format), args.output)
    return 0


def _output_inspection(args: argparse.Namespace, target: str) -> None:
    from unetviz.cli_inspect import inspection_from_args
    from unetviz.report.tables import render_table

    if args.device == "none":
        raise ConfigError("--device", "none", "meta, cpu, cuda or auto with --inspect: a model is known by tracing it")
    if args.device == "auto":
        from unetviz.network.trace import resolve_device

        args.device = resolve_device("auto")
    write_output(render_table(inspection_from_args(args, target, device=args.device), args.format), args.output)


def cmd_import(args: argparse.Namespace) -> int:
    """An nnU-Net plans file or a MONAI bundle config as a unetviz config (JSON), with what was read and assumed."""
    from unetviz.sources.open import open_config

    opened = open_config(args.file, args.configuration, args.dataset_json)
    if opened.imported is None:
        raise ConfigError("import", args.file, "an nnU-Net plans file or a MONAI bundle config (this is a unetviz "
                          "config or a preset already)")  # fmt: skip
    cfg = apply_assignments(opened.config, args.assignments)
    data = {"description": _import_description(opened.imported), **cfg.to_dict()}
    write_output(json.dumps(data, indent=2, ensure_ascii=False) + "\n", args.output)
    return 0


def _import_description(imported: Imported) -> str:
    assumed = "; assumed: " + "; ".join(imported.assumed) if imported.assumed else ""
    return f"imported from {imported.source}{assumed}"


def cmd_sizes(args: argparse.Namespace) -> int:
    """Valid input sizes per axis: axes that share a rule and a size are listed once."""
    from unetviz.core.tiles import valid_sizes_near, valid_sizes_per_axis

    cfg = config_from_args(args)
    if args.near is not None and args.near < 1:
        raise ConfigError("--near", args.near, "an integer ≥ 1")
    if not 1 <= args.count <= 1000:
        raise ConfigError("--count", args.count, "an integer from 1 to 1000")
    groups = valid_sizes_per_axis(cfg, args.count)
    rule = "every down-sampling divides the size"
    lines = [f"valid input sizes for {cfg.name} (depth {cfg.depth}, {cfg.padding} padding, input "
             f"{'×'.join(map(str, cfg.input_size))}): {rule}"]  # fmt: skip
    names = ("D", "H", "W")[3 - cfg.dims :]
    for group in groups:
        near = args.near if args.near is not None else group.near
        axis = names.index(group.axes[0]) if group.axes else -1
        sizes = valid_sizes_near(cfg, near, args.count, axis) if near != group.near else list(group.sizes)
        heading = f"near {near}" + (f" on {', '.join(group.axes)}" if group.axes else "")
        fits = any(i == group.near for i, _ in sizes)
        mark = "" if fits or near != group.near else f"   ({group.near} itself does not fit)"
        lines += ["", f"{heading}:{mark}", "input  output  activations"]
        for i, o in sizes:
            memory = _activation_memory(cfg, group.axes, names, group.near, i)
            lines.append(f"{i:>5}  {o:>6}  {memory:>11}" + ("   ← requested" if i == near else ""))
        if not sizes:
            lines.append("none found: this configuration collapses every input; lower depth or use same padding")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _activation_memory(cfg: UNetConfig, axes: tuple[str, ...], names: tuple[str, ...], near: int, size: int) -> str:
    """The float32 activation memory with `size` on the listed axes (every axis of that size when none)."""
    from unetviz.core.shapes import analyze_shapes
    from unetviz.report.tables import human

    chosen = set(axes) or set(names)
    sizes = tuple(size if a in chosen and s == near else s for a, s in zip(names, cfg.input_size, strict=True))
    try:
        return human(analyze_shapes(cfg.replace(input_size=sizes)).activation_bytes, "B")
    except ConfigError:
        return "—"


def cmd_presets(_args: argparse.Namespace) -> int:
    names = preset_names()
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name.ljust(width)}  {preset_description(name)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Every -o in turn; tables, .dot and .json are written even when no engine can draw. After a renderer
    timed out, the other drawings are not tried: each would wait as long again."""
    from unetviz.core.analysis import analyze

    if STDOUT in args.outputs and args.as_suffix is None and args.format is None:
        kinds = "|".join(STDOUT_AS)
        said = f"-o: '-' (standard output) needs --as {kinds} or --format to say what to write"
        raise ConfigError("-o", STDOUT, "", said)
    if args.inspect:
        from unetviz.cli_inspect import inspection_from_args

        return export_outputs(inspection_from_args(args, args.inspect), args, args.format)
    cfg = opened_from_args(args, output=True).config
    return export_outputs(analyze(cfg, device=None), args, args.format)


def export_outputs(analysis: Analysis | Inspection, args: argparse.Namespace, table_format: str | None = None) -> int:
    """Write `analysis` to each of args.outputs (format from the extension, or `table_format`); one line for
    the failures, after trying every output."""
    from unetviz.report.export import DIAGRAM_SUFFIXES, TABLE_SUFFIXES, export_bytes, export_file

    failures: list[str] = []
    timed_out: str | None = None
    for path in args.outputs:
        suffix = f".{args.as_suffix}" if path == STDOUT and args.as_suffix else os.path.splitext(path)[1].lower()
        drawn = table_format is None and suffix in DIAGRAM_SUFFIXES and suffix not in (".dot", ".gv", ".json")
        if drawn and timed_out is not None and suffix not in TABLE_SUFFIXES:
            failures.append(f"{path}: not drawn, {timed_out}")
            continue
        try:
            if path == STDOUT:
                data = export_bytes(analysis, suffix, args.view, args.engine, args.dpi, table_format,
                                    bar_scale=args.bar_scale)  # fmt: skip
                _print_text(data.decode("utf-8"))
                continue
            export_file(analysis, path, view=args.view, engine=args.engine, dpi=args.dpi, table_format=table_format,
                        bar_scale=args.bar_scale,
                        configuration=args.configuration, into=args.into)  # fmt: skip
        except RenderTimeout as exc:
            timed_out = str(exc)
            failures.append(f"{path}: {exc}")
            continue
        except RenderError as exc:
            failures.append(f"{path}: {exc}")
            continue
        except OutputError as exc:
            failures.append(str(exc))
            continue
        if STDOUT not in args.outputs:
            _wrote(path)
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        print(one_line(f"unetviz export: {failures[0]}{more}"), file=sys.stderr)
        return EXIT_USAGE
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    from unetviz.gui.app import run_app  # Qt loads only here

    return run_app(args)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="unetviz", description="Design a UNet and see exactly what it does to a tensor.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    summary = sub.add_parser("summary", help="every layer's size with its formula, params, mult-adds; trace check")
    add_config_arguments(summary, inspect=True)
    summary.add_argument(
        "--device",
        default="auto",
        choices=("auto", "cpu", "cuda", "meta", "none"),
        help="trace on this device (auto: CUDA if present, else meta); none: formulas only, no torch",
    )
    summary.add_argument("--format", default="table", choices=("table", "json", "csv", "markdown"))
    summary.add_argument("-o", "--output", metavar="FILE", help="write here (atomically) instead of stdout (-)")
    summary.set_defaults(func=cmd_summary)

    sizes = sub.add_parser("sizes", help="valid input sizes near N, with the output size each gives")
    add_config_arguments(sizes)
    sizes.add_argument("--near", type=int, metavar="N", help="size to search around (default: the config's input size)")
    sizes.add_argument("--count", type=int, default=8, metavar="K", help="how many sizes to list (default 8)")
    sizes.set_defaults(func=cmd_sizes)

    export = sub.add_parser("export", help="write the diagram (SVG/PNG/PDF/DOT/JSON) or the layer table (CSV/MD)")
    add_config_arguments(export, inspect=True)
    export.add_argument(
        "--view",
        default="u",
        choices=("u", "blocks", "layers", "paper"),
        help="u (default): the U as a flowchart; paper: the 2015 paper's Figure 1 (bars; .svg .png .pdf .tex)",
    )
    export.add_argument("--bar-scale", default="power", choices=("power", "linear"),
                        help="paper view: bar height and width ∝ √size, √channels (power) or linear")  # fmt: skip
    export.add_argument(
        "--engine",
        default="auto",
        choices=("auto", "system", "embedded"),
        help="Graphviz engine: the system dot, or the embedded graphviz-pure (auto: system if on PATH)",
    )
    export.add_argument("--dpi", type=int, default=150, help="PNG resolution (default 150)")
    export.add_argument(
        "--format",
        choices=("csv", "markdown", "json", "table"),
        help="write the layer table in this format whatever the extension",
    )
    export.add_argument(
        "-o",
        "--output",
        dest="outputs",
        metavar="FILE",
        action="append",
        required=True,
        help="output file, format from the extension; repeat for several; - for standard output (with --as)",
    )
    export.add_argument(
        "--as",
        dest="as_suffix",
        choices=STDOUT_AS,
        help="what -o - writes, named by its extension: svg, dot, json (the graph model), or a table (csv, md, txt)",
    )
    export.add_argument(
        "--into",
        metavar="PLANS.json",
        help="with -o …Plans.json: add the config as --configuration NAME to this existing nnU-Net plans file "
        "(everything else in it kept)",
    )
    export.set_defaults(func=cmd_export)

    importer = sub.add_parser("import", help="an nnU-Net plans file or a MONAI bundle config as a unetviz config")
    importer.add_argument("file", metavar="FILE", help="nnUNetPlans.json (v2) or a bundle's configs/inference.json")
    importer.add_argument("--configuration", metavar="NAME", help="the plans configuration (default 3d_fullres or 2d)")
    importer.add_argument("--dataset-json", metavar="FILE", help="nnU-Net's dataset.json (default: beside the plans)")
    importer.add_argument("--set", dest="assignments", metavar="KEY=VALUE", action="append", default=[],
                          help="override one field of the imported config")  # fmt: skip
    importer.add_argument("-o", "--output", metavar="OUT.json", help="write here instead of standard output")
    importer.set_defaults(func=cmd_import)

    from unetviz.cli_compare import add_compare_command

    add_compare_command(sub)

    gui = sub.add_parser("gui", help="open the desktop app (the default with no command)")
    add_config_arguments(gui)
    gui.add_argument("--screenshot", metavar="FILE", help="render the window offscreen to this PNG and exit")
    gui.add_argument("--with-trace", action="store_true", help="with --screenshot: wait for the trace verdict too")
    gui.add_argument(
        "--size", default="1280x800", metavar="WxH", help="window size for --screenshot (default 1280x800)"
    )
    gui.set_defaults(func=cmd_gui)

    from unetviz.cli_inspect import add_inspect_command
    from unetviz.cli_plan import add_plan_command

    add_inspect_command(sub)
    add_plan_command(sub)

    presets = sub.add_parser("presets", help="list the shipped presets")
    presets.set_defaults(func=cmd_presets)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:  # plain `unetviz` opens the app, as `unetviz gui` with its defaults
        args = parser.parse_args(["gui"])
        func = cmd_gui
    command = args.command or "gui"
    try:
        return func(args)
    except (ConfigError, TraceError, RenderError, OutputError) as exc:
        _fail(command, str(exc))
    except OSError as exc:  # not a write (those are OutputErrors): standard output closed, a read failing
        from unetviz.report.export import reason

        where = f"{exc.filename}: " if exc.filename else "standard output: " if exc.errno == errno.EPIPE else ""
        _fail(command, f"{where}{reason(exc)}")
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: still one line, never a traceback
        _fail(command, f"internal error ({exc.__class__.__name__}: {_text(exc)}); please report it")
        return 1
    return EXIT_USAGE


def entry() -> int:
    """The `unetviz` console command: `main` on the process's arguments, then a quick exit.

    Python's exit sweeps every object the process made for cycles, and torch (with sympy) makes about a million:
    ≈ 0.4 s of a 2 s cold `unetviz summary --device meta`. `gc.freeze()` takes them out of that last sweep;
    files are closed and `atexit` handlers run as usual. A process that loaded Qt (the app, a PDF export) exits
    as Python normally does, so that Qt's objects are torn down in their own order."""
    argv = sys.argv[1:]
    try:
        return main(argv)
    finally:
        if "torch" in sys.modules and "PySide6.QtCore" not in sys.modules:
            gc.freeze()


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a message that cannot itself be made (an int too long to print)
        return "no message"


def _fail(command: str, message: str) -> None:
    print(one_line(f"unetviz {command}: {message}"), file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(entry())
