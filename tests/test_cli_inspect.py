"""`unetviz inspect TARGET` and `--inspect` for summary, export and compare, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_run import one_line_error, run

MODELS = Path(__file__).parent / "models"
PYTORCH_UNET = f"{MODELS / 'pytorch_unet.py'}:UNet"
CROP = f"{MODELS / 'small_models.py'}:CropUNet"


def test_inspect_prints_the_table_and_the_u(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "inspect", PYTORCH_UNET, "--input-size", "1,3,572,572")
    assert code == 0, err
    assert "up1.pad" in out and "70 + 0 + 1 = 71" in out
    assert "U                 5 levels (1, 1/2, 1/4, 1/8, 1/16), 4 skips" in out
    assert "matches config    milesial" in out


def test_inspect_json_is_the_inspection(capsys: pytest.CaptureFixture[str]) -> None:
    kwargs = json.dumps({"n_channels": 1, "n_classes": 3, "bilinear": True})
    code, out, err = run(capsys, "inspect", PYTORCH_UNET, "--input-size", "2,1,256,256", "--kwargs", kwargs,
                         "--format", "json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["output_shape"] == [2, 3, 256, 256]
    assert data["inspected"]["matches_config"] == "milesial-bilinear"
    assert data["config"]["in_channels"] == 1 and data["config"]["num_classes"] == 3
    assert sum(layer["params"] for layer in data["layers"]) == data["total_params"]


def test_inspect_writes_diagrams_and_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg, csv, dot = tmp_path / "u.svg", tmp_path / "layers.csv", tmp_path / "u.dot"
    code, _out, err = run(capsys, "inspect", CROP, "--input-size", "1,1,64,64", "-o", str(svg), "-o", str(csv),
                          "-o", str(dot))  # fmt: skip
    assert code == 0, err
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg")) and "copy and crop" in svg.read_text()
    assert csv.read_text().splitlines()[0].startswith("layer,type")
    assert 'label=" copy and crop −4 "' in dot.read_text()


def test_summary_export_and_compare_take_inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "summary", "--inspect", CROP, "--input-size", "1,1,64,64", "--format", "csv")
    assert code == 0, err
    assert out.startswith("layer,type")
    target = tmp_path / "crop.png"
    code, _out, err = run(capsys, "export", "--inspect", CROP, "--input-size", "1,1,64,64", "-o", str(target))
    assert code == 0, err
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # compare: the model at the config's own input size when --input-size is not given
    code, out, err = run(capsys, "compare", "--inspect", PYTORCH_UNET, "milesial")
    assert code == 0, err
    assert "UNet is an inspected model" in out and "it is exactly milesial" in out
    assert "equal parameters" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["inspect", "nowhere.py:UNet", "--input-size", "1,1,8,8"], "nowhere.py does not exist"),
        (["inspect", f"{MODELS / 'small_models.py'}:Nope", "--input-size", "1,1,8,8"], "it has no 'Nope'"),
        (["inspect", f"{MODELS / 'small_models.py'}:make_not_a_module", "--input-size", "1,1,8,8"], "'int'"),
        (["inspect", "no_colon", "--input-size", "1,1,8,8"], "package.module:factory"),
        (["inspect", CROP, "--input-size", "1,1,x"], "--input-size"),
        (["inspect", CROP, "--input-size", "1,1,8,8,8,8"], "--input-size"),
        (["inspect", CROP], "required with a model"),
        (["inspect", CROP, "--input-size", "1,1,8,8", "--kwargs", "[1]"], "--kwargs"),
        (["inspect", CROP, "--input-size", "1,1,8,8", "--kwargs", "{bad"], "--kwargs"),
        (["inspect", CROP, "--input-size", "1,1,64,64", "--kwargs", '{"nope": 1}'], "unexpected keyword"),
        (["summary", "--inspect", CROP, "--input-size", "1,1,64,64", "--device", "none"], "--device"),
        (["export", "--inspect", CROP, "--input-size", "1,1,64,64", "-o", "x.py"], "inspected model"),
        (["compare", "--inspect", CROP, "a", "b"], "one config beside --inspect"),
        (["inspect", "unetviz_no_such_module:UNet", "--input-size", "1,1,8,8"], "ModuleNotFoundError"),
    ],
)
def test_bad_targets_and_flags_are_one_line(args: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, *args)
    assert words in one_line_error(code, err)


def test_a_failing_forward_is_a_report_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "inspect", f"{MODELS / 'small_models.py'}:StrictUNet", "--input-size", "1,1,65,65")
    assert code == 0, err
    assert "forward fails     cat: Sizes of tensors must match" in out


def test_the_users_code_runs_only_when_named(tmp_path: Path) -> None:
    """Importing a target runs it (what the user asked); summary, export and compare of a config never import
    anything of the user's, even with a .py file beside the config."""
    marker = tmp_path / "ran"
    (tmp_path / "model.py").write_text(f"open({str(marker)!r}, 'w').close()\nimport torch\n"
                                       "def make():\n    return torch.nn.Conv2d(1, 1, 3)\n")  # fmt: skip
    config = tmp_path / "model.json"
    config.write_text('{"preset": "small"}')
    for args in (["summary", "--config", str(config), "--device", "none"], ["compare", str(config), "small"]):
        subprocess.run([sys.executable, "-m", "unetviz.cli", *args], check=True, capture_output=True, cwd=tmp_path)
        assert not marker.exists()
    done = subprocess.run([sys.executable, "-m", "unetviz.cli", "inspect", "model.py:make", "--input-size", "1,1,5,5"],
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert marker.exists() and "1 × 3×3" in done.stdout


def test_a_model_that_is_a_config_saves_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "mine.json"
    code, _out, err = run(capsys, "inspect", PYTORCH_UNET, "--input-size", "1,3,388,388", "--save-config", str(saved))
    assert code == 0, err
    from unetviz.core.config import load_config

    cfg = load_config(str(saved))
    assert cfg.name == "milesial" and cfg.input_size == (388, 388)
    code, _out, err = run(capsys, "inspect", CROP, "--input-size", "1,1,64,64", "--save-config", str(saved))
    assert "nearest preset" in one_line_error(code, err)


def test_compare_takes_the_models_channels_and_says_when_a_forward_fails(capsys: pytest.CaptureFixture[str]) -> None:
    """ronneberger2015 reads 1 channel and Pytorch-UNet 3: without --input-size the model is traced at the
    config's size with its own first layer's channels; a side whose forward fails is said, not compared as 0."""
    code, out, err = run(capsys, "compare", "--inspect", PYTORCH_UNET, "ronneberger2015")
    assert code == 0, err
    assert "it is exactly milesial" in out and "mult-adds 239.00 G vs 150.43 G" in out
    strict = f"{MODELS / 'small_models.py'}:StrictUNet"
    code, out, err = run(capsys, "compare", "--inspect", strict, "small", "--input-size", "1,1,65,65")
    assert code == 0, err
    assert "StrictUNet: the forward pass fails: cat: Sizes of tensors must match" in out
    assert "no output to compare" in out


def test_compare_of_a_config_whose_join_fails_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    strict = ["--set-b", "merge=strict", "--set-b", "input_size=[65,65]"]
    code, out, err = run(capsys, "compare", "small", "small", *strict)
    assert code == 0, err
    assert "the forward pass fails: Sizes of tensors must match" in out and "(at dec0.concat" in out
