"""nnU-Net plans in: each fixture's imported config equals the network dynamic-network-architectures builds
from the same `arch_kwargs` (built here, on the meta device), in parameters and output shape."""

from __future__ import annotations

import json
import pydoc
from pathlib import Path
from typing import Any

import pytest
import torch

from unetviz.core.analysis import analyze
from unetviz.core.errors import ConfigError
from unetviz.sources.nnunet import import_plans

dna = pytest.importorskip(
    "dynamic_network_architectures.architectures.unet",
    reason="nnU-Net's dynamic-network-architectures is the oracle (in the test extra; `make test` installs it)",
)

FIXTURES = Path(__file__).parent / "fixtures" / "nnunet"


def _load(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    path = FIXTURES / name
    return json.loads(path.read_text()), json.loads((path.parent / "dataset.json").read_text())


def _theirs(plans: dict[str, Any], configuration: str, dataset: dict[str, Any]) -> torch.nn.Module:
    """nnU-Net's network for the configuration, built as get_network_from_plans builds it."""
    conf = dict(plans["configurations"][configuration])
    while "inherits_from" in conf:
        parent = plans["configurations"][conf.pop("inherits_from")]
        conf = {**parent, **conf}
    if "architecture" in conf:
        kwargs = dict(conf["architecture"]["arch_kwargs"])
        cls = pydoc.locate(conf["architecture"]["network_class_name"])
        for key in conf["architecture"]["_kw_requires_import"]:
            if kwargs.get(key) is not None:
                kwargs[key] = pydoc.locate(kwargs[key])
    else:  # the older schema, with the fixed choices nnU-Net made then
        n = len(conf["conv_kernel_sizes"])
        dims = len(conf["patch_size"])
        cls = dna.PlainConvUNet
        kwargs = {
            "n_stages": n,
            "features_per_stage": [
                min(conf["UNet_base_num_features"] * 2**i, conf["unet_max_num_features"]) for i in range(n)
            ],
            "conv_op": getattr(torch.nn, f"Conv{dims}d"),
            "kernel_sizes": conf["conv_kernel_sizes"],
            "strides": conf["pool_op_kernel_sizes"],
            "n_conv_per_stage": conf["n_conv_per_stage_encoder"],
            "n_conv_per_stage_decoder": conf["n_conv_per_stage_decoder"],
            "conv_bias": True,
            "norm_op": getattr(torch.nn, f"InstanceNorm{dims}d"),
            "norm_op_kwargs": {"eps": 1e-5, "affine": True},
            "nonlin": torch.nn.LeakyReLU,
            "nonlin_kwargs": {"inplace": True},
        }
    with torch.device("meta"):
        return cls(input_channels=len(dataset["channel_names"]), num_classes=len(dataset["labels"]),  # type: ignore[operator]
                   deep_supervision=True, **kwargs)  # fmt: skip


@pytest.mark.parametrize(
    ("fixture", "configuration"),
    [
        ("Dataset042_Heart/nnUNetPlans.json", "2d"),
        ("Dataset042_Heart/nnUNetPlans.json", "3d_fullres"),  # anisotropic kernels and strides
        ("Dataset042_Heart/nnUNetPlans.json", "3d_lowres"),  # inherits_from, its own patch size
        ("Dataset042_Heart/nnUNetPlans.json", "3d_cascade_fullres"),
        ("Dataset042_Heart/nnUNetResEncUNetMPlans.json", "3d_fullres"),
        ("Dataset042_Heart/nnUNetResEncUNetMPlans.json", "2d"),
        ("Dataset042_Heart/nnUNetResEncUNetLPlans.json", "3d_fullres"),
        ("old_schema/nnUNetPlans.json", "3d_fullres"),
    ],
)
def test_imported_plans_equal_dynamic_network_architectures(fixture: str, configuration: str) -> None:
    plans, dataset = _load(fixture)
    imported = import_plans(plans, configuration, dataset)
    analysis = analyze(imported.config, device="meta")
    assert analysis.trace is not None and analysis.trace.agreed
    theirs = _theirs(plans, configuration, dataset)
    assert analysis.shapes.total_params == sum(p.numel() for p in theirs.parameters())
    with torch.no_grad():
        out = theirs.eval()(torch.zeros(analysis.shapes.input_shape, device="meta"))
    assert tuple(out[0].shape) == analysis.shapes.output_shape
    # a real plan's patch size is always valid: nothing rounds, nothing fails
    assert not [w for w in analysis.warnings if w.kind in ("odd-pool", "concat-fails", "shrink")]
    assert all(any(i == g.near for i, _ in g.sizes) for g in analysis.valid_input_sizes())


def test_default_configuration_keys_and_assumptions() -> None:
    plans, dataset = _load("Dataset042_Heart/nnUNetPlans.json")
    imported = import_plans(plans, None, dataset)
    assert imported.config.name == "Dataset042_Heart 3d_fullres" and imported.assumed == ()
    assert "configurations.3d_fullres.architecture.arch_kwargs.kernel_sizes" in imported.keys
    assert imported.config.deep_supervision is True and imported.config.input_size == (80, 192, 160)
    bare = import_plans(plans, "2d", None)
    assert (bare.config.in_channels, bare.config.num_classes) == (1, 2)
    assert any("no dataset.json" in a for a in bare.assumed)
    old_plans, old_dataset = _load("old_schema/nnUNetPlans.json")
    old = import_plans(old_plans, dataset=old_dataset)
    assert any("older plans schema" in a for a in old.assumed)


def test_unknown_configuration_lists_the_available_ones() -> None:
    plans, dataset = _load("Dataset042_Heart/nnUNetPlans.json")
    with pytest.raises(ConfigError) as info:
        import_plans(plans, "3d_highres", dataset)
    assert info.value.field == "--configuration"
    assert "2d, 3d_fullres, 3d_lowres, 3d_cascade_fullres" in str(info.value)


def test_subclassed_network_is_read_from_its_arguments() -> None:
    plans, dataset = _load("Dataset042_Heart/nnUNetPlans.json")
    plans["configurations"]["3d_fullres"]["architecture"]["network_class_name"] = "mylab.nets.MyFancyUNet"
    imported = import_plans(plans, "3d_fullres", dataset)
    assert any("MyFancyUNet is neither PlainConvUNet nor ResidualEncoderUNet" in a for a in imported.assumed)
    original = import_plans(*_load("Dataset042_Heart/nnUNetPlans.json")[:1], "3d_fullres", dataset)
    assert analyze(imported.config).shapes.total_params == analyze(original.config).shapes.total_params


def test_inherits_from_loop_is_an_error() -> None:
    plans, dataset = _load("Dataset042_Heart/nnUNetPlans.json")
    plans["configurations"]["3d_fullres"]["inherits_from"] = "3d_cascade_fullres"
    with pytest.raises(ConfigError, match="without a loop"):
        import_plans(plans, "3d_cascade_fullres", dataset)


@pytest.mark.parametrize(
    ("fixture", "configuration"),
    [
        ("Dataset042_Heart/nnUNetPlans.json", "2d"),
        ("Dataset042_Heart/nnUNetPlans.json", "3d_fullres"),
        ("Dataset042_Heart/nnUNetResEncUNetMPlans.json", "3d_fullres"),
        ("old_schema/nnUNetPlans.json", "3d_fullres"),
    ],
)
def test_round_trip_import_export_import(fixture: str, configuration: str) -> None:
    from unetviz.sources.nnunet import export_plans

    plans, dataset = _load(fixture)
    first = import_plans(plans, configuration, dataset).config
    written = export_plans(first, "mine", into=plans)
    assert set(written["configurations"]) == {*plans["configurations"], "mine"}
    assert {k: v for k, v in written.items() if k != "configurations"} == {
        k: v for k, v in plans.items() if k != "configurations"
    }  # everything else left as it was
    again = import_plans(json.loads(json.dumps(written)), "mine", dataset).config
    assert again.replace(name=first.name) == first
    theirs = _theirs(written, "mine", dataset)  # the exported configuration builds in nnU-Net's library
    assert sum(p.numel() for p in theirs.parameters()) == analyze(first).shapes.total_params


@pytest.mark.parametrize(
    ("preset", "changes", "field"),
    [
        ("ronneberger2015", {}, "merge"),
        ("milesial", {}, "merge"),
        ("nnunet-3d-fullres", {"upsampling": "bilinear"}, "upsampling"),
        ("nnunet-3d-fullres", {"padding": "valid"}, "padding"),
        ("nnunet-3d-fullres", {"deep_supervision": False}, "deep_supervision"),
        ("monai-dynunet-3d", {}, "shared_activation"),
    ],
)
def test_configs_nnunet_cannot_express_are_refused(preset: str, changes: dict[str, Any], field: str) -> None:
    from unetviz.core.config import load_config
    from unetviz.sources.nnunet import plans_configuration

    with pytest.raises(ConfigError) as info:
        plans_configuration(load_config(preset).replace(**changes))
    assert info.value.field == field and "cannot be an nnU-Net plan" in str(info.value)
