"""Procedural animated backgrounds, one template per visual intent.

Each scene pre-renders one texture a little larger than the frame (once, at scene start) and
the camera pans across it: a frame is then a slice copy, with no per-pixel arithmetic. Motion
graphics on top are solid rectangles (slice assignments) and pre-rendered sprites, so a frame
costs a few milliseconds however long the video is.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from trendreel.media import layout
from trendreel.media.palette import rgb, rgb_tuple, yuv
from trendreel.media.sprites import Sprite, blit, fill_rect
from trendreel.media.yuv import U8, YuvFrame, rgb_to_planes

PAN_X = 160
SPOT_Y = layout.CTA_CENTER_Y  # the band runs behind the CTA card
ARROW_Y = layout.CAPTION_CENTER_Y + 115  # below the captions, pointing at the app's buttons
PAN_Y = 320
TEMPLATES = {
    "hook": "burst",
    "explain": "orbits",
    "list": "stripes",
    "stat": "bars",
    "contrast": "split",
    "story": "drift",
    "cta": "spotlight",
}
TEMPLATE_REASONS = {
    "burst": "expanding rings pull the eye in for the opening hook",
    "orbits": "slow orbiting shapes keep an explanation scene moving without distracting",
    "stripes": "bars sliding in one after another pace a list of points",
    "bars": "growing bar chart illustrates numbers and engagement stats",
    "split": "a split screen with a moving divider frames a this-versus-that point",
    "drift": "rising particles over a slow pan suit a narrative beat",
    "spotlight": "a pulsing band and bouncing arrow point at the call to action",
}


def template_for(intent: str) -> str:
    return TEMPLATES.get(intent, "drift")


def _texture(palette: list[str], seed: int) -> tuple[U8, U8, U8]:
    """A soft multi-colour field: blurred blobs on a vertical gradient, drawn small, scaled up."""
    rng = random.Random(seed)
    w, h = (layout.WIDTH + PAN_X) // 4, (layout.HEIGHT + PAN_Y) // 4
    top, bottom = rgb(palette[0]).astype(np.float32), rgb(palette[1]).astype(np.float32)
    ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    base = (top * (1 - ramp) + bottom * ramp * 0.55 + top * ramp * 0.45).astype(np.uint8)
    image = Image.fromarray(np.repeat(base, w, axis=1))
    draw = ImageDraw.Draw(image, "RGBA")
    for _ in range(7):
        colour = rgb_tuple(rng.choice(palette[1:4]), alpha=rng.randint(60, 120))
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(w * 0.15, w * 0.45)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(radius=w * 0.08))
    size = (layout.WIDTH + PAN_X, layout.HEIGHT + PAN_Y)
    return rgb_to_planes(np.asarray(image.resize(size, Image.Resampling.BILINEAR)))


def _disc(radius: int, colour: str, ring: int = 0) -> Sprite:
    size = 2 * radius + 2
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    fill = None if ring else rgb_tuple(colour)
    draw.ellipse((1, 1, size - 2, size - 2), fill=fill, outline=rgb_tuple(colour), width=ring)
    return Sprite.from_image(image)


def _ease(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return 1 - (1 - x) ** 3


@dataclass
class ProceduralBackground:
    template: str
    palette: list[str]
    seed: int
    duration: float
    texture: tuple[U8, U8, U8] = field(init=False)
    sprites: list[Sprite] = field(init=False)

    def __post_init__(self) -> None:
        self.texture = _texture(self.palette, self.seed)
        rng = random.Random(self.seed)
        accents = self.palette[2:5]
        if self.template == "burst":
            self.sprites = [
                _disc(r, accents[n % 3], ring=10) for n, r in enumerate(range(60, 540, 40))
            ]
        elif self.template in ("orbits", "drift"):
            self.sprites = [_disc(rng.randint(24, 90), rng.choice(accents)) for _ in range(7)]
        elif self.template == "spotlight":
            self.sprites = [_arrow(accents[1])]
        else:
            self.sprites = []

    def close(self) -> None:
        """Nothing to release: the texture is freed with the object."""

    def draw(self, out: YuvFrame, t: float) -> None:
        p = t / max(self.duration, 1e-6)
        # Even offsets keep the half-size chroma planes aligned with luma.
        x = int(PAN_X / 2 * (0.5 + 0.5 * math.sin(2 * math.pi * (p * 0.5 + self.seed % 7 / 7))))
        y = int(PAN_Y / 2 * p)
        for plane, tex, s in zip(out.planes(), self.texture, (2, 1, 1), strict=True):
            h, w = plane.shape
            np.copyto(plane, tex[y * s : y * s + h, x * s : x * s + w])
        getattr(self, f"_draw_{self.template}")(out, t)

    # -- motion graphics, one per template -------------------------------------------------
    def _draw_burst(self, out: YuvFrame, t: float) -> None:
        cx, cy = layout.WIDTH // 2, layout.HOOK_CENTER_Y + 120
        for k in range(3):
            n = int((t * 9 + k * len(self.sprites) / 3) % len(self.sprites))
            sprite = self.sprites[n]
            blit(out, sprite, cx - sprite.size[0] // 2, cy - sprite.size[1] // 2)

    def _draw_orbits(self, out: YuvFrame, t: float) -> None:
        cx, cy = layout.WIDTH // 2, 760
        for n, sprite in enumerate(self.sprites):
            angle = t * (0.35 + 0.08 * n) + n * 2 * math.pi / len(self.sprites)
            radius = 180 + 45 * n
            x = int(cx + radius * math.cos(angle)) - sprite.size[0] // 2
            y = int(cy + radius * 0.8 * math.sin(angle)) - sprite.size[1] // 2
            blit(out, sprite, x, y)

    def _draw_drift(self, out: YuvFrame, t: float) -> None:
        for n, sprite in enumerate(self.sprites):
            speed = 70 + 25 * n
            x = 90 + (n * 137) % (layout.WIDTH - 200)
            y = int(layout.HEIGHT - (t * speed + n * 260) % (layout.HEIGHT + 200))
            blit(out, sprite, x, y)

    def _draw_bars(self, out: YuvFrame, t: float) -> None:
        rng = random.Random(self.seed)
        heights = sorted(rng.uniform(0.35, 1.0) for _ in range(5))
        base, full = 1000, 560
        for n, h in enumerate(heights):
            grow = _ease(t / 1.2 - n * 0.15) * (1 + 0.04 * math.sin(t * 3 + n))
            x0 = 150 + n * 150
            fill_rect(
                out, x0, int(base - full * h * grow), x0 + 110, base, yuv(self.palette[2 + n % 3])
            )
        fill_rect(out, 120, base, 900, base + 8, yuv(self.palette[4]))

    def _draw_stripes(self, out: YuvFrame, t: float) -> None:
        for n in range(4):
            reveal = _ease(t / 0.6 - n * 0.45)
            y = 430 + n * 150
            fill_rect(
                out, 0, y, int(layout.WIDTH * 0.8 * reveal), y + 96, yuv(self.palette[2 + n % 3])
            )
            fill_rect(
                out, 0, y + 96, int(layout.WIDTH * 0.8 * reveal), y + 104, yuv(self.palette[0])
            )

    def _draw_split(self, out: YuvFrame, t: float) -> None:
        divider = int(layout.WIDTH * (0.5 + 0.12 * math.sin(t * 1.4)))
        fill_rect(out, 0, 380, divider, 1060, yuv(self.palette[2]))
        fill_rect(out, divider, 380, layout.WIDTH, 1060, yuv(self.palette[3]))
        fill_rect(out, divider - 6, 340, divider + 6, 1100, yuv(self.palette[4]))

    def _draw_spotlight(self, out: YuvFrame, t: float) -> None:
        pulse = 0.5 + 0.5 * math.sin(t * 5)
        half = int(40 + 30 * pulse)
        fill_rect(
            out,
            0,
            SPOT_Y - half,
            layout.WIDTH,
            SPOT_Y + half,
            yuv(self.palette[2]),
        )
        arrow = self.sprites[0]
        bounce = int(20 * abs(math.sin(t * 4)))
        blit(
            out,
            arrow,
            layout.SAFE.center_x - arrow.size[0] // 2,
            ARROW_Y + bounce,
        )


def _arrow(colour: str) -> Sprite:
    image = Image.new("RGBA", (180, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(90, 150), (10, 60), (60, 60), (60, 5), (120, 5), (120, 60), (170, 60)],
        fill=rgb_tuple(colour),
    )
    return Sprite.from_image(image)
