"""Light and dark drawings: the dark theme is the light drawing recoloured, so the layout is the same to the point.

Fills darken and ink lightens, each colour keeping its hue, so a blue encoder stays blue; the light theme is the
renderers' own output, untouched (the CLI and the golden files draw it). No Qt here.
"""

from __future__ import annotations

import colorsys
import re

from unetviz.core.errors import RenderError

LIGHT, DARK = "light", "dark"
THEMES = (LIGHT, DARK)
DARK_CANVAS = "#1e1e1e"  # the page; the app's dark diagram view shows the same colour around it
DARK_INK = "#e6e6e6"  # text without a colour of its own

# Light colour -> its dark counterpart, for every colour the renderers write today (render.py, paper_svg.py);
# a colour not listed is recoloured by `_inverted`. Okabe–Ito arrows stay: each has ≥ 3:1 on DARK_CANVAS.
DARK_COLOURS = {
    "white": DARK_CANVAS,  # the page (bgcolor, the paper figure's page)
    "#ffffff": "#2a2a2a",  # a layer's box; a copied skip map's bar
    "#f1f1f1": "#333333",  # input, output and side boxes
    "#666666": "#a8a8a8",  # their borders; the paper figure's copy arrows
    "#dcebf8": "#1b3650",  # encoder
    "#2b6cb0": "#6cb0f0",  # encoder border, flow arrows
    "#ebe4f7": "#33294a",  # bottleneck
    "#6b46c1": "#b49cf0",
    "#dff3e3": "#1d3d26",  # decoder
    "#2f855a": "#68d391",  # decoder border, up arrows
    "#555555": "#9a9a9a",  # a layer's border
    "#0f8b8d": "#3cc8cb",  # side heads
    "#c53030": "#fc8181",  # pool arrows
    "#6b7280": "#a0a7b4",  # skip arrows
    "#9c6d1e": "#e0a84a",  # residual arrows
    "#e00000": "#ff6b6b",  # alerts, failing joins
    "#333333": "#d0d0d0",  # a node's second lines
    "#bbbbbb": "#5a5a5a",  # the legend's frame
    "#9ecae1": "#2c5d80",  # paper figure: feature maps
    "#c6dbef": "#34506e",  # paper figure: input and output
    "#08306b": "#9ecae1",  # paper figure: bar outlines
    "#6a3d9a": "#c7a4f0",  # paper figure: side outputs
    "#0072b2": "#0072b2",
    "#56b4e9": "#56b4e9",
    "#d55e00": "#e0701a",  # vermillion, a touch lighter for 4:1
    "#009e73": "#009e73",
    "#e69f00": "#e69f00",
    "#cc79a7": "#cc79a7",
}
# Colours as the renderers write them, quoted attribute values; never text inside a label (a config's name)
_COLOUR = re.compile(r'(?<=")#[0-9a-fA-F]{6}(?=")|(?<=bgcolor=)white\b|(?<=fill=")white(?=")')


def check_theme(theme: str) -> None:
    if theme not in THEMES:
        raise RenderError(f"theme: {theme!r} is not allowed; expected one of {', '.join(THEMES)}")


def dark_colour(colour: str) -> str:
    """The dark theme's counterpart of a light theme's colour (#rrggbb or white)."""
    known = DARK_COLOURS.get(colour.lower())
    return known if known is not None else _inverted(colour)


def recolour(text: str) -> str:
    """Every colour in a DOT or SVG text swapped for its dark counterpart, in one pass (no colour twice)."""
    return _COLOUR.sub(_dark_match, text)


def _dark_match(match: re.Match[str]) -> str:
    quoted = match.string[match.start() - 1]
    dark = dark_colour(match.group(0))
    return dark if quoted == '"' else f'"{dark}"'  # DOT writes bgcolor=white bare; "#…" must be quoted


def _inverted(colour: str) -> str:
    """Lightness mirrored, hue and saturation kept: a pale fill becomes a deep one, dark ink a light one."""
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    mirrored = colorsys.hls_to_rgb(hue, 0.12 + 0.76 * (1 - lightness), saturation)
    return "#" + "".join(f"{round(c * 255):02x}" for c in mirrored)


def luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio, 1 to 21: text wants ≥ 4.5, lines and shapes ≥ 3."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)
