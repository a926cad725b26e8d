"""Colour palettes per style, picked deterministically per job."""

from __future__ import annotations

import random
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from trendreel.media.yuv import colour

PALETTES: dict[str, list[list[str]]] = {
    "energetic": [
        ["#1b1035", "#ff3d7f", "#ff9f1c", "#2ec4b6", "#f7f7ff"],
        ["#0b132b", "#5bc0be", "#ff5a5f", "#ffd166", "#f2f4f3"],
    ],
    "calm": [
        ["#0f2027", "#2c5364", "#88c0d0", "#a3be8c", "#eceff4"],
        ["#1d2d44", "#3e5c76", "#748cab", "#c8d5b9", "#f0ebd8"],
    ],
    "informative": [
        ["#0d1b2a", "#1b263b", "#415a77", "#4cc9f0", "#e0e1dd"],
        ["#10002b", "#3c096c", "#7b2cbf", "#48cae4", "#f8f9fa"],
    ],
    "playful": [
        ["#22223b", "#9a8c98", "#f28482", "#84a59d", "#f6bd60"],
        ["#2b2d42", "#ef476f", "#06d6a0", "#118ab2", "#fcfcfc"],
    ],
    "dramatic": [
        ["#0a0a0a", "#3d0000", "#950101", "#ff0000", "#f5f5f5"],
        ["#03071e", "#370617", "#9d0208", "#e85d04", "#ffba08"],
    ],
}


def choose_palette(style: str, seed: int) -> list[str]:
    options = PALETTES.get(style, PALETTES["energetic"])
    return list(random.Random(seed).choice(options))


def rgb(hex_colour: str) -> npt.NDArray[np.uint8]:
    value = hex_colour.lstrip("#")
    return np.array([int(value[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.uint8)


def rgb_tuple(hex_colour: str, alpha: int = 255) -> tuple[int, int, int, int]:
    r, g, b = (int(c) for c in rgb(hex_colour))
    return (r, g, b, alpha)


@lru_cache(maxsize=256)
def yuv(hex_colour: str) -> tuple[int, int, int]:
    r, g, b, _ = rgb_tuple(hex_colour)
    return colour((r, g, b))
