"""Issue 9, items 8–10: every bad input ends in one clear line (exit 2), never "internal error"; messages name
what the user gave; compare treats --set and --vary as summary does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_run import one_line_error, run
from unetviz.cli import main
from unetviz.core.config import UNetConfig, apply_assignments, load_config
from unetviz.core.errors import ConfigError

HUGE = "9" * 5000  # more digits than Python will turn into an int from text (4,300)


def config_file(tmp_path: Path, text: str | bytes, name: str = "c.json") -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


@pytest.mark.parametrize(
    "args",
    [
        ["summary", "--device", "none", "--set", f"depth={HUGE}"],
        ["summary", "--device", "none", "--set", f"input_size=[{HUGE},4]"],
        ["sizes", "--set", f"depth=-{HUGE}"],
        ["compare", "--preset", "small", "--vary", f"depth=2,{HUGE}"],
        ["compare", "small", "milesial", "--set-b", f"base_width={HUGE}"],
        ["export", "--preset", "small", "-o", "x.dot", "--set", f"negative_slope={HUGE}"],
    ],
)
def test_integers_too_long_to_print(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_error(*run(capsys, *args)[::2])
    assert "5000 digits" in line or "5001 digits" in line


def test_integer_too_long_in_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(tmp_path, f'{{"depth": {HUGE}}}')
    line = one_line_error(*run(capsys, "summary", "--device", "none", "--config", path)[::2])
    assert line.startswith("unetviz summary: depth: <an integer of 5000 digits> is not allowed")


def test_integer_too_long_in_the_api() -> None:
    with pytest.raises(ConfigError, match=r"^depth: <an integer of 5001 digits> is not allowed; expected an integer"):
        UNetConfig(depth=10**5000)
    with pytest.raises(ConfigError, match=r"^widths"):
        UNetConfig(depth=1, widths=(2, 10**5000))


@pytest.mark.parametrize("nesting", ["[" * 5000, "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000])
def test_deeply_nested_json(nesting: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(tmp_path, nesting)
    one_line_error(*run(capsys, "summary", "--device", "none", "--config", path)[::2])
    one_line_error(*run(capsys, "summary", "--device", "none", "--set", f"widths={nesting}")[::2])
    one_line_error(*run(capsys, "compare", "--preset", "small", "--vary", f"widths={nesting},1")[::2])


def test_nested_lists_in_the_api_are_refused_by_field() -> None:
    nested: list[object] = [1]
    for _ in range(900):  # under the recursion limit on its own, over it with the config's own calls on top
        nested = [nested]
    with pytest.raises(ConfigError, match=r"^kernel_size"):
        UNetConfig(kernel_size=nested)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["bad\x1b[31mred", "two\nlines", "tab\there", "bell\x07", "nul\x00", "lone\udcff"])
def test_control_characters_and_surrogates_in_name_are_refused(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError, match=r"^name: .* printable characters"):
        UNetConfig(name=name)
    line = one_line_error(*run(capsys, "summary", "--device", "none", "--set", f"name={name}")[::2])
    assert line.startswith("unetviz summary: name:") and line.isprintable()
    path = config_file(tmp_path, json.dumps({"name": name}))
    line = one_line_error(*run(capsys, "summary", "--device", "none", "--config", path)[::2])
    assert line.startswith("unetviz summary: name:") and line.isprintable()


def test_invalid_utf8_in_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(tmp_path, b'{"name": "caf\xe9"}')
    line = one_line_error(*run(capsys, "summary", "--device", "none", "--config", path)[::2])
    assert "UTF-8" in line and path in line


def test_unicode_names_are_still_fine() -> None:
    assert UNetConfig(name="Çiçek 3D – U-Net ✓").name == "Çiçek 3D – U-Net ✓"


def test_file_name_that_is_no_config_name_still_loads(tmp_path: Path) -> None:
    long = config_file(tmp_path, '{"depth": 2}', name="x" * 200 + ".json")
    assert load_config(long).name == "x" * 80
    odd = config_file(tmp_path, '{"depth": 2}', name="tab\there.json")
    assert load_config(odd).name == "tab\\there"


def test_unknown_field_with_escapes_prints_plain(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_error(*run(capsys, "summary", "--set", "\x1b]0;pwned\x07=1")[::2])
    assert "not a config field" in line and line.isprintable()


def test_argparse_errors_are_one_printable_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["sizes", "--count", "\x1b[2J" + HUGE])
    err = capsys.readouterr().err
    assert done.value.code == 2 and len(err.strip().splitlines()) == 1 and err.strip().isprintable()
    assert len(err) < 500


# --- 10: compare ---------------------------------------------------------------------------------------------


def _compared(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    code, out, err = run(capsys, "compare", *args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def test_compare_set_applies_to_both_sides(capsys: pytest.CaptureFixture[str]) -> None:
    data = _compared(capsys, "small", "milesial", "--set", "depth=2", "--set-b", "base_width=8")
    configs = data["configs"]
    assert isinstance(configs, list)
    assert [c["depth"] for c in configs] == [2, 2]
    assert [c["base_width"] for c in configs] == [16, 8]


def test_compare_vary_dims_follows_like_set(capsys: pytest.CaptureFixture[str]) -> None:
    data = _compared(capsys, "--preset", "small", "--vary", "dims=2,3")
    configs = data["configs"]
    assert isinstance(configs, list)
    assert [c["input_size"] for c in configs] == [[128, 128], [128, 128, 128]]


def test_compare_vary_depth_with_explicit_widths(capsys: pytest.CaptureFixture[str]) -> None:
    data = _compared(capsys, "--preset", "small", "--set", "widths=[8,16,32]", "--set", "depth=2",
                     "--vary", "depth=2,3")  # fmt: skip
    configs = data["configs"]
    assert isinstance(configs, list)
    base = apply_assignments(load_config("small"), ["widths=[8,16,32]", "depth=2"])
    assert configs == [apply_assignments(base, [f"depth={d}"]).to_dict() for d in (2, 3)]  # what --set gives
    assert [c["depth"] for c in configs] == [2, 3]
