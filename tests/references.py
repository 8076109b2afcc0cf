"""Translators from the reference libraries' own arguments to a UNetConfig, for the tests that build both.

Each function takes the keyword arguments the library's class takes (as a test passes them to it) and
returns the config unetviz should draw for it; the tests then build the library's model and ours and
compare parameters and every stage's feature-map size. Nothing here is a hand-copied number.
"""

from __future__ import annotations

from typing import Any

from unetviz.core.config import UNetConfig


def _nonlin(kwargs: dict[str, Any]) -> dict[str, Any]:
    name = kwargs["nonlin"].__name__
    if name == "LeakyReLU":
        slope = (kwargs.get("nonlin_kwargs") or {}).get("negative_slope", 0.01)
        return {"activation": "leaky_relu", "negative_slope": slope}
    return {"activation": {"ReLU": "relu", "PReLU": "prelu", "GELU": "gelu", "ELU": "elu"}[name]}


def _norm(kwargs: dict[str, Any]) -> dict[str, Any]:
    op = kwargs.get("norm_op")
    if op is None:
        return {"norm": "none"}
    affine = (kwargs.get("norm_op_kwargs") or {}).get("affine", op.__name__.startswith("Batch"))
    return {"norm": "instance" if op.__name__.startswith("Instance") else "batch", "norm_affine": affine}


def from_dynamic_network_architectures(kwargs: dict[str, Any], input_size: tuple[int, ...]) -> UNetConfig:
    """nnU-Net's PlainConvUNet / ResidualEncoderUNet arguments (`n_blocks_per_stage` means residual)."""
    n_stages = kwargs["n_stages"]
    dims = 3 if kwargs["conv_op"].__name__.endswith("3d") else 2
    strides = [list(s) if isinstance(s, list | tuple) else [s] * dims for s in kwargs["strides"]]
    assert strides[0] == [1] * dims, "stage 0 of these plans does not down-sample"
    residual = "n_blocks_per_stage" in kwargs
    per_stage = kwargs["n_blocks_per_stage" if residual else "n_conv_per_stage"]
    decoder = kwargs["n_conv_per_stage_decoder"]
    fields: dict[str, Any] = {
        "dims": dims,
        "in_channels": kwargs["input_channels"],
        "num_classes": kwargs["num_classes"],
        "depth": n_stages - 1,
        "widths": list(kwargs["features_per_stage"]),
        "kernel_size": [list(k) if isinstance(k, list | tuple) else k for k in kwargs["kernel_sizes"]],
        "strides": strides[1:],
        "convs_per_block": list(per_stage) if isinstance(per_stage, list | tuple) else per_stage,
        # nnU-Net lists the decoder deepest first; unetviz indexes it by level
        "decoder_convs_per_block": list(reversed(decoder)) if isinstance(decoder, list | tuple) else decoder,
        "padding": "same",
        "pooling": "conv",
        "upsampling": "transpose",
        "merge": "strict",
        "conv_bias": bool(kwargs.get("conv_bias", False)),
        "deep_supervision": True,  # nnU-Net builds every decoder stage's 1×1 head, whatever the flag
        "input_size": list(input_size),
        **_norm(kwargs),
        **_nonlin(kwargs),
    }
    if residual:
        fields |= {"block": "residual", "shortcut": "pool_conv",
                   "stem_channels": kwargs.get("stem_channels") or kwargs["features_per_stage"][0]}  # fmt: skip
    return UNetConfig(**fields)


def _monai_norm(norm: Any) -> dict[str, Any]:
    name, args = (norm, {}) if isinstance(norm, str) else norm
    name = name.lower()
    if name == "instance":
        return {"norm": "instance", "norm_affine": bool(args.get("affine", False))}
    if name == "batch":
        return {"norm": "batch", "norm_affine": bool(args.get("affine", True))}
    if name == "group":
        return {"norm": "group", "norm_groups": args["num_groups"], "norm_affine": bool(args.get("affine", True))}
    raise ValueError(name)


def _monai_act(act: Any) -> dict[str, Any]:
    name, args = (act, {}) if isinstance(act, str) else act
    name = name.lower()
    if name == "leakyrelu":
        return {"activation": "leaky_relu", "negative_slope": args.get("negative_slope", 0.01)}
    return {"activation": {"relu": "relu", "prelu": "prelu", "gelu": "gelu", "elu": "elu"}[name]}


def from_monai_basicunet(kwargs: dict[str, Any], input_size: tuple[int, ...]) -> UNetConfig:
    """MONAI BasicUNet(spatial_dims, in_channels, out_channels, features, act, norm, bias) with deconv up-sampling."""
    f = list(kwargs.get("features", (32, 32, 64, 128, 256, 32)))
    return UNetConfig(
        dims=kwargs.get("spatial_dims", 3),
        in_channels=kwargs.get("in_channels", 1),
        num_classes=kwargs.get("out_channels", 2),
        depth=4,
        widths=tuple(f[:5]),
        # UpCat halves the channels it up-samples, but for the top level (halves=False)
        up_widths=[f[1], f[2] // 2, f[3] // 2, f[4] // 2],
        decoder_widths=[f[5], f[1], f[2], f[3]],
        kernel_size=3,
        padding="same",
        pooling="max",
        upsampling="transpose",
        merge="pad",  # UpCat pads the up-sampled map by the one voxel a floor-pool loses
        conv_bias=bool(kwargs.get("bias", True)),
        input_size=tuple(input_size),
        **_monai_norm(kwargs.get("norm", ("instance", {"affine": True}))),
        **_monai_act(kwargs.get("act", ("LeakyReLU", {"negative_slope": 0.1, "inplace": True}))),
    )


def from_monai_dynunet(kwargs: dict[str, Any], input_size: tuple[int, ...]) -> UNetConfig:
    """MONAI DynUNet(spatial_dims, in_channels, out_channels, kernel_size, strides, upsample_kernel_size, …)."""
    dims = kwargs["spatial_dims"]
    strides = [list(s) if isinstance(s, list | tuple) else [s] * dims for s in kwargs["strides"]]
    assert strides[0] == [1] * dims, "stage 0 does not down-sample in these tests"
    kernels = [list(k) if isinstance(k, list | tuple) else k for k in kwargs["kernel_size"]]
    n = len(strides)
    filters = kwargs.get("filters") or [min(2 ** (5 + i), 320 if dims == 3 else 512) for i in range(n)]
    heads = kwargs.get("deep_supr_num", 1) if kwargs.get("deep_supervision", False) else 0
    res = kwargs.get("res_block", False)
    assert not kwargs.get("trans_bias", False), "a bias on the transposed convs alone is not a unetviz field"
    return UNetConfig(
        dims=dims,
        in_channels=kwargs["in_channels"],
        num_classes=kwargs["out_channels"],
        depth=n - 1,
        widths=tuple(filters),
        kernel_size=kernels,
        strides=strides[1:],
        up_kernel_size=[list(k) if isinstance(k, list | tuple) else k for k in kwargs["upsample_kernel_size"]],
        decoder_kernel_size=kernels[1:],  # DynUNet's up block uses the stage below's kernel
        padding="same",
        pooling="conv",
        upsampling="transpose",
        merge="strict",
        block="residual" if res else "plain",
        convs_per_block=1 if res else 2,  # one UnetResBlock (two convs) or one UnetBasicBlock (two convs) a stage
        decoder_convs_per_block=2,
        shortcut="strided_conv",
        decoder_block="plain",  # DynUNet's up blocks are plain even with res_block=True
        conv_bias=False,  # its convs have none, nor its transposed convs unless trans_bias (not expressed)
        shared_activation=True,  # one activation module per block
        deep_supervision=heads,
        input_size=tuple(input_size),
        **_monai_norm(kwargs.get("norm_name", ("INSTANCE", {"affine": True}))),
        **_monai_act(kwargs.get("act_name", ("leakyrelu", {"inplace": True, "negative_slope": 0.01}))),
    )
