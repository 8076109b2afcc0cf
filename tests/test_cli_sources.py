"""The CLI with foreign files: `import`, `--config PLANS.json`, compare of plans, sizes with memory, and the
way back out (`-o model.py`, `-o …Plans.json --into`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli_run import run
from unetviz.core.analysis import analyze
from unetviz.core.config import load_config
from unetviz.sources.open import open_config

HEART = Path(__file__).parent / "fixtures" / "nnunet" / "Dataset042_Heart"
MONAI = Path(__file__).parent / "fixtures" / "monai"


def test_import_writes_a_config_that_loads_to_the_same_network(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:  # fmt: skip
    code, out, err = run(capsys, "import", str(HEART / "nnUNetPlans.json"), "--configuration", "2d")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["description"] == "imported from nnU-Net plans Dataset042_Heart, configuration 2d"
    (tmp_path / "mine.json").write_text(out)
    mine = load_config(tmp_path / "mine.json")
    assert mine == open_config(HEART / "nnUNetPlans.json", "2d").config.replace(name=mine.name)


def test_every_command_takes_a_plans_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plans = str(HEART / "nnUNetPlans.json")
    code, out, _ = run(capsys, "summary", "--config", plans, "--device", "none")
    assert code == 0 and "imported          nnU-Net plans Dataset042_Heart, configuration 3d_fullres" in out
    code, out, _ = run(
        capsys, "export", "--config", plans, "--configuration", "3d_lowres", "-o", str(tmp_path / "n.dot")
    )
    assert code == 0 and (tmp_path / "n.dot").read_text().startswith("// unetviz")
    code, out, _ = run(capsys, "compare", plans, str(HEART / "nnUNetResEncUNetMPlans.json"))
    assert code == 0 and "block plain → residual" in out
    code, out, _ = run(capsys, "compare", plans, plans, "--configuration-a", "3d_lowres", "--configuration-b",
                       "3d_fullres")  # fmt: skip
    assert code == 0 and "input_size 64×160×128 → 80×192×160" in out
    code, out, _ = run(capsys, "sizes", "--config", plans, "--count", "3")
    assert code == 0 and "near 80 on D:" in out and "activations" in out
    assert "   80      80     15.73 GB   ← requested" in out


def test_a_bundle_and_refusals_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "summary", "--config", str(MONAI / "basicunet_inference.json"), "--device", "none")
    assert code == 0 and "MONAI bundle network_def (BasicUNet)" in out
    pickle = tmp_path / "nnUNetPlans.pkl"
    pickle.write_bytes(b"\x80\x04not really")
    for args in (["import", str(pickle)], ["summary", "--config", str(MONAI / "unet_inference.json")],
                 ["summary", "--preset", "small", "--configuration", "2d"]):  # fmt: skip
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "" and err.count("\n") == 1, args
    assert "never opened" in run(capsys, "import", str(pickle))[2]


def test_model_py_and_plans_back_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "Dataset042_Heart"
    shutil.copytree(HEART, folder)
    plans = folder / "nnUNetPlans.json"
    before = json.loads(plans.read_text())
    edited = tmp_path / "edited.json"
    code, _, _ = run(capsys, "import", str(plans), "--set", "convs_per_block=3", "-o", str(edited))
    assert code == 0
    out = folder / "nnUNetPlans.json"
    code, _, err = run(capsys, "export", "--config", str(edited), "-o", str(out), "--into", str(plans),
                       "--configuration", "3d_mine", "-o", str(tmp_path / "net.py"))  # fmt: skip
    assert code == 0, err
    after = json.loads(out.read_text())
    assert set(after["configurations"]) == {*before["configurations"], "3d_mine"}
    assert after["configurations"]["3d_fullres"] == before["configurations"]["3d_fullres"]
    mine = open_config(out, "3d_mine").config
    assert analyze(mine).shapes.total_params == analyze(load_config(edited)).shapes.total_params
    assert "class UNet(nn.Module):" in (tmp_path / "net.py").read_text()
    code, _, err = run(capsys, "export", "--preset", "ronneberger2015", "-o", str(tmp_path / "p_plans.json"))
    assert code == 2 and "merge" in err and "cannot be an nnU-Net plan" in err
    assert not (tmp_path / "p_plans.json").exists()
