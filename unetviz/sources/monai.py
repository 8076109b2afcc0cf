"""MONAI bundle configs (`configs/inference.json`) in: the `network_def` as a UNetConfig.

Reads `DynUNet` and `BasicUNet` (short or fully qualified `_target_`), resolving `@key` references and
`%key` macros within the same file (`::` or `#` between nested keys, as MONAI writes them). A `$`
expression is Python that MONAI would evaluate: it is never evaluated here, the key is named instead.
The input size comes from the inferer's `roi_size` when the file has one. Never imports MONAI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unetviz.core.config import UNetConfig
from unetviz.core.errors import ConfigError
from unetviz.core.records import Imported

_NOT_EXPRESSIBLE = {
    "UNet": "its skips join before the up-sampling (a different network from the UNets unetviz draws)",
    "AttentionUnet": "its attention gates are not a unetviz block",
    "SegResNet": "it has no concatenating skips (it adds them) and its own residual layout",
    "SwinUNETR": "it is a transformer encoder with a convolutional decoder",
    "UNETR": "it is a transformer encoder with a convolutional decoder",
    "VNet": "its blocks and skips are not a unetviz block",
}


def is_bundle(data: Any) -> bool:
    return isinstance(data, Mapping) and isinstance(data.get("network_def"), Mapping)


class _Resolver:
    """`@a::b` and `%a#b` references against the same file; `$…` refused with the key that holds it."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.keys: list[str] = []

    def lookup(self, path: str, where: str, seen: tuple[str, ...] = ()) -> Any:
        if path in seen:
            raise ConfigError(where, f"@{path}", f"references without a loop ({' → '.join([*seen, path])})")
        node: Any = self.root
        for part in path.replace("#", "::").split("::"):
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise ConfigError(where, f"@{path}", "a reference to a key of the same file")
        self.keys.append(path)
        return self.value(node, path, (*seen, path))

    def value(self, node: Any, where: str, seen: tuple[str, ...] = ()) -> Any:
        if isinstance(node, str):
            if node.startswith("$"):
                raise ConfigError(where, node, "a plain value: unetviz never evaluates a `$` expression (set this "
                                  "field with --set instead)")  # fmt: skip
            if node.startswith(("@", "%")):
                target = node[1:]
                if "configs/" in target or target.endswith((".json", ".yaml")):
                    raise ConfigError(where, node, "a reference inside the same file (other files are not read)")
                return self.lookup(target, where, seen)
            return node
        if isinstance(node, list):
            return [self.value(v, f"{where}::{i}", seen) for i, v in enumerate(node)]
        if isinstance(node, Mapping):
            return {k: self.value(v, f"{where}::{k}", seen) for k, v in node.items()}
        return node


def _name_args(value: Any, where: str) -> tuple[str, dict[str, Any]]:
    """MONAI's ("NAME", {args}) or "NAME" spelling of a norm or an activation."""
    if isinstance(value, str):
        return value.lower(), {}
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], Mapping)
    ):
        return value[0].lower(), dict(value[1])
    raise ConfigError(where, value, 'a name or ["NAME", {arguments}]')


def _norm(value: Any, where: str) -> dict[str, Any]:
    name, args = _name_args(value, where)
    if name == "instance":
        return {"norm": "instance", "norm_affine": bool(args.get("affine", False))}
    if name == "batch":
        return {"norm": "batch", "norm_affine": bool(args.get("affine", True))}
    if name == "group":
        groups = int(args.get("num_groups", 8))
        return {"norm": "group", "norm_groups": groups, "norm_affine": bool(args.get("affine", True))}
    raise ConfigError(where, value, "instance, batch or group norm")


def _act(value: Any, where: str) -> dict[str, Any]:
    name, args = _name_args(value, where)
    if name == "leakyrelu":
        return {"activation": "leaky_relu", "negative_slope": float(args.get("negative_slope", 0.01))}
    known = {"relu": "relu", "prelu": "prelu", "gelu": "gelu", "elu": "elu"}
    if name not in known:
        raise ConfigError(where, value, "LeakyReLU, ReLU, PReLU, GELU or ELU")
    return {"activation": known[name]}


def import_bundle(data: Mapping[str, Any]) -> Imported:
    """The bundle's `network_def` as a config; raises ConfigError naming the key it cannot read."""
    if not is_bundle(data):
        raise ConfigError("network_def", None, "a MONAI bundle config with a `network_def` object")
    resolver = _Resolver(data)
    net = resolver.value(data["network_def"], "network_def")
    target = str(net.get("_target_", ""))
    cls = target.rsplit(".", 1)[-1]
    assumed: list[str] = []
    if cls == "DynUNet":
        fields = _dynunet(net, assumed)
    elif cls == "BasicUNet":
        fields = _basicunet(net, assumed)
    elif cls in _NOT_EXPRESSIBLE:
        raise ConfigError("network_def::_target_", target, f"DynUNet or BasicUNet: {cls} cannot be drawn as a "
                          f"unetviz config, {_NOT_EXPRESSIBLE[cls]}")  # fmt: skip
    else:
        raise ConfigError("network_def::_target_", target, "DynUNet or BasicUNet (MONAI's UNets unetviz expresses)")
    roi = _roi_size(data, resolver)
    if roi is not None:
        fields["input_size"] = roi
    else:
        fields["input_size"] = [96] * fields["dims"]
        assumed.append(f"no inferer roi_size: input {'×'.join(['96'] * fields['dims'])}")
    fields["name"] = f"MONAI {cls}"
    keys = ("network_def", *(f"@{k}" for k in dict.fromkeys(resolver.keys)))
    return Imported(UNetConfig(**fields), f"MONAI bundle network_def ({cls})", keys, tuple(assumed))


def _roi_size(data: Mapping[str, Any], resolver: _Resolver) -> list[int] | None:
    inferer = data.get("inferer")
    if not isinstance(inferer, Mapping) or "roi_size" not in inferer:
        return None
    roi = resolver.value(inferer["roi_size"], "inferer::roi_size")
    if not isinstance(roi, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in roi):
        raise ConfigError("inferer::roi_size", roi, "a list of integers")
    return roi


def _int(net: Mapping[str, Any], key: str, default: Any = None) -> Any:
    value = net.get(key, default)
    if value is None:
        raise ConfigError(f"network_def::{key}", None, "present in the bundle's network_def")
    return value


def _dynunet(net: Mapping[str, Any], assumed: list[str]) -> dict[str, Any]:
    dims = _int(net, "spatial_dims")
    strides = [s if isinstance(s, list) else [s] * dims for s in _int(net, "strides")]
    if any(s != 1 for s in strides[0]):
        raise ConfigError("network_def::strides", strides[0], "1 at stage 0 (unetviz's first stage does not "
                          "down-sample)")  # fmt: skip
    kernels = list(_int(net, "kernel_size"))
    n = len(strides)
    filters = net.get("filters") or [min(2 ** (5 + i), 320 if dims == 3 else 512) for i in range(n)]
    if net.get("trans_bias"):
        raise ConfigError("network_def::trans_bias", True, "false (a bias on the transposed convs alone is not a "
                          "unetviz field)")  # fmt: skip
    if net.get("dropout"):
        assumed.append("dropout read as a dropout layer after each conv")
    res = bool(net.get("res_block", False))
    heads = int(net.get("deep_supr_num", 1)) if net.get("deep_supervision") else False
    fields: dict[str, Any] = {
        "dims": dims,
        "in_channels": _int(net, "in_channels"),
        "num_classes": _int(net, "out_channels"),
        "depth": n - 1,
        "widths": list(filters),
        "kernel_size": kernels,
        "strides": strides[1:],
        "up_kernel_size": list(_int(net, "upsample_kernel_size")),
        "decoder_kernel_size": kernels[1:],  # DynUNet's up block uses the stage below's kernel
        "padding": "same",
        "pooling": "conv",
        "upsampling": "transpose",
        "merge": "strict",
        "block": "residual" if res else "plain",
        "convs_per_block": 1 if res else 2,
        "decoder_convs_per_block": 2,
        "shortcut": "strided_conv",
        "conv_bias": False,
        "shared_activation": True,
        "deep_supervision": heads,
        "dropout": float(net.get("dropout") or 0.0),
        **_norm(net.get("norm_name", ["INSTANCE", {"affine": True}]), "network_def::norm_name"),
        **_act(net.get("act_name", ["leakyrelu", {"inplace": True, "negative_slope": 0.01}]), "network_def::act_name"),
    }
    return fields


def _basicunet(net: Mapping[str, Any], assumed: list[str]) -> dict[str, Any]:
    f = list(net.get("features", (32, 32, 64, 128, 256, 32)))
    if len(f) != 6:
        raise ConfigError("network_def::features", f, "six integers (BasicUNet's features)")
    if str(net.get("upsample", "deconv")) != "deconv":
        raise ConfigError("network_def::upsample", net.get("upsample"), "deconv (the default)")
    if net.get("bias", True) is False:
        raise ConfigError("network_def::bias", False, "true (BasicUNet keeps the up-convs' bias even without it, "
                          "which is not a unetviz field)")  # fmt: skip
    return {
        "dims": int(net.get("spatial_dims", 3)),
        "in_channels": int(net.get("in_channels", 1)),
        "num_classes": int(net.get("out_channels", 2)),
        "depth": 4,
        "widths": f[:5],
        "up_widths": [f[1], f[2] // 2, f[3] // 2, f[4] // 2],  # UpCat halves, but for the top level
        "decoder_widths": [f[5], f[1], f[2], f[3]],
        "padding": "same",
        "pooling": "max",
        "upsampling": "transpose",
        "merge": "pad",  # UpCat pads the one voxel a floor-pool loses
        "conv_bias": True,
        "dropout": float(net.get("dropout", 0.0) or 0.0),
        **_norm(net.get("norm", ["instance", {"affine": True}]), "network_def::norm"),
        **_act(net.get("act", ["LeakyReLU", {"negative_slope": 0.1, "inplace": True}]), "network_def::act"),
    }
