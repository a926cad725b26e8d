"""Text cards drawn over the background: the hook, each scene's headline, the call to action."""

from __future__ import annotations

from PIL import Image, ImageDraw

from trendreel.media import layout
from trendreel.media.palette import rgb_tuple
from trendreel.media.sprites import Sprite
from trendreel.media.text import font, render_block, wrap


def card(text: str, *, size: int, accent: str, max_lines: int = 3) -> Sprite:
    """Big bold text on a rounded accent panel."""
    face = font(size)
    lines = wrap(text, face, layout.SAFE.width - 120, max_lines)
    block = render_block(
        lines, face, fill=(255, 255, 255, 255), stroke=(0, 0, 0, 255), stroke_width=4
    )
    pad = 36
    panel = Image.new("RGBA", (block.width + 2 * pad, block.height + 2 * pad), (0, 0, 0, 0))
    ImageDraw.Draw(panel).rounded_rectangle(
        (0, 0, panel.width - 1, panel.height - 1), radius=36, fill=rgb_tuple(accent, 235)
    )
    panel.alpha_composite(block, (pad, pad))
    return Sprite.from_image(panel)


def headline(text: str, accent: str) -> Sprite:
    """A small label for the scene's key phrase, top of the safe zone."""
    face = font(54, "Bold")
    lines = wrap(text, face, layout.SAFE.width - 80, 2)
    block = render_block(lines, face, fill=(255, 255, 255, 255), line_gap=6)
    pad = 20
    panel = Image.new("RGBA", (block.width + 2 * pad, block.height + 2 * pad), (0, 0, 0, 0))
    ImageDraw.Draw(panel).rounded_rectangle(
        (0, 0, panel.width - 1, panel.height - 1), radius=24, fill=(0, 0, 0, 150)
    )
    ImageDraw.Draw(panel).rectangle((0, 18, 8, panel.height - 18), fill=rgb_tuple(accent))
    panel.alpha_composite(block, (pad, pad))
    return Sprite.from_image(panel)


def centred(sprite: Sprite, center_y: int) -> tuple[int, int]:
    w, h = sprite.size
    return layout.SAFE.center_x - w // 2, center_y - h // 2
