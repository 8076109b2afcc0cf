"""MONAI bundles in: the imported config equals the network MONAI itself builds from the same file (its own
ConfigParser resolves the references and instantiates `network_def`, on the meta device)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from unetviz.core.analysis import analyze
from unetviz.core.errors import ConfigError
from unetviz.sources.monai import import_bundle

bundle = pytest.importorskip("monai.bundle", reason="MONAI is the oracle (in the test extra; `make test` installs it)")

FIXTURES = Path(__file__).parent / "fixtures" / "monai"


@pytest.mark.parametrize("fixture", ["dynunet_inference.json", "basicunet_inference.json"])
def test_imported_bundle_equals_monai(fixture: str) -> None:
    data = json.loads((FIXTURES / fixture).read_text())
    imported = import_bundle(data)
    parser = bundle.ConfigParser(data)
    with torch.device("meta"):
        theirs = parser.get_parsed_content("network_def")
    analysis = analyze(imported.config, device="meta")
    assert analysis.trace is not None and analysis.trace.agreed
    assert analysis.shapes.total_params == sum(p.numel() for p in theirs.parameters())
    with torch.no_grad():
        out = theirs.eval()(torch.zeros(analysis.shapes.input_shape, device="meta"))
    assert tuple(out.shape) == analysis.shapes.output_shape
    assert list(imported.config.input_size) == parser.get_parsed_content("inferer#roi_size")


def test_references_and_macros_are_named_in_keys() -> None:
    imported = import_bundle(json.loads((FIXTURES / "dynunet_inference.json").read_text()))
    assert {"@kernels", "@strides", "@upsample", "@roi"} <= set(imported.keys)
    assert imported.config.block == "residual" and imported.config.deep_supervision == 2
    assert imported.config.norm_affine is False  # MONAI's plain "instance"


def test_dollar_expression_is_named_not_evaluated() -> None:
    data = json.loads((FIXTURES / "dynunet_expression.json").read_text())
    with pytest.raises(ConfigError) as info:
        import_bundle(data)
    assert info.value.field == "network_def::upsample_kernel_size"
    assert "never evaluates" in str(info.value)


def test_monai_unet_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="skips join before the up-sampling") as info:
        import_bundle(json.loads((FIXTURES / "unet_inference.json").read_text()))
    assert info.value.field == "network_def::_target_"
