"""Sprites blitted onto I420 frames (opaque copy + edge blend per plane) and solid rectangles."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from trendreel.media.sprites import Sprite, blit, fill_rect
from trendreel.media.yuv import YuvFrame, colour

RED = (220, 30, 40)
GREY = (100, 100, 100)
W, H = 40, 30


def solid(w: int, h: int, rgb: tuple[int, int, int], alpha: int = 255) -> Image.Image:
    return Image.new("RGBA", (w, h), (*rgb, alpha))


def grey_frame() -> YuvFrame:
    frame = YuvFrame.blank(W, H)
    fill_rect(frame, 0, 0, W, H, colour(GREY))
    return frame


def test_opaque_pixels_are_copied_exactly_into_every_plane() -> None:
    frame = grey_frame()
    blit(frame, Sprite.from_image(solid(6, 4, RED)), 10, 8)
    y, u, v = colour(RED)
    gy, gu, gv = colour(GREY)
    assert (frame.y[8:12, 10:16] == y).all()
    assert (frame.u[4:6, 5:8] == u).all()
    assert (frame.v[4:6, 5:8] == v).all()
    # nothing outside the sprite changed
    frame.y[8:12, 10:16] = gy
    frame.u[4:6, 5:8] = gu
    frame.v[4:6, 5:8] = gv
    assert np.array_equal(frame.buf, grey_frame().buf)


def test_half_alpha_blends_to_the_midpoint() -> None:
    frame = YuvFrame.blank(W, H)
    fill_rect(frame, 0, 0, W, H, colour((0, 0, 0)))
    blit(frame, Sprite.from_image(solid(4, 4, (255, 255, 255), alpha=128)), 4, 4)
    assert np.abs(frame.y[4:8, 4:8].astype(int) - (235 + 16) / 2).max() <= 1
    assert (frame.u[2:4, 2:4] == 128).all()
    assert (frame.y[:4] == 16).all()

    frame = grey_frame()
    blit(frame, Sprite.from_image(solid(4, 4, RED, alpha=128)), 4, 4)
    for plane, s, fg, bg in zip(frame.planes(), (1, 2, 2), colour(RED), colour(GREY), strict=True):
        region = plane[4 // s : 8 // s, 4 // s : 8 // s].astype(int)
        assert np.abs(region - (fg + bg) / 2).max() <= 1


def test_transparent_pixels_leave_the_frame_untouched() -> None:
    frame = grey_frame()
    blit(frame, Sprite.from_image(solid(10, 10, RED, alpha=0)), 2, 2)
    assert np.array_equal(frame.buf, grey_frame().buf)


def test_odd_sized_images_are_padded_to_even_sizes() -> None:
    sprite = Sprite.from_image(solid(5, 3, RED))
    assert sprite.size == (6, 4)
    frame = grey_frame()
    blit(frame, sprite, 0, 0)
    assert (frame.y[0:3, 0:5] == colour(RED)[0]).all()
    assert (frame.y[3, :] == colour(GREY)[0]).all()  # the padding is transparent
    assert (frame.y[:, 5] == colour(GREY)[0]).all()


def test_odd_coordinates_snap_down_to_even() -> None:
    sprite = Sprite.from_image(solid(6, 6, RED, alpha=180))
    odd, even = grey_frame(), grey_frame()
    blit(odd, sprite, 11, 7)
    blit(even, sprite, 10, 6)
    assert np.array_equal(odd.buf, even.buf)
    assert odd.y[6, 10] != colour(GREY)[0]


def _ringed() -> Sprite:
    """Opaque 6×6 core inside a half-transparent 2-pixel ring: both blit paths are used."""
    image = solid(10, 10, RED, alpha=128)
    image.paste(solid(6, 6, RED), (2, 2))
    return Sprite.from_image(image)


def _reference(x: int, y: int) -> YuvFrame:
    """The same sprite drawn on a frame with a 20-pixel margin, then cropped: the truth."""
    big = YuvFrame.blank(W + 40, H + 40)
    fill_rect(big, 0, 0, W + 40, H + 40, colour(GREY))
    blit(big, _ringed(), x + 20, y + 20)
    out = YuvFrame.blank(W, H)
    out.y[:] = big.y[20 : 20 + H, 20 : 20 + W]
    out.u[:] = big.u[10 : 10 + H // 2, 10 : 10 + W // 2]
    out.v[:] = big.v[10 : 10 + H // 2, 10 : 10 + W // 2]
    return out


@pytest.mark.parametrize(
    ("x", "y"),
    [(-4, 10), (34, 10), (16, -6), (16, 26), (-6, -6), (34, 24), (-10, 0), (40, 30), (-20, -20)],
)
def test_sprites_clipped_at_frame_edges_draw_exactly_their_visible_part(x: int, y: int) -> None:
    frame = grey_frame()
    blit(frame, _ringed(), x, y)
    assert np.array_equal(frame.buf, _reference(x, y).buf)


def test_partially_visible_sprite_draws_its_core_and_ring() -> None:
    frame = grey_frame()
    blit(frame, _ringed(), -4, -4)  # core at -2..4 → visible rows/cols 0..3
    red_y, grey_y = colour(RED)[0], colour(GREY)[0]
    assert (frame.y[0:4, 0:4] == red_y).all()
    assert abs(int(frame.y[4, 1]) - (red_y + grey_y) / 2) <= 1  # the ring
    assert frame.y[7, 7] == grey_y


def test_fill_rect_snaps_outwards_to_even_and_fills_matching_chroma() -> None:
    frame = grey_frame()
    fill_rect(frame, 3, 5, 9, 11, colour(RED))
    y, u, v = colour(RED)
    mask = np.zeros((H, W), dtype=bool)
    mask[4:12, 2:10] = True
    assert (frame.y[mask] == y).all()
    assert (frame.y[~mask] == colour(GREY)[0]).all()
    cmask = np.zeros((H // 2, W // 2), dtype=bool)
    cmask[2:6, 1:5] = True
    assert (frame.u[cmask] == u).all()
    assert (frame.v[cmask] == v).all()
    assert (frame.u[~cmask] == colour(GREY)[1]).all()


def test_fill_rect_clips_to_the_frame_and_ignores_empty_rects() -> None:
    frame = grey_frame()
    fill_rect(frame, -10, -10, 4, 4, colour(RED))
    fill_rect(frame, W - 2, H - 2, W + 50, H + 50, colour(RED))
    assert (frame.y[0:4, 0:4] == colour(RED)[0]).all()
    assert (frame.y[H - 2 :, W - 2 :] == colour(RED)[0]).all()
    assert (frame.y == colour(RED)[0]).sum() == 16 + 4
    before = frame.buf.copy()
    fill_rect(frame, 10, 10, 10, 20, colour(RED))
    fill_rect(frame, W + 2, 0, W + 10, 10, colour(RED))
    fill_rect(frame, 20, 10, 10, 20, colour(RED))
    assert np.array_equal(frame.buf, before)
