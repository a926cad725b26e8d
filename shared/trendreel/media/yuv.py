"""I420 (yuv420p) frames, BT.709 limited range: what the encoder takes without conversion.

Compositing straight into the encoder's pixel format halves the bytes per frame (1.5 per pixel
instead of 3) and removes ffmpeg's RGB→YUV conversion, which costs as much CPU per frame as
all of our drawing. Chroma planes are half size in both directions, so everything is placed
on even coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

# BT.709 luma weights; limited ("TV") range: Y in 16..235, Cb/Cr in 16..240.
KR, KB = 0.2126, 0.0722
KG = 1 - KR - KB


@dataclass(frozen=True)
class YuvFrame:
    width: int
    height: int
    buf: U8  # contiguous: Y plane, then U, then V

    @classmethod
    def blank(cls, width: int, height: int) -> YuvFrame:
        return cls(width, height, np.zeros(width * height * 3 // 2, dtype=np.uint8))

    @property
    def y(self) -> U8:
        return self.buf[: self.width * self.height].reshape(self.height, self.width)

    @property
    def u(self) -> U8:
        n, q = self.width * self.height, self.width * self.height // 4
        return self.buf[n : n + q].reshape(self.height // 2, self.width // 2)

    @property
    def v(self) -> U8:
        n, q = self.width * self.height, self.width * self.height // 4
        return self.buf[n + q :].reshape(self.height // 2, self.width // 2)

    def planes(self) -> tuple[U8, U8, U8]:
        return self.y, self.u, self.v

    def as_image_array(self) -> U8:
        """The I420 buffer as a (1.5·H, W) 2-D array: the layout ffmpeg calls yuv420p."""
        return self.buf.reshape(self.height * 3 // 2, self.width)


def _luma(rgb: F32) -> F32:
    out: F32 = (KR * rgb[..., 0] + KG * rgb[..., 1] + KB * rgb[..., 2]).astype(np.float32)
    return out


def quad_mean(a: F32) -> F32:
    """Mean of each 2×2 block (first two axes): strided adds, far faster than reshape+mean."""
    out: F32 = (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) * np.float32(0.25)
    return out


BAND = 128  # rows converted at a time: float temporaries stay ~2 MB, not ~35 MB per texture


def rgb_to_planes(rgb: U8) -> tuple[U8, U8, U8]:
    """RGB (h, w, 3) with even h, w → Y (h, w), U and V (h/2, w/2)."""
    h, w = rgb.shape[:2]
    if h <= BAND:
        return _convert(rgb)
    y = np.empty((h, w), dtype=np.uint8)
    u = np.empty((h // 2, w // 2), dtype=np.uint8)
    v = np.empty((h // 2, w // 2), dtype=np.uint8)
    for top in range(0, h, BAND):
        by, bu, bv = _convert(rgb[top : top + BAND])
        y[top : top + len(by)] = by
        u[top // 2 : top // 2 + len(bu)] = bu
        v[top // 2 : top // 2 + len(bv)] = bv
    return y, u, v


def _convert(rgb: U8) -> tuple[U8, U8, U8]:
    f = rgb.astype(np.float32)
    y = 16 + 219 / 255 * _luma(f)
    quad = quad_mean(f)
    ly = _luma(quad)
    u = 128 + 224 / 255 * (quad[..., 2] - ly) / (2 * (1 - KB))
    v = 128 + 224 / 255 * (quad[..., 0] - ly) / (2 * (1 - KR))
    return _u8(y), _u8(u), _u8(v)


def _u8(plane: F32) -> U8:
    return np.clip(np.rint(plane), 0, 255).astype(np.uint8)


def colour(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """One RGB colour as (Y, U, V)."""
    block = np.array(rgb, dtype=np.uint8).reshape(1, 1, 3).repeat(2, 0).repeat(2, 1)
    y, u, v = rgb_to_planes(block)
    return int(y[0, 0]), int(u[0, 0]), int(v[0, 0])


def planes_to_rgb(y: U8, u: U8, v: U8) -> U8:
    """Back to RGB (chroma upsampled by repetition): for thumbnails and tests."""
    out = np.empty((*y.shape, 3), dtype=np.uint8)
    for top in range(0, y.shape[0], BAND):  # bands keep float temporaries small
        half = slice(top // 2, (top + BAND) // 2)
        out[top : top + BAND] = _to_rgb(y[top : top + BAND], u[half], v[half])
    return out


def _to_rgb(y: U8, u: U8, v: U8) -> U8:
    yf = (y.astype(np.float32) - 16) * 255 / 219
    uf = (u.astype(np.float32) - 128) * 255 / 224
    vf = (v.astype(np.float32) - 128) * 255 / 224
    uf = uf.repeat(2, axis=0).repeat(2, axis=1)
    vf = vf.repeat(2, axis=0).repeat(2, axis=1)
    r = yf + 2 * (1 - KR) * vf
    b = yf + 2 * (1 - KB) * uf
    g = (yf - KR * r - KB * b) / KG
    return np.clip(np.rint(np.stack([r, g, b], axis=-1)), 0, 255).astype(np.uint8)
