"""`export -o model.py`: the generated file, run in a fresh process with only torch, builds the same network
as build_model(cfg): every layer's name and output shape, and the parameter count (shared PReLUs tied)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from unetviz.core.analysis import analyze
from unetviz.core.config import UNetConfig, load_config, preset_names
from unetviz.core.errors import ConfigError
from unetviz.network.codegen import model_code

from .test_trace import stage_configs

# Runs each generated file in one fresh interpreter that imports nothing of unetviz, and reports every leaf
# module's output shape (forward hooks on the meta device) and the parameter count.
PROBE = """
import json, runpy, sys, torch
out = {}
for path in sys.argv[1:]:
    module = runpy.run_path(path)
    assert not [m for m in sys.modules if m.startswith("unetviz")], "the generated code imported unetviz"
    with torch.device("meta"):
        model = module["build_model"]()
    shapes = {}
    for name, leaf in model.named_modules():
        if name and not list(leaf.children()):
            leaf.register_forward_hook(lambda _m, _i, o, name=name: shapes.__setitem__(name, list(o.shape)))
    with torch.no_grad():
        model.eval()(torch.zeros(module["INPUT_SHAPE"], device="meta"))
    out[path] = {"params": sum(p.numel() for p in model.parameters()), "shapes": shapes}
print(json.dumps(out))
"""


def _check(configs: list[UNetConfig], folder: Path) -> None:
    paths: list[str] = []
    for index, cfg in enumerate(configs):
        file = folder / f"model_{index}.py"
        file.write_text(model_code(cfg, file.name), encoding="utf-8")
        paths.append(str(file))
    done = subprocess.run([sys.executable, "-I", "-c", PROBE, *paths], capture_output=True, text=True, cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    for cfg, path in zip(configs, paths, strict=True):
        shapes = analyze(cfg).shapes
        assert results[path]["params"] == shapes.total_params, cfg.name
        assert results[path]["shapes"] == {layer.name: list(layer.out_shape) for layer in shapes.layers}, cfg.name


def test_every_preset_round_trips_through_generated_code(tmp_path: Path) -> None:
    _check([load_config(name) for name in preset_names()], tmp_path)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(configs=st.lists(stage_configs(), min_size=8, max_size=8))
def test_generated_code_for_a_sweep_of_configs(tmp_path: Path, configs: list[UNetConfig]) -> None:
    # eight configs a process: one interpreter start (torch's import) serves them all
    runnable = []
    for cfg in configs:
        try:
            if analyze(cfg).shapes.failure is None:
                runnable.append(cfg)
        except ConfigError:
            continue
    assume(runnable)
    _check(runnable, tmp_path)


def test_generated_code_is_readable() -> None:
    code = model_code(load_config("nnunet-3d-fullres"))
    assert "import unetviz" not in code and "from unetviz" not in code
    assert "('conv1', nn.Conv3d(1, 32, kernel_size=(1, 3, 3), stride=1, padding=(0, 1, 1), bias=True))," in code
    assert "self.ds1 = nn.Sequential(" in code and "PARAMETERS = 31113903" in code
