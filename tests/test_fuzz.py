"""The suites that keep bad input in one line: hypothesis over the config loader, `--set` parsing, the Python API
and every CLI subcommand. Every case ends in success (exit 0, nothing on stderr) or exit 2 with exactly one line
on stderr; the API raises nothing but ConfigError.

`make test` runs a fixed-seed profile of FUZZ_EXAMPLES (2,000) per target; `make fuzz` a larger, random one
(UNETVIZ_FUZZ=long, UNETVIZ_FUZZ_EXAMPLES=N to choose). See docs/reliability.md for what they found.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unetviz.cli import main
from unetviz.core.config import FIELD_NAMES, UNetConfig, load_config, preset_names
from unetviz.core.errors import ConfigError

LONG = os.environ.get("UNETVIZ_FUZZ") == "long"
EXAMPLES = int(os.environ.get("UNETVIZ_FUZZ_EXAMPLES", "20000" if LONG else "2000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,  # the default run is the same every time; `make fuzz` explores
    database=None,
    suppress_health_check=list(HealthCheck),
)
WORDS = ["same", "valid", "batch", "instance", "group", "none", "max", "avg", "conv", "transpose", "bilinear",
         "nearest", "crop", "pad", "strict", "plain", "residual", "pool_conv", "strided_conv", "auto", "relu",
         "leaky_relu", "prelu", "gelu", "elu", "small", "custom"]  # fmt: skip
HUGE = st.integers(min_value=10**4300, max_value=10**4400).map(lambda n: n * -1 if n % 2 else n)
INTS = st.one_of(st.integers(-2, 9), st.sampled_from([16, 32, 64, 128, 572, 1 << 20, (1 << 20) + 1, 2**31, 2**63]))
SCALARS = st.one_of(
    st.none(), st.booleans(), INTS, st.integers(), st.floats(), st.sampled_from(WORDS), st.text(max_size=6)
)
LISTS = st.lists(st.one_of(INTS, st.lists(INTS, min_size=1, max_size=3)), max_size=7)
VALUES = st.one_of(SCALARS, LISTS, st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4), max_leaves=8))
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), INTS, st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=10,
)
FIELDS = st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES, max_size=4)


def cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as done:  # argparse's own errors
            code = done.code if isinstance(done.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def assert_clean(argv: list[str]) -> int:
    code, _out, err = cli(argv)
    if code == 0:
        assert err == "", (argv, err)
    else:
        assert code == 2, (argv, err)
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].strip() and err.endswith("\n"), (argv, err)
        assert lines[0].isprintable(), (argv, err)
        assert "internal error" not in err and "Traceback" not in err, (argv, err)
    return code


def json_text(value: Any) -> str:
    """JSON as a user might write it, Python's limits aside: huge ints written out, NaN as JSON never has it."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**4000:
        return ("-" if value < 0 else "") + "9" * 4400
    if isinstance(value, float) and not math.isfinite(value):
        return str(value).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(value, list):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{json_text(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


@pytest.fixture(scope="module", autouse=True)
def one_parser() -> Iterator[None]:
    """One parser for the whole module: building it is half of a small command's time, and it is reusable."""
    import unetviz.cli

    built = unetviz.cli.build_parser
    parser = built()
    unetviz.cli.build_parser = lambda: parser
    try:
        yield
    finally:
        unetviz.cli.build_parser = built


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    os.mkfifo(path / "fifo.json")
    (path / "dir.json").mkdir()
    (path / "empty.json").write_bytes(b"")
    return path


# --- the Python API -------------------------------------------------------------------------------------------


@FUZZ
@given(fields=FIELDS, base=st.sampled_from(["", *preset_names()]), view=st.sampled_from(["u", "blocks", "layers"]),
       fmt=st.sampled_from(["table", "json", "csv", "markdown"]))  # fmt: skip
def test_api_raises_only_config_errors(fields: dict[str, Any], base: str, view: str, fmt: str) -> None:
    from unetviz import analyze
    from unetviz.draw.graph import build_graph
    from unetviz.report.tables import render_table

    try:
        cfg = load_config(base).replace(**fields) if base else UNetConfig(**fields)
        analysis = analyze(cfg)
        build_graph(analysis, view)
        render_table(analysis, fmt).encode("utf-8")
    except ConfigError as exc:
        message = str(exc)
        assert message.isprintable() and len(message) < 2000
        if fields and not base:
            assert exc.field in fields or exc.field in FIELD_NAMES, message  # names a field, never a bare source


@FUZZ
@given(huge=HUGE, field=st.sampled_from(FIELD_NAMES))
def test_api_huge_integers(huge: int, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        UNetConfig(**{field: huge})  # type: ignore[arg-type]
    assert caught.value.field == field and "digits" in str(caught.value)


# --- the config loader ----------------------------------------------------------------------------------------


@FUZZ
@given(data=st.one_of(st.dictionaries(st.sampled_from([*FIELD_NAMES, "preset", "x"]), VALUES, max_size=5),
                      JSON_VALUES, st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_VALUES, max_size=3)))  # fmt: skip
def test_config_files(folder: Path, data: Any) -> None:
    path = folder / "fuzzed.json"
    path.write_text(json_text(data), encoding="utf-8")
    assert_clean(["summary", "--device", "none", "--format", "csv", "--config", str(path)])


@FUZZ
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.integers(1, 6000).map(lambda n: b"[" * n),
                     st.sampled_from([b"", b"\xef\xbb\xbf{}", b"{}\x00"])))  # fmt: skip
def test_config_files_of_any_bytes(folder: Path, raw: bytes) -> None:
    path = folder / "bytes.json"
    path.write_bytes(raw)
    assert_clean(["summary", "--device", "none", "--format", "csv", "--config", str(path)])


@pytest.mark.parametrize("name", ["fifo.json", "dir.json", "empty.json", "missing.json", "a\x00b", "x" * 300])
def test_config_paths_that_are_no_files(folder: Path, name: str) -> None:
    assert assert_clean(["summary", "--device", "none", "--config", str(folder / name)]) == 2


# --- --set and every subcommand -------------------------------------------------------------------------------


def _command(kind: str, folder: Path) -> list[str]:
    return {
        "summary": ["summary", "--device", "none"],
        "sizes": ["sizes", "--count", "3"],
        "export": [
            "export",
            "-o",
            str(folder / "out.dot"),
            "-o",
            str(folder / "out.json"),
            "-o",
            str(folder / "t.csv"),
        ],
        "compare": ["compare", "small", "milesial"],
        "vary": ["compare", "--preset", "small"],
    }[kind]


ASSIGNMENTS = st.one_of(
    st.tuples(st.sampled_from(FIELD_NAMES), VALUES).map(lambda kv: f"{kv[0]}={json_text(kv[1])}"),
    st.tuples(st.sampled_from(FIELD_NAMES), st.text(max_size=12)).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.text(max_size=20),
)


@FUZZ
@given(kind=st.sampled_from(["summary", "sizes", "export", "compare"]), preset=st.sampled_from(preset_names()),
       assignments=st.lists(ASSIGNMENTS, max_size=3))  # fmt: skip
def test_set_on_every_subcommand(folder: Path, kind: str, preset: str, assignments: list[str]) -> None:
    argv = _command(kind, folder) + (["--preset", preset] if kind != "compare" else [])
    assert_clean(argv + [arg for a in assignments for arg in ("--set", a)])


@FUZZ
@given(field=st.sampled_from(FIELD_NAMES), values=st.lists(VALUES, min_size=1, max_size=3),
       extra=st.lists(ASSIGNMENTS, max_size=1))  # fmt: skip
def test_vary(folder: Path, field: str, values: list[Any], extra: list[str]) -> None:
    vary = f"{field}=" + ",".join(json_text(v) for v in values)
    assert_clean(_command("vary", folder) + ["--vary", vary] + [arg for a in extra for arg in ("--set", a)])


OPTIONS = ["--preset", "--config", "--set", "--device", "--format", "-o", "--near", "--count", "--view", "--engine",
           "--dpi", "--vary", "--set-a", "--set-b", "--as", "--help-not", "-"]  # fmt: skip
TOKENS = st.one_of(st.sampled_from(OPTIONS), st.sampled_from([*preset_names(), *WORDS, "none", "json", "-"]),
                   st.integers(-5, 10**6).map(str), st.text(max_size=8))  # fmt: skip


@FUZZ
@given(command=st.sampled_from(["summary", "sizes", "export", "compare", "presets"]),
       tokens=st.lists(TOKENS, max_size=6))  # fmt: skip
def test_any_arguments(folder: Path, command: str, tokens: list[str]) -> None:
    if command == "summary":
        tokens = [*tokens, "--device", "none"]  # no torch in the fuzz loop: traces have their own tests
    if command == "export":  # no renderer in the fuzz loop: drawings have their own tests
        tokens = [t.rsplit(".", 1)[0] + ".dot" if t.lower().endswith((".svg", ".png", ".pdf")) else t for t in tokens]
        tokens = ["dot" if t.lower() in ("svg", "png", "pdf") else t for t in tokens]
    with _inside(folder):  # relative -o names land in the fuzz folder
        assert_clean([command, *tokens])


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


OUTPUTS = st.one_of(
    st.sampled_from(["", "-", "fifo.json", "dir.json", "missing/out.md", "x" * 260 + ".md", "a\x00b.md", ".", "..",
                     "n" * 243 + ".md", "out.png.dot", "OUT.CSV", "no_suffix"]),
    st.text(min_size=1, max_size=12).map(lambda t: t.replace("/", "_") + ".md"),
)  # fmt: skip


@FUZZ
@given(output=OUTPUTS, command=st.sampled_from(["summary", "compare", "export"]))
def test_bad_output_paths(folder: Path, output: str, command: str) -> None:
    target = output if output in ("", "-") else str(folder / output)
    if output == "fifo.json":  # a reader is there, so opening the FIFO to write does not wait
        reader = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
    argv = {
        "summary": ["summary", "--preset", "small", "--device", "none", "--format", "csv", "-o", target],
        "compare": ["compare", "small", "milesial", "-o", target],
        "export": ["export", "--preset", "small", "--format", "csv", "-o", target],
    }[command]
    sync = os.fsync
    os.fsync = lambda fd: None  # what is fuzzed here is the path; durability has its own tests
    try:
        assert_clean(argv)
    finally:
        os.fsync = sync
        if output == "fifo.json":
            while os.read(reader, 1 << 16):
                pass
            os.close(reader)
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".unetviz-") and p.name.endswith(".tmp")]
    assert leftovers == []
