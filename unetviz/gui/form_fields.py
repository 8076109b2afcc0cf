"""The config form's global fields: label, range or choices, and a tooltip saying what each does and where it
comes from; and which fields apply given the others (the form hides or disables the rest, keeping values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from unetviz.core.config import (
    ACTIVATIONS,
    BLOCKS,
    MAX_CHANNELS,
    MAX_DEPTH,
    MERGES,
    NORMS,
    PADDINGS,
    POOLINGS,
    SHORTCUTS,
    UPSAMPLINGS,
)

INTS: dict[str, tuple[str, int, int, str]] = {
    "in_channels": ("Input channels", 1, MAX_CHANNELS, "channels of the input image (1 grey, 3 RGB)"),
    "num_classes": ("Classes", 1, MAX_CHANNELS, "output channels of the 1×1 head"),
    "depth": ("Depth", 1, MAX_DEPTH, "number of down-samplings; the U has depth + 1 levels"),
    "base_width": (
        "Base width",
        1,
        MAX_CHANNELS,
        "channels at level 0; doubled at each level below unless the stage table gives widths",
    ),
    "batch_size": ("Batch", 1, 1 << 16, "batch of the dummy input; scales mult-adds and memory"),
    "norm_groups": (
        "Groups",
        1,
        MAX_CHANNELS,
        "GroupNorm's group count; must divide every width "
        "(torch.nn.GroupNorm; MONAI's norm=('group', {'num_groups': 8}))",
    ),
    # 0 shows as "none": no stem conv.
    "stem_channels": (
        "Stem",
        0,
        MAX_CHANNELS,
        "width of the stem conv before the first residual block "
        "(nnU-Net ResidualEncoderUNet's stem_channels); none: no stem",
    ),
}
FLOATS: dict[str, tuple[str, float, float, float, int, str]] = {
    "negative_slope": ("Slope", -100.0, 100.0, 0.01, 4, "LeakyReLU's slope below zero (nnU-Net and MONAI use 0.01)"),
    "dropout": ("Dropout", 0.0, 0.99, 0.05, 3, "dropout after each conv, p (nnU-Net's dropout_op; MONAI's dropout)"),
}
CHOICES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "padding": ("Padding", PADDINGS, "same keeps the size; valid loses kernel − 1 per conv (the 2015 paper)"),
    "pooling": (
        "Down",
        POOLINGS,
        "max or avg pool (the 2015 paper, Pytorch-UNet), or conv: the first conv of "
        "the stage is strided (nnU-Net, MONAI DynUNet)",
    ),
    "upsampling": (
        "Up-sampling",
        UPSAMPLINGS,
        "transpose: learned up-conv (2015 paper, nnU-Net, MONAI); "
        "bilinear/nearest: interpolation, Pytorch-UNet's halving widths",
    ),
    "merge": (
        "Merge",
        MERGES,
        "crop the skip (2015 paper), pad the up-sampled map (Pytorch-UNet), or strict: "
        "sizes must match (nnU-Net, MONAI)",
    ),
    "block": (
        "Block",
        BLOCKS,
        "plain: conv-norm-act stacks (2015 paper, nnU-Net PlainConvUNet); residual: "
        "residual blocks (nnU-Net ResidualEncoderUNet BasicBlockD, MONAI UnetResBlock)",
    ),
    "decoder_block": (
        "Decoder",
        ("plain (default)", *BLOCKS),
        "the decoder's blocks; nnU-Net's residual encoder keeps a plain decoder (the default)",
    ),
    "shortcut": (
        "Shortcut",
        SHORTCUTS,
        "residual shortcut when the size or width changes: pool_conv = avg pool "
        "+ 1×1 conv (nnU-Net BasicBlockD), strided_conv = strided 1×1 conv (MONAI UnetResBlock)",
    ),
    "norm": (
        "Norm",
        NORMS,
        "after each conv: batch (2015 paper, Pytorch-UNet), instance (nnU-Net, MONAI), "
        "group (torch.nn.GroupNorm) or none",
    ),
    "conv_bias": (
        "Conv bias",
        ("auto", "true", "false"),
        "auto: a bias only without norm (Pytorch-UNet); nnU-Net keeps it (conv_bias=True), MONAI drops it",
    ),
    "activation": (
        "Activation",
        ACTIVATIONS,
        "after each norm: relu (2015 paper), leaky_relu (nnU-Net, MONAI DynUNet), prelu (MONAI UNet), gelu, elu",
    ),
    "deep_supervision": (
        "Deep sup.",
        ("off", "every level"),
        "1×1 heads on the lower decoder levels too "
        "(nnU-Net's deep_supervision, MONAI DynUNet's deep_supr_num); a number: that many heads",
    ),
}
CHECKS: dict[str, tuple[str, str]] = {
    "norm_affine": ("affine", "learned scale and shift in the norm (nnU-Net: affine=True)"),
    "shared_activation": ("shared", "one activation module per block, so PReLU slopes are tied (MONAI's blocks)"),
}

# The value of a choice field as the config holds it, from the text its combo shows (and back).
_FROM_TEXT: dict[str, Callable[[str], Any]] = {
    "decoder_block": lambda text: None if text == "plain (default)" else text,
    "conv_bias": lambda text: {"true": True, "false": False}.get(text, text),
}


def choice_value(field: str, text: str) -> Any:
    return _FROM_TEXT.get(field, lambda t: t)(text)


def choice_text(field: str, value: Any) -> str:
    if field == "decoder_block" and value is None:
        return "plain (default)"
    if field == "conv_bias" and isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def deep_supervision_items(depth: int) -> list[tuple[str, bool | int]]:
    """The deep-supervision picker: off, a head at every decoder level but the top, or 1 … depth−1 heads."""
    items: list[tuple[str, bool | int]] = [("off", False), ("every level", True)]
    return items + [(f"{n} head{'s' if n > 1 else ''}", n) for n in range(1, depth)]


def applicable(fields: dict[str, Any]) -> dict[str, bool]:
    """Which fields mean something given the others (a field that does not is hidden or disabled, not reset)."""
    residual = fields["block"] == "residual" or fields["decoder_block"] == "residual"
    return {
        "negative_slope": fields["activation"] == "leaky_relu",
        "norm_groups": fields["norm"] == "group",
        "norm_affine": fields["norm"] != "none",
        "shortcut": residual,
        "stem_channels": fields["block"] == "residual",
    }
