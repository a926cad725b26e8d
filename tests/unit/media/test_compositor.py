"""Frame-by-frame composition of a plan: captions, cards, animation, footage backgrounds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.unit.media.conftest import (
    FPS,
    ffmpeg,
    footage_visual,
    make_plan,
    procedural,
)
from trendreel.errors import MediaError
from trendreel.media import layout
from trendreel.media.captions import HIGHLIGHT, CaptionTrack, build_chunks
from trendreel.media.compositor import Compositor
from trendreel.media.timeline import RenderPlan
from trendreel.media.yuv import YuvFrame, planes_to_rgb

HOOK_ROWS = slice(layout.HOOK_CENTER_Y - 40, layout.HOOK_CENTER_Y + 40)
# Footage: one second of dark grey, then one second of light grey (greys convert the same way
# under every colour matrix, so their Y values are known exactly).
DARK_Y, LIGHT_Y = 71, 181  # 0x40 and 0xc0 in limited range


@pytest.fixture(scope="module")
def plan() -> RenderPlan:
    return make_plan(headlines=["", "Three tips", "Follow"])


@pytest.fixture
def compositor(plan: RenderPlan) -> Iterator[Compositor]:
    comp = Compositor(plan)
    yield comp
    comp.close()


def rgb(frame: YuvFrame) -> npt.NDArray[np.uint8]:
    return planes_to_rgb(*frame.planes())


def near_white(frame: YuvFrame, rows: slice) -> int:
    return int((rgb(frame)[rows] > 225).all(axis=2).sum())


def test_active_word_is_highlighted_in_the_composited_frame(compositor: Compositor) -> None:
    cues = compositor.captions.cues()
    for cue in (cues[0], cues[3], cues[5]):
        frame = compositor.frame(cue.start + 1 / FPS)
        x0, y0, x1, y1 = cue.box
        box = rgb(frame)[y0:y1, x0:x1].astype(int)
        share = (np.abs(box - np.array(HIGHLIGHT)) <= (40, 40, 60)).all(axis=2).mean()
        assert share >= 0.3, cue.word


def test_hook_card_is_shown_then_removed(compositor: Compositor, plan: RenderPlan) -> None:
    assert plan.hook.end < 2.0 < plan.cta.start
    with_hook = near_white(compositor.frame(0.5), HOOK_ROWS)  # white hook text
    after = near_white(compositor.frame(2.0), HOOK_ROWS)
    assert with_hook > 2000
    assert after < 50


def test_cta_card_is_shown_at_the_end(compositor: Compositor, plan: RenderPlan) -> None:
    rows = slice(layout.CTA_CENTER_Y - 40, layout.CTA_CENTER_Y + 40)
    assert near_white(compositor.frame(plan.cta.start - 2 / FPS), rows) < 50
    assert near_white(compositor.frame(plan.duration - 1 / FPS), rows) > 2000


def test_scene_headline_is_shown_after_the_transition(
    compositor: Compositor, plan: RenderPlan
) -> None:
    rows = slice(layout.HEADLINE_CENTER_Y - 30, layout.HEADLINE_CENTER_Y + 30)
    assert near_white(compositor.frame(1.0), rows) < 50  # scene 0 has no headline
    assert near_white(compositor.frame(plan.scenes[1].start + 0.8), rows) > 500


def test_consecutive_frames_differ(compositor: Compositor) -> None:
    for t in (0.4, 1.0, 2.0, 3.5):
        first = compositor.frame(t).y[20:].copy()  # below the progress bar
        second = compositor.frame(t + 1 / FPS).y[20:]
        assert (first != second).sum() > 1000, t


def test_progress_bar_grows_along_the_top(compositor: Compositor, plan: RenderPlan) -> None:
    bar_y = compositor.frame(plan.duration / 2).y[6]
    assert bar_y[:500].tolist() == [bar_y[0]] * 500
    assert (bar_y[560:] != bar_y[0]).any()


def test_same_time_twice_returns_the_same_buffer_without_redrawing(
    compositor: Compositor, plan: RenderPlan
) -> None:
    first = compositor.frame(1.0)
    snapshot = first.buf.copy()
    first.buf[:] = 0
    again = compositor.frame(1.0)
    assert again is first is compositor.current
    assert not again.buf.any()  # not drawn again
    compositor.frame(1.0 + 1 / FPS)
    back = compositor.frame(1.0)
    assert np.array_equal(back.buf, snapshot)  # procedural frames depend only on t


def test_two_compositors_draw_identical_frames(plan: RenderPlan) -> None:
    a, b = Compositor(plan), Compositor(plan)
    try:
        for t in (0.0, 0.9, 1.6, 2.7, plan.duration - 0.1):
            assert np.array_equal(a.frame(t).buf, b.frame(t).buf), t
    finally:
        a.close()
        b.close()


def test_clip_yields_i420_frames_for_the_whole_plan(
    compositor: Compositor, plan: RenderPlan
) -> None:
    clip = compositor.clip()
    try:
        assert clip.fps == FPS
        assert int(clip.duration * FPS) == plan.frame_count
        frame = clip.get_frame(1.0)
        assert frame.shape == (layout.HEIGHT * 3 // 2, layout.WIDTH)
        assert frame.dtype == np.uint8
        assert np.array_equal(frame, compositor.frame(1.0).as_image_array())
    finally:
        clip.close()


def test_every_procedural_template_renders() -> None:
    intents = ["hook", "explain", "list", "stat", "contrast", "story", "cta"]
    phrases = [(n, 0.6 * n, "word here") for n in range(len(intents))]
    multi = make_plan(phrases=phrases, intents=intents)
    comp = Compositor(multi)
    try:
        for scene in multi.scenes:
            mid = (scene.start + scene.end) / 2
            a = comp.frame(mid).buf.copy()
            b = comp.frame(mid + 1 / FPS).buf
            assert not np.array_equal(a, b), scene.intent
            assert a[: layout.WIDTH * layout.HEIGHT].std() > 5  # not a flat fill
    finally:
        comp.close()


# -- footage --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def footage_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("footage") / "clip.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=0x404040:s=90x160:r=30:d=1",
        "-f", "lavfi", "-i", "color=c=0xc0c0c0:s=90x160:r=30:d=1",
        "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path),
    )  # fmt: skip
    return path


def footage_plan() -> RenderPlan:
    """Footage for the first 3 s (longer than the 2 s clip), then a procedural scene."""
    return make_plan(
        phrases=[(0, 0.0, "one two three four five six seven eight nine ten"), (1, 2.8, "end")],
        visuals=[footage_visual(0, "clip"), procedural(1, "cta")],
    )


# Full-width bands with no cards or captions over them: top (below the progress bar), bottom.
BANDS = [slice(20, 200), slice(1500, 1920)]


def band_values(frame: YuvFrame) -> tuple[int, int]:
    """(min, max) luma over the bands, after checking their chroma is neutral grey."""
    for rows in BANDS:
        half = slice(rows.start // 2, rows.stop // 2)
        assert np.abs(frame.u[half].astype(int) - 128).max() <= 3
        assert np.abs(frame.v[half].astype(int) - 128).max() <= 3
    luma = np.concatenate([frame.y[rows].ravel() for rows in BANDS])
    return int(luma.min()), int(luma.max())


def near(values: tuple[int, int], target: int) -> bool:
    return all(abs(v - target) <= 3 for v in values)


def test_footage_fills_the_frame_and_loops_past_its_end(footage_file: Path) -> None:
    plan = footage_plan()
    assert plan.scenes[0].end > 2.7
    asked: list[str] = []

    def footage(key: str) -> Path:
        asked.append(key)
        return footage_file

    comp = Compositor(plan, footage)
    samples: dict[int, tuple[int, int]] = {}
    try:
        for n in range(80):
            comp.frame(n / FPS)
            comp.frame(n / FPS)  # asked twice (as moviepy does): must not skip a frame
            if n in (15, 45, 75):
                samples[n] = band_values(comp.current)
    finally:
        comp.close()
    assert asked == ["clip"]
    # edge to edge, top to bottom: the 90×160 clip is scaled to fill 1080×1920
    assert near(samples[15], DARK_Y), samples  # first second
    assert near(samples[45], LIGHT_Y), samples  # second second
    assert near(samples[75], DARK_Y), samples  # looped back to the start


def test_footage_scene_without_a_provider_is_an_error() -> None:
    comp = Compositor(footage_plan(), None)
    with pytest.raises(ValueError, match="uses footage but none was provided"):
        comp.frame(0.0)


def test_undecodable_footage_raises_media_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video")
    comp = Compositor(footage_plan(), lambda key: bad)
    try:
        with pytest.raises(MediaError, match=r"could not decode footage bad\.mp4"):
            comp.frame(0.0)
    finally:
        comp.close()


def test_caption_cues_cover_the_plan_words(compositor: Compositor, plan: RenderPlan) -> None:
    expected = CaptionTrack(build_chunks(plan.words, plan.duration)).cues()
    assert compositor.captions.cues() == expected
    assert [c.word_index for c in expected] == [w.index for w in plan.words]
