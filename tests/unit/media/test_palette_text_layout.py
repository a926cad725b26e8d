"""Palettes, text wrapping/rendering and the safe zone."""

from __future__ import annotations

import numpy as np

from trendreel.media import layout
from trendreel.media.palette import PALETTES, choose_palette, rgb, rgb_tuple, yuv
from trendreel.media.text import font, render_block, text_width, wrap


def test_palette_choice_is_deterministic_per_seed_and_style() -> None:
    for style, options in PALETTES.items():
        picks = {tuple(choose_palette(style, seed)) for seed in range(20)}
        assert picks <= {tuple(p) for p in options}
        assert len(picks) == len(options)  # 20 seeds reach every option
        assert choose_palette(style, 5) == choose_palette(style, 5)
    assert choose_palette("no-such-style", 3) in PALETTES["energetic"]


def test_choose_palette_returns_a_copy() -> None:
    choose_palette("calm", 1).clear()
    assert all(len(p) == 5 for p in PALETTES["calm"])


def test_hex_colours_convert_to_rgb_and_yuv() -> None:
    assert rgb("#ff9f1c").tolist() == [255, 159, 28]
    assert rgb("0b132b").tolist() == [11, 19, 43]
    assert rgb_tuple("#ffffff", alpha=7) == (255, 255, 255, 7)
    assert yuv("#ffffff") == (235, 128, 128)
    assert yuv("#000000") == (16, 128, 128)


def test_wrap_keeps_lines_within_width_and_ellipsises_overflow() -> None:
    face = font(60)
    text = "the quick brown fox jumps over the lazy dog again and again and again"
    lines = wrap(text, face, 400, max_lines=10)
    assert " ".join(lines) == text
    assert all(text_width(line, face) <= 400 for line in lines)
    short = wrap(text, face, 400, max_lines=2)
    assert len(short) == 2
    assert short[0] == lines[0]
    assert short[-1].endswith("…")
    assert text_width(short[-1], face) <= 400


def test_wrap_puts_a_word_wider_than_the_line_on_its_own_line() -> None:
    face = font(60)
    assert wrap("a incomprehensibilities b", face, 100, 5) == ["a", "incomprehensibilities", "b"]


def test_render_block_sizes_the_canvas_to_the_text() -> None:
    face = font(40)
    image = render_block(["Hi", "there"], face, fill=(255, 255, 255, 255), pad=8, line_gap=12)
    ascent, descent = face.getmetrics()
    assert image.mode == "RGBA"
    assert image.size == (text_width("there", face) + 16, 2 * (ascent + descent) + 12 + 16)
    alpha = np.asarray(image)[:, :, 3]
    assert alpha.max() == 255
    assert alpha[0].max() == 0  # padding stays transparent


def test_safe_zone_geometry() -> None:
    safe = layout.SAFE
    assert (safe.width, safe.height, safe.center_x) == (880, 1260, 500)
    assert safe.contains(safe)
    assert safe.contains(layout.Box(100, 300, 900, 1400))
    assert not safe.contains(layout.Box(59, 300, 900, 1400))
    assert not safe.contains(layout.Box(100, 300, 941, 1400))
    assert not safe.contains(layout.Box(100, 219, 900, 1400))
    assert not safe.contains(layout.Box(100, 300, 900, 1481))
    for y in (layout.HEADLINE_CENTER_Y, layout.HOOK_CENTER_Y, layout.CTA_CENTER_Y):
        assert safe.y0 < y < safe.y1
