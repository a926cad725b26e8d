"""Pre-rendered overlays blitted onto I420 frames, blending only the pixels that need it.

A sprite is converted once to Y/U/V planes and split per plane into its opaque pixels (copied
with a mask, no arithmetic) and its anti-aliased edge pixels (blended one by one). Text and
shapes are mostly opaque or empty, so a 900×300 caption costs a masked copy plus a few
thousand blends per frame instead of a full-area alpha blend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from trendreel.media.yuv import BAND, U8, YuvFrame, quad_mean, rgb_to_planes

OPAQUE = 250  # alpha at or above: copy; at or below TRANSPARENT: skip; between: blend
TRANSPARENT = 5


@dataclass(frozen=True)
class PlaneSprite:
    data: U8
    opaque: npt.NDArray[np.bool_]
    edge_y: npt.NDArray[np.intp]
    edge_x: npt.NDArray[np.intp]
    edge_premul: npt.NDArray[np.uint16]  # value * alpha
    edge_inv: npt.NDArray[np.uint16]  # 255 - alpha

    @classmethod
    def build(cls, data: U8, alpha: U8) -> PlaneSprite:
        ys, xs = np.nonzero((alpha > TRANSPARENT) & (alpha < OPAQUE))
        a = alpha[ys, xs].astype(np.uint16)
        return cls(
            data=np.ascontiguousarray(data),
            opaque=alpha >= OPAQUE,
            edge_y=ys.astype(np.intp),
            edge_x=xs.astype(np.intp),
            edge_premul=data[ys, xs].astype(np.uint16) * a,
            edge_inv=255 - a,
        )


@dataclass(frozen=True)
class Sprite:
    width: int
    height: int
    planes: tuple[PlaneSprite, PlaneSprite, PlaneSprite]

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @classmethod
    def from_image(cls, image: Image.Image) -> Sprite:
        w, h = image.size
        canvas = Image.new("RGBA", (w + w % 2, h + h % 2), (0, 0, 0, 0))
        canvas.paste(image.convert("RGBA"), (0, 0))
        rgba = np.asarray(canvas, dtype=np.uint8)
        alpha = rgba[:, :, 3]
        y = np.empty(alpha.shape, dtype=np.uint8)
        u = np.empty((alpha.shape[0] // 2, alpha.shape[1] // 2), dtype=np.uint8)
        v, a_uv = np.empty_like(u), np.empty_like(u)
        for top in range(0, alpha.shape[0], BAND):  # bands keep float temporaries small
            rows = slice(top, top + BAND)
            half = slice(top // 2, (top + BAND) // 2)
            y[rows], u[half], v[half], a_uv[half] = _convert_band(rgba[rows])
        return cls(
            canvas.width,
            canvas.height,
            (PlaneSprite.build(y, alpha), PlaneSprite.build(u, a_uv), PlaneSprite.build(v, a_uv)),
        )


def _convert_band(rgba: U8) -> tuple[U8, U8, U8, U8]:
    """Y at full size; chroma of each 2×2 block as the alpha-weighted mean colour, so edges
    don't bleed black; and the block's mean alpha."""
    alpha = rgba[:, :, 3].astype(np.float32)
    y, _, _ = rgb_to_planes(rgba[:, :, :3])
    opacity = (alpha / np.float32(255))[:, :, None]
    weighted = (rgba[:, :, :3].astype(np.float32) * opacity).astype(np.float32)
    a4 = quad_mean(alpha)
    quad_rgb = quad_mean(weighted) / np.maximum(a4[..., None] / 255, 1e-6)
    full = np.clip(quad_rgb, 0, 255).astype(np.uint8).repeat(2, 0).repeat(2, 1)
    _, u, v = rgb_to_planes(full)
    return y, u, v, np.rint(a4).astype(np.uint8)


def blit(frame: YuvFrame, sprite: Sprite, x: int, y: int) -> None:
    """Draw ``sprite`` with its top-left near (x, y) (snapped to even), clipped, in place."""
    x -= x % 2
    y -= y % 2
    for plane, ps, scale in zip(frame.planes(), sprite.planes, (1, 2, 2), strict=True):
        _blit_plane(plane, ps, x // scale, y // scale)


def _blit_plane(plane: U8, ps: PlaneSprite, x: int, y: int) -> None:
    ph, pw = plane.shape
    sh, sw = ps.data.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + sw, pw), min(y + sh, ph)
    if x0 >= x1 or y0 >= y1:
        return
    sy, sx = slice(y0 - y, y1 - y), slice(x0 - x, x1 - x)
    np.copyto(plane[y0:y1, x0:x1], ps.data[sy, sx], where=ps.opaque[sy, sx])
    if ps.edge_y.size == 0:
        return
    fy, fx = ps.edge_y + y, ps.edge_x + x
    premul, inv = ps.edge_premul, ps.edge_inv
    if x0 != x or y0 != y or x1 != x + sw or y1 != y + sh:
        keep = (fy >= y0) & (fy < y1) & (fx >= x0) & (fx < x1)
        fy, fx, premul, inv = fy[keep], fx[keep], premul[keep], inv[keep]
    under = plane[fy, fx].astype(np.uint16)
    # (fg·a + bg·(255−a)) / 255 with rounding; the sum fits in uint16 (255·255 + 127).
    plane[fy, fx] = ((premul + under * inv + 127) // 255).astype(np.uint8)


def fill_rect(
    frame: YuvFrame, x0: int, y0: int, x1: int, y1: int, yuv: tuple[int, int, int]
) -> None:
    """A solid rectangle (snapped to even, clipped): slice assignments, the cheapest draw."""
    x0, y0 = max(x0 - x0 % 2, 0), max(y0 - y0 % 2, 0)
    x1, y1 = min(x1 + x1 % 2, frame.width), min(y1 + y1 % 2, frame.height)
    if x0 >= x1 or y0 >= y1:
        return
    frame.y[y0:y1, x0:x1] = yuv[0]
    frame.u[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2] = yuv[1]
    frame.v[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2] = yuv[2]
