"""Fonts and text rendering to RGBA images (Pillow)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from PIL import Image, ImageDraw, ImageFont

from trendreel.errors import MediaError

RGBA = tuple[int, int, int, int]


@lru_cache(maxsize=32)
def font(size: int, weight: str = "Black") -> ImageFont.FreeTypeFont:
    """Roboto from the font-roboto package (a declared dependency, Apache-2.0)."""
    try:
        ref = resources.files("font_roboto").joinpath(f"files/Roboto-{weight}.ttf")
        with resources.as_file(ref) as path:
            return ImageFont.truetype(str(path), size)
    except (ModuleNotFoundError, OSError) as exc:
        raise MediaError(
            f"font Roboto-{weight} not available", hint="pip install font-roboto"
        ) from exc


def text_width(text: str, face: ImageFont.FreeTypeFont) -> int:
    return round(face.getlength(text))


def wrap(text: str, face: ImageFont.FreeTypeFont, max_width: int, max_lines: int) -> list[str]:
    """Greedy word wrap; the last line is ellipsised if the text does not fit."""
    lines: list[str] = []
    current = ""
    words = text.split()
    for i, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if text_width(candidate, face) <= max_width or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines:
            rest = " ".join(words[i:])
            lines[-1] = _ellipsise(f"{lines[-1]} {rest}", face, max_width)
            return lines
    if current:
        lines.append(current)
    return lines


def _ellipsise(text: str, face: ImageFont.FreeTypeFont, max_width: int) -> str:
    while text and text_width(text + "…", face) > max_width:
        text = text[:-1].rstrip()
    return text + "…"


def render_block(
    lines: list[str],
    face: ImageFont.FreeTypeFont,
    *,
    fill: RGBA,
    stroke: RGBA | None = None,
    stroke_width: int = 0,
    line_gap: int = 12,
    align: str = "center",
    pad: int = 8,
) -> Image.Image:
    """Lines of text on a transparent canvas sized to fit them."""
    ascent, descent = face.getmetrics()
    line_h = ascent + descent
    width = max(text_width(line, face) for line in lines) + 2 * (pad + stroke_width)
    height = len(lines) * line_h + (len(lines) - 1) * line_gap + 2 * (pad + stroke_width)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        w = text_width(line, face)
        x = (width - w) // 2 if align == "center" else pad + stroke_width
        y = pad + stroke_width + n * (line_h + line_gap)
        draw.text((x, y), line, font=face, fill=fill, stroke_width=stroke_width, stroke_fill=stroke)
    return image
