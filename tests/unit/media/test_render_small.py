"""A whole (tiny) render: plan + synthetic voice and music → MP4, thumbnail, cues, mix report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.unit.media.conftest import make_plan_and_voice, tone, voice_bursts, write_wav
from trendreel.media import qc, render
from trendreel.media.compositor import Compositor
from trendreel.media.encoder import EncodeSettings
from trendreel.media.probe import probe
from trendreel.media.timeline import RenderPlan
from trendreel.media.yuv import planes_to_rgb

pytestmark = pytest.mark.slow
VOICE_RATE = 24_000  # as a synthesizer might produce: render resamples it to 48 kHz


@dataclass
class Rendered:
    plan: RenderPlan
    result: render.RenderResult
    scratch: Path
    progress: list[float]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    folder = tmp_path_factory.mktemp("render")
    plan, info = make_plan_and_voice(
        phrases=[(0, 0.0, "Sleep well tonight."), (1, 0.85, "Follow now.")],
        headlines=["", "Follow"],
    )
    inputs = folder / "inputs"
    inputs.mkdir()
    bursts = voice_bursts(info.words, info.duration_seconds, VOICE_RATE)
    voice = write_wav(inputs / "voice.wav", bursts, VOICE_RATE)
    music = tone(220.0, 1.0, -9.0)
    music_path = write_wav(inputs / "music.wav", np.stack([music, music], axis=1))
    scratch = folder / "scratch"
    scratch.mkdir()
    out = folder / "out"
    out.mkdir()
    progress: list[float] = []
    result = render.render(
        plan,
        voice=voice,
        music=music_path,
        footage=None,
        scratch=scratch,
        out_video=out / "video.mp4",
        out_thumbnail=out / "thumb.jpg",
        settings=EncodeSettings(preset="ultrafast", threads=2),
        progress=progress.append,
    )
    return Rendered(plan, result, scratch, progress)


def test_plan_is_about_three_seconds(rendered: Rendered) -> None:
    assert 2.5 <= rendered.plan.duration <= 4.0


def test_mp4_has_the_delivery_format(rendered: Rendered) -> None:
    info = probe(rendered.result.video)
    assert "mp4" in info.format_name
    assert (info.video_codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.width, info.height) == (1080, 1920)
    assert info.fps == pytest.approx(30.0)
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 2)
    assert info.faststart is True
    assert info.video_frames == rendered.plan.frame_count == rendered.result.frames
    assert abs(info.video_seconds - info.audio_seconds) <= 0.1
    assert info.video_seconds == pytest.approx(rendered.plan.duration, abs=0.05)


def test_result_describes_the_render(rendered: Rendered) -> None:
    result, plan = rendered.result, rendered.plan
    assert result.duration == pytest.approx(plan.frame_count / plan.fps)
    assert [c.word_index for c in result.cues] == [w.index for w in plan.words]
    assert [c.start for c in result.cues] == [w.start for w in plan.words]
    assert result.mix.integrated_lufs == pytest.approx(-14.0, abs=0.3)
    assert result.mix.peak < 1.0


def test_thumbnail_is_a_full_size_jpeg(rendered: Rendered) -> None:
    with Image.open(rendered.result.thumbnail) as image:
        assert image.format == "JPEG"
        assert image.size == (1080, 1920)
        pixels = np.asarray(image).astype(int)
    assert pixels.std() > 5  # a real frame, not a flat fill
    comp = Compositor(rendered.plan)
    try:
        expected = planes_to_rgb(*comp.frame(render.THUMBNAIL_AT).planes()).astype(int)
    finally:
        comp.close()
    assert np.abs(pixels - expected).mean() < 3  # the frame at THUMBNAIL_AT (JPEG tolerance)


def test_scratch_directory_is_left_empty(rendered: Rendered) -> None:
    assert sorted(p.name for p in rendered.scratch.iterdir()) == []


def test_progress_is_reported_up_to_one(rendered: Rendered) -> None:
    progress = rendered.progress
    assert progress[0] == 0.0
    assert progress[-1] == 1.0
    assert progress == sorted(progress)
    assert len(progress) >= 3


def test_rendered_video_passes_qc(rendered: Rendered) -> None:
    plan = rendered.plan
    spoken = [qc.SpokenWord(w.index, w.text, w.start) for w in plan.words]
    target = rendered.plan.duration  # a short plan: its own length is the target
    report = qc.run_qc(rendered.result.video, "video.mp4", rendered.result.cues, spoken, target)
    assert report.passed, [c for c in report.checks if not c.passed]
