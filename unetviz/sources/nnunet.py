"""nnU-Net v2 plans (`nnUNetPlans.json`) in: one configuration of a plans file as a UNetConfig.

A translator, not a model: it reads the JSON the planner wrote (the current schema, `architecture` with
`network_class_name` and `arch_kwargs`, and the older flat one, `UNet_class_name`, `pool_op_kernel_sizes`,
`conv_kernel_sizes` …), resolves `inherits_from`, and says which keys it read and what it assumed. It never
imports nnU-Net, never builds torch modules and never executes anything from the file (v1's pickled plans
are refused). Keys on the architecture's arguments, not on the class name, since users subclass the nets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError
from unetviz.core.records import Imported

DEFAULT_CONFIGURATIONS = ("3d_fullres", "2d")
_NONLINS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "PReLU": "prelu", "GELU": "gelu", "ELU": "elu"}
PICKLE_REFUSAL = (
    "a JSON plans file (nnU-Net v2's nnUNetPlans.json): a pickled v1 plans file is never opened, since unpickling "
    "can run any code; re-plan with nnU-Net v2 (nnUNetv2_plan_and_preprocess) or convert it in a Python session "
    "you trust"
)


def is_plans(data: Any) -> bool:
    return isinstance(data, Mapping) and isinstance(data.get("configurations"), Mapping)


def configuration_names(plans: Mapping[str, Any]) -> list[str]:
    return [str(name) for name in plans["configurations"]]


def _resolve(plans: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The configuration `name` with its `inherits_from` chain applied (the child's keys win)."""
    configurations = plans["configurations"]
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current in chain:
            raise ConfigError("inherits_from", current, f"a chain without a loop ({' → '.join([*chain, current])})")
        if current not in configurations or not isinstance(configurations[current], Mapping):
            raise ConfigError("inherits_from" if chain else "--configuration", current,
                              "one of " + ", ".join(configuration_names(plans)))  # fmt: skip
        chain.append(current)
        parent = configurations[current].get("inherits_from")
        current = str(parent) if parent is not None else None
    merged: dict[str, Any] = {}
    for link in reversed(chain):
        merged.update(configurations[link])
    return merged


def _class_name(dotted: Any) -> str:
    return str(dotted).rsplit(".", 1)[-1] if dotted is not None else ""


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(field, value, "a list in the plans file")
    return value


def import_plans(
    plans: Mapping[str, Any],
    configuration: str | None = None,
    dataset: Mapping[str, Any] | None = None,
) -> Imported:
    """The configuration `configuration` (default 3d_fullres when present, else 2d) of a plans file.

    `dataset` is the dataset.json beside it: `channel_names` (or v1's `modality`) give in_channels, `labels`
    num_classes. Raises ConfigError naming the key when the plans say something unetviz cannot express.
    """
    if not is_plans(plans):
        raise ConfigError("plans", "…", "an nnU-Net v2 plans file (a JSON object with `configurations`)")
    names = configuration_names(plans)
    if configuration is None:
        configuration = next((n for n in DEFAULT_CONFIGURATIONS if n in names), names[0] if names else None)
        if configuration is None:
            raise ConfigError("configurations", [], "at least one configuration in the plans file")
    conf = _resolve(plans, configuration)
    assumed: list[str] = []
    prefix = f"configurations.{configuration}"
    if isinstance(conf.get("architecture"), Mapping):
        arch = conf["architecture"]
        kwargs = dict(arch.get("arch_kwargs") or {})
        class_name = _class_name(arch.get("network_class_name"))
        keys = [f"{prefix}.architecture.arch_kwargs.{k}" for k in sorted(kwargs)]
    else:
        kwargs, class_name = _flat_schema(conf, assumed)
        keys = [f"{prefix}.{k}" for k in ("UNet_class_name", "UNet_base_num_features", "unet_max_num_features",
                                          "n_conv_per_stage_encoder", "n_conv_per_stage_decoder",
                                          "pool_op_kernel_sizes", "conv_kernel_sizes") if k in conf]  # fmt: skip
    residual = "n_blocks_per_stage" in kwargs
    if class_name not in ("PlainConvUNet", "ResidualEncoderUNet"):
        kind = "ResidualEncoderUNet" if residual else "PlainConvUNet"
        assumed.append(f"network class {class_name or '(none)'} is neither PlainConvUNet nor ResidualEncoderUNet: "
                       f"read as a {kind} from its arguments")  # fmt: skip
    fields = _arch_fields(kwargs, assumed)
    patch = conf.get("patch_size")
    if patch is not None:
        fields["input_size"] = [int(s) for s in _list(patch, "patch_size")]
        keys.append(f"{prefix}.patch_size")
    else:
        fields["input_size"] = [128] * fields["dims"]
        assumed.append(f"no patch_size: input {'×'.join(['128'] * fields['dims'])}")
    if isinstance(conf.get("batch_size"), int) and not isinstance(conf.get("batch_size"), bool):
        fields["batch_size"] = conf["batch_size"]
        keys.append(f"{prefix}.batch_size")
    fields.update(_dataset_fields(dataset, assumed))
    dataset_name = str(plans.get("dataset_name") or "nnU-Net")
    fields["name"] = f"{dataset_name} {configuration}"[:80]
    source = f"nnU-Net plans {dataset_name}, configuration {configuration}"
    return Imported(UNetConfig(**fields), source, tuple(keys), tuple(assumed))


def _flat_schema(conf: Mapping[str, Any], assumed: list[str]) -> tuple[dict[str, Any], str]:
    """The older v2 schema's keys as `arch_kwargs`, with get_network_from_plans's fixed choices of that time."""
    try:
        kernels = _list(conf["conv_kernel_sizes"], "conv_kernel_sizes")
        strides = _list(conf["pool_op_kernel_sizes"], "pool_op_kernel_sizes")
        base = int(conf["UNet_base_num_features"])
    except KeyError as exc:
        raise ConfigError(str(exc.args[0]), None, "present in a plans configuration without `architecture`") from exc
    n_stages = len(kernels)
    top = int(conf.get("unet_max_num_features", base * 2 ** (n_stages - 1)))
    dims = len(kernels[0]) if kernels and isinstance(kernels[0], list) else len(conf.get("patch_size") or [0, 0, 0])
    assumed.append("older plans schema: conv bias, instance norm (affine) and LeakyReLU 0.01, as nnU-Net built it")
    kwargs = {
        "n_stages": n_stages,
        "features_per_stage": [min(base * 2**i, top) for i in range(n_stages)],
        "conv_op": f"torch.nn.Conv{dims}d",
        "kernel_sizes": kernels,
        "strides": strides,
        "n_conv_per_stage_decoder": conf.get("n_conv_per_stage_decoder", 2),
        "conv_bias": True,
        "norm_op": f"torch.nn.InstanceNorm{dims}d",
        "norm_op_kwargs": {"eps": 1e-5, "affine": True},
        "nonlin": "torch.nn.LeakyReLU",
        "nonlin_kwargs": {"inplace": True},
    }
    encoder = conf.get("n_conv_per_stage_encoder", 2)
    class_name = _class_name(conf.get("UNet_class_name", "PlainConvUNet"))
    kwargs["n_blocks_per_stage" if class_name == "ResidualEncoderUNet" else "n_conv_per_stage"] = encoder
    return kwargs, class_name


def _arch_fields(kw: Mapping[str, Any], assumed: list[str]) -> dict[str, Any]:
    """PlainConvUNet / ResidualEncoderUNet arguments as config fields."""
    try:
        n_stages = int(kw["n_stages"])
        conv_op = _class_name(kw["conv_op"])
    except KeyError as exc:
        raise ConfigError(f"arch_kwargs.{exc.args[0]}", None, "present in the plans' architecture") from exc
    if conv_op not in ("Conv2d", "Conv3d"):
        raise ConfigError("arch_kwargs.conv_op", kw["conv_op"], "torch.nn.Conv2d or torch.nn.Conv3d")
    dims = int(conv_op[-2])
    features = kw.get("features_per_stage")
    if isinstance(features, int):
        features = [features] * n_stages
    strides = [s if isinstance(s, list) else [s] * dims for s in _list(kw.get("strides"), "arch_kwargs.strides")]
    if len(strides) != n_stages:
        raise ConfigError("arch_kwargs.strides", strides, f"n_stages = {n_stages} entries")
    if any(s != 1 for s in strides[0]):
        raise ConfigError("arch_kwargs.strides", strides[0], "[1, …] at stage 0 (unetviz's first stage does not "
                          "down-sample; a first stride would need a strided stem)")  # fmt: skip
    residual = "n_blocks_per_stage" in kw
    per_stage = kw["n_blocks_per_stage" if residual else "n_conv_per_stage"]
    decoder = kw.get("n_conv_per_stage_decoder", 2)
    fields: dict[str, Any] = {
        "dims": dims,
        "depth": n_stages - 1,
        "widths": list(_list(features, "arch_kwargs.features_per_stage")),
        "kernel_size": list(_list(kw.get("kernel_sizes"), "arch_kwargs.kernel_sizes")),
        "strides": strides[1:],
        "convs_per_block": per_stage,
        # nnU-Net lists the decoder deepest first; unetviz indexes it by level
        "decoder_convs_per_block": list(reversed(decoder)) if isinstance(decoder, list) else decoder,
        "padding": "same",
        "pooling": "conv",
        "upsampling": "transpose",
        "merge": "strict",
        "conv_bias": bool(kw.get("conv_bias", False)),
        "deep_supervision": True,  # nnU-Net builds every decoder stage's 1×1 head, whatever the flag
    }
    if residual:
        block = _class_name(kw.get("block", "BasicBlockD"))
        if block not in ("BasicBlockD", ""):
            raise ConfigError("arch_kwargs.block", kw.get("block"), "BasicBlockD (the residual block unetviz draws)")
        fields |= {"block": "residual", "shortcut": "pool_conv",
                   "stem_channels": kw.get("stem_channels") or fields["widths"][0]}  # fmt: skip
        if kw.get("bottleneck_channels"):
            assumed.append("bottleneck_channels ignored: BasicBlockD has no bottleneck")
    fields.update(_norm(kw))
    fields.update(_nonlin(kw))
    dropout = _class_name(kw.get("dropout_op"))
    if dropout:
        fields["dropout"] = float((kw.get("dropout_op_kwargs") or {}).get("p", 0.5))
    return fields


def _norm(kw: Mapping[str, Any]) -> dict[str, Any]:
    op = _class_name(kw.get("norm_op"))
    args = kw.get("norm_op_kwargs") or {}
    if not op:
        return {"norm": "none"}
    if op.startswith("InstanceNorm"):
        return {"norm": "instance", "norm_affine": bool(args.get("affine", False))}
    if op.startswith("BatchNorm"):
        return {"norm": "batch", "norm_affine": bool(args.get("affine", True))}
    if op == "GroupNorm":
        groups = int(args.get("num_groups", 8))
        return {"norm": "group", "norm_groups": groups, "norm_affine": bool(args.get("affine", True))}
    raise ConfigError("arch_kwargs.norm_op", kw.get("norm_op"), "an instance, batch or group norm, or null")


def _nonlin(kw: Mapping[str, Any]) -> dict[str, Any]:
    op = _class_name(kw.get("nonlin"))
    if not op:
        raise ConfigError("arch_kwargs.nonlin", None, "one of torch.nn." + ", torch.nn.".join(_NONLINS))
    if op not in _NONLINS:
        raise ConfigError("arch_kwargs.nonlin", kw.get("nonlin"), "one of torch.nn." + ", torch.nn.".join(_NONLINS))
    fields: dict[str, Any] = {"activation": _NONLINS[op]}
    if op == "LeakyReLU":
        fields["negative_slope"] = float((kw.get("nonlin_kwargs") or {}).get("negative_slope", 0.01))
    return fields


def _dataset_fields(dataset: Mapping[str, Any] | None, assumed: list[str]) -> dict[str, Any]:
    if dataset is None:
        assumed.append("no dataset.json: 1 input channel and 2 classes (set in_channels and num_classes)")
        return {"in_channels": 1, "num_classes": 2}
    channels = dataset.get("channel_names") or dataset.get("modality")
    labels = dataset.get("labels")
    fields: dict[str, Any] = {}
    if isinstance(channels, Mapping) and channels:
        fields["in_channels"] = len(channels)
    else:
        fields["in_channels"] = 1
        assumed.append("dataset.json has no channel_names: 1 input channel")
    if isinstance(labels, Mapping) and labels:
        regions = "regions_class_order" in dataset
        # region-based training has one output per region (no background); else one per label
        fields["num_classes"] = len(labels) - 1 if regions else len(labels)
    else:
        fields["num_classes"] = 2
        assumed.append("dataset.json has no labels: 2 classes")
    return fields


# --- and back out ------------------------------------------------------------------------------------------


def _refuse(cfg: UNetConfig) -> None:
    """One ConfigError naming the first field nnU-Net's networks cannot express, and what they can."""
    plan = cfg.plan
    residual = cfg.block == "residual"
    rules: list[tuple[str, bool, str]] = [
        ("upsampling", cfg.upsampling != "transpose", "transpose (nnU-Net up-samples with a transposed conv)"),
        ("merge", cfg.merge != "strict", "strict (nnU-Net concatenates without crop or pad)"),
        ("padding", cfg.padding != "same", "same (nnU-Net pads (F − 1)/2)"),
        ("pooling", cfg.pooling != "conv", "conv (nnU-Net's networks down-sample with strided convs)"),
        ("up_kernel_size", cfg.up_kernel_size is not None, "null (nnU-Net's up-conv kernel is the stride)"),
        ("decoder_kernel_size", cfg.decoder_kernel_size is not None, "null (the decoder uses its level's kernel)"),
        ("up_widths", cfg.up_widths is not None, "null (nnU-Net's up-conv makes the skip's width)"),
        ("decoder_widths", cfg.decoder_widths is not None, "null (nnU-Net's decoder keeps the skip's width)"),
        ("encoder_first_widths", cfg.encoder_first_widths is not None, "null"),
        ("norm", cfg.norm == "group", "instance, batch or none (nnU-Net gives a norm only the channel count)"),
        ("shared_activation", cfg.shared_activation, "false (nnU-Net makes one activation per conv)"),
        ("decoder_block", cfg.decoder_block == "residual", "plain (nnU-Net's decoder is plain)"),
        ("shortcut", residual and cfg.shortcut != "pool_conv", "pool_conv (nnU-Net's BasicBlockD)"),
        ("stem_channels", residual and cfg.stem_channels is None, "a width (ResidualEncoderUNet has a stem)"),
        ("conv_bias", plan.conv_bias != plan.up_bias, "true or false (convs and up-convs share nnU-Net's conv_bias)"),
        ("deep_supervision", cfg.deep_supervision is not True, "true (nnU-Net builds a head at every decoder level)"),
    ]
    for field, broken, allowed in rules:
        if broken:
            raise ConfigError(field, getattr(cfg, field), allowed + "; this config cannot be an nnU-Net plan")


_NONLIN_OPS = {"relu": "torch.nn.ReLU", "leaky_relu": "torch.nn.LeakyReLU", "prelu": "torch.nn.PReLU",
               "gelu": "torch.nn.GELU", "elu": "torch.nn.ELU"}  # fmt: skip


def plans_configuration(cfg: UNetConfig) -> dict[str, Any]:
    """`cfg` as one nnU-Net v2 plans configuration: `architecture` (class and `arch_kwargs`), `patch_size`,
    `batch_size`. Raises ConfigError for a config nnU-Net's networks cannot express."""
    _refuse(cfg)
    plan, d = cfg.plan, cfg.dims
    residual = cfg.block == "residual"
    kwargs: dict[str, Any] = {
        "n_stages": cfg.depth + 1,
        "features_per_stage": [stage.width for stage in plan.encoder],
        "conv_op": f"torch.nn.modules.conv.Conv{d}d",
        "kernel_sizes": [list(stage.kernel) for stage in plan.encoder],
        "strides": [list(stage.stride) for stage in plan.encoder],
        ("n_blocks_per_stage" if residual else "n_conv_per_stage"): [len(s.widths) for s in plan.encoder],
        "n_conv_per_stage_decoder": [len(stage.widths) for stage in plan.decoder],  # deepest first, as nnU-Net
        "conv_bias": plan.conv_bias,
        "norm_op": None if cfg.norm == "none" else
        f"torch.nn.modules.{'instancenorm.InstanceNorm' if cfg.norm == 'instance' else 'batchnorm.BatchNorm'}{d}d",
        "norm_op_kwargs": None if cfg.norm == "none" else {"eps": 1e-05, "affine": cfg.norm_affine},
        "dropout_op": f"torch.nn.modules.dropout.Dropout{d}d" if cfg.dropout else None,
        "dropout_op_kwargs": {"p": cfg.dropout, "inplace": True} if cfg.dropout else None,
        "nonlin": _NONLIN_OPS[cfg.activation],
        "nonlin_kwargs": {"inplace": True, **({"negative_slope": cfg.negative_slope}
                                              if cfg.activation == "leaky_relu" else {})},
    }  # fmt: skip
    if cfg.activation in ("prelu", "gelu"):
        kwargs["nonlin_kwargs"] = {}
    if residual:
        kwargs["stem_channels"] = cfg.stem_channels
    name = "ResidualEncoderUNet" if residual else "PlainConvUNet"
    return {
        "patch_size": list(cfg.input_size),
        "batch_size": cfg.batch_size,
        "architecture": {
            "network_class_name": f"dynamic_network_architectures.architectures.unet.{name}",
            "arch_kwargs": kwargs,
            "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"],
        },
    }


def export_plans(cfg: UNetConfig, configuration: str, into: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A plans file holding `cfg` as configuration `configuration`: added to (or replacing that name in) the
    existing plans `into`, everything else in it left as it was; or a minimal new plans file."""
    entry = plans_configuration(cfg)
    if into is None:
        return {"dataset_name": cfg.name, "plans_name": "unetvizPlans", "configurations": {configuration: entry}}
    if not is_plans(into):
        raise ConfigError("--into", "…", "an nnU-Net v2 plans file (a JSON object with `configurations`)")
    out = dict(into)
    configurations = dict(out["configurations"])
    old = configurations.get(configuration)
    configurations[configuration] = {**old, **entry} if isinstance(old, Mapping) else entry
    out["configurations"] = configurations
    return out
