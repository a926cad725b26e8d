"""Composition: a render plan plus voice, music and footage files in; an MP4 and thumbnail out.

Scratch files (resampled voice, the mix) live in the caller's scratch directory and are deleted
as soon as they are used, so nothing accumulates across runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from trendreel.media import audio
from trendreel.media.compositor import Compositor
from trendreel.media.encoder import EncodeSettings, VideoEncoder
from trendreel.media.ffmpeg import run_ffmpeg
from trendreel.media.loudness import RATE
from trendreel.media.timeline import RenderPlan, TimedWord
from trendreel.media.yuv import YuvFrame, planes_to_rgb
from trendreel.models import CaptionCue

SPEECH_GAP = 0.3
THUMBNAIL_AT = 1.0
Progress = Callable[[float], None]


@dataclass(frozen=True)
class RenderResult:
    video: Path
    thumbnail: Path
    frames: int
    duration: float
    cues: list[CaptionCue]
    mix: audio.MixReport


def speech_intervals(words: list[TimedWord]) -> list[tuple[float, float]]:
    """Merge words separated by less than SPEECH_GAP into phrases."""
    spans: list[tuple[float, float]] = []
    for w in words:
        if spans and w.start - spans[-1][1] < SPEECH_GAP:
            spans[-1] = (spans[-1][0], max(spans[-1][1], w.end))
        else:
            spans.append((w.start, w.end))
    return spans


def resample_voice(voice: Path, out: Path) -> Path:
    args = ["-y", "-i", str(voice), "-af", "aresample=resampler=soxr"]
    args += ["-ar", str(RATE), "-ac", "1", "-c:a", "pcm_s16le", str(out)]
    run_ffmpeg(args, what="resampling the voiceover")
    return out


def render(
    plan: RenderPlan,
    *,
    voice: Path,
    music: Path,
    footage: Callable[[str], Path] | None,
    scratch: Path,
    out_video: Path,
    out_thumbnail: Path,
    settings: EncodeSettings,
    progress: Progress | None = None,
) -> RenderResult:
    voice48 = resample_voice(voice, scratch / "voice48.wav")
    mix_path = scratch / "mix.wav"
    duration = plan.frame_count / plan.fps  # the mix is cut to exactly the video's length
    mix_plan = audio.MixPlan(duration, plan.voice_offset, speech_intervals(plan.words))
    try:
        report = audio.mix(voice48, music, mix_plan, mix_path)
    finally:
        voice48.unlink(missing_ok=True)
    compositor = Compositor(plan, footage)
    try:
        _encode(compositor, mix_path, out_video, out_thumbnail, settings, progress)
    finally:
        compositor.close()
        mix_path.unlink(missing_ok=True)
    return RenderResult(
        out_video, out_thumbnail, plan.frame_count, duration, compositor.captions.cues(), report
    )


def _encode(
    compositor: Compositor,
    mix: Path,
    out_video: Path,
    out_thumbnail: Path,
    settings: EncodeSettings,
    progress: Progress | None,
) -> None:
    plan = compositor.plan
    total = plan.frame_count
    thumb_index = min(round(THUMBNAIL_AT * plan.fps), total - 1)
    clip = compositor.clip()
    with VideoEncoder(out_video, mix, settings) as encoder:
        for n, frame in enumerate(clip.iter_frames(fps=plan.fps, logger=None)):
            if n >= total:
                break
            encoder.write(frame)
            if n == thumb_index:
                save_thumbnail(compositor.current, out_thumbnail)
            if progress is not None and n % plan.fps == 0:
                progress(n / total)
    clip.close()
    if progress is not None:
        progress(1.0)


def save_thumbnail(frame: YuvFrame, path: Path) -> None:
    rgb = planes_to_rgb(*frame.planes())
    Image.fromarray(rgb).save(path, "JPEG", quality=88, optimize=True)
