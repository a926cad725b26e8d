"""I420 frames and BT.709 limited-range conversions."""

from __future__ import annotations

import numpy as np
import pytest

from trendreel.media.yuv import BAND, YuvFrame, colour, planes_to_rgb, rgb_to_planes


def test_white_and_black_map_to_the_limited_range_ends() -> None:
    assert colour((255, 255, 255)) == (235, 128, 128)
    assert colour((0, 0, 0)) == (16, 128, 128)


def test_greys_have_neutral_chroma_and_scaled_luma() -> None:
    for level in (1, 64, 128, 200):
        y, u, v = colour((level, level, level))
        assert (u, v) == (128, 128)
        assert y == round(16 + 219 * level / 255)


def test_primaries_match_bt709_not_bt601() -> None:
    # BT.709 limited range reference values (BT.601 would give red Y=81, green Y=145).
    assert colour((255, 0, 0)) == (63, 102, 240)
    assert colour((0, 255, 0)) == (173, 42, 26)
    assert colour((0, 0, 255)) == (32, 240, 118)


@pytest.mark.parametrize(
    "rgb", [(200, 100, 50), (30, 144, 255), (255, 214, 10), (18, 18, 18), (120, 200, 90)]
)
def test_colour_round_trips_within_two_levels(rgb: tuple[int, int, int]) -> None:
    block = np.full((4, 6, 3), rgb, dtype=np.uint8)
    back = planes_to_rgb(*rgb_to_planes(block))
    assert back.shape == block.shape
    assert np.abs(back.astype(int) - block.astype(int)).max() <= 2


def test_chroma_is_the_mean_of_each_two_by_two_block() -> None:
    rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    rgb[:, 0] = (255, 0, 0)
    rgb[:, 1] = (0, 0, 255)
    y, u, v = rgb_to_planes(rgb)
    assert y.shape == (2, 2)
    assert u.shape == v.shape == (1, 1)
    assert y[0, 0] == colour((255, 0, 0))[0]
    assert y[0, 1] == colour((0, 0, 255))[0]
    assert (int(u[0, 0]), int(v[0, 0])) == colour((128, 0, 128))[1:]


def test_tall_images_are_converted_in_bands_without_seams() -> None:
    h = 2 * BAND + 38  # not a multiple of the band height
    ramp = np.linspace(0, 255, h).astype(np.uint8)
    rgb = np.stack([ramp, 255 - ramp, ramp // 2], axis=-1)[:, None, :].repeat(4, axis=1)
    y, u, v = rgb_to_planes(rgb)
    assert y.shape == (h, 4)
    assert u.shape == v.shape == (h // 2, 2)
    for top in range(0, h, 2):  # every row pair converted on its own gives the same result
        by, bu, bv = rgb_to_planes(rgb[top : top + 2])
        assert np.array_equal(y[top : top + 2], by)
        assert np.array_equal(u[top // 2], bu[0])
        assert np.array_equal(v[top // 2], bv[0])
    back = planes_to_rgb(y, u, v)
    assert back.shape == rgb.shape
    assert np.abs(back.astype(int) - rgb.astype(int)).max() <= 3


def test_blank_frame_layout_and_plane_views_share_the_buffer() -> None:
    frame = YuvFrame.blank(8, 6)
    assert frame.buf.shape == (8 * 6 * 3 // 2,)
    assert frame.y.shape == (6, 8)
    assert frame.u.shape == frame.v.shape == (3, 4)
    frame.y[:] = 1
    frame.u[:] = 2
    frame.v[:] = 3
    assert np.array_equal(frame.buf[:48], np.full(48, 1))
    assert np.array_equal(frame.buf[48:60], np.full(12, 2))
    assert np.array_equal(frame.buf[60:], np.full(12, 3))
    for plane in frame.planes():
        assert np.shares_memory(plane, frame.buf)


def test_as_image_array_is_the_yuv420p_layout_of_the_same_memory() -> None:
    frame = YuvFrame.blank(1080, 1920)
    image = frame.as_image_array()
    assert image.shape == (1920 * 3 // 2, 1080)
    assert np.shares_memory(image, frame.buf)
    assert image.flags.c_contiguous
    frame.u[0, 0] = 77
    assert image[1920, 0] == 77
