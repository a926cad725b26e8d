"""Stage 4: compose the 1080×1920 video, its thumbnail and caption cues from stage 3's outputs.

Inputs are downloaded to a scratch directory that is deleted when the stage ends; the video is
rendered there and uploaded to its deterministic key, so a rerun replaces it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pydantic import TypeAdapter

from trendreel.media.encoder import EncodeSettings
from trendreel.media.layout import FPS
from trendreel.media.render import render
from trendreel.media.timeline import build_plan
from trendreel.models import (
    CaptionCue,
    JobSpec,
    MusicTrack,
    Script,
    Stage,
    StageResult,
    VisualPlan,
    VoiceoverInfo,
)
from trendreel.settings import Settings
from trendreel.stages import content_generation as cg
from trendreel.stages import keys
from trendreel.stages.common import finish
from trendreel.stages.context import StageContext, get_model, key

STAGE = Stage.COMPOSITION
VIDEO, THUMBNAIL, CAPTIONS = keys.VIDEO, keys.THUMBNAIL, keys.CAPTIONS
CUES = TypeAdapter(list[CaptionCue])


def encode_settings(settings: Settings) -> EncodeSettings:
    threads = settings.encoder_threads or os.cpu_count() or 2
    return EncodeSettings(preset=settings.x264_preset, crf=settings.x264_crf, threads=threads)


def run(job: JobSpec, ctx: StageContext) -> StageResult:
    started = time.perf_counter()

    def src(name: str) -> str:
        return key(job.job_id, cg.STAGE, name)

    script = get_model(ctx.blobs, src(cg.SCRIPT), Script)
    voice = get_model(ctx.blobs, src(cg.VOICE), VoiceoverInfo)
    visuals = get_model(ctx.blobs, src(cg.VISUALS), VisualPlan)
    music = get_model(ctx.blobs, src(cg.MUSIC), MusicTrack)
    plan = build_plan(script, voice, visuals.choices, visuals.palette, cg.job_seed(job.job_id), FPS)
    with ctx.scratch() as scratch:
        voice_path = ctx.blobs.get_file(voice.audio_key, scratch / "voice.wav")
        music_path = ctx.blobs.get_file(music.audio_key, scratch / "music.wav")

        def footage(asset_key: str) -> Path:
            return ctx.blobs.get_file(asset_key, scratch / "footage" / Path(asset_key).name)

        ctx.progress(0.02, f"rendering {plan.frame_count} frames")
        result = render(
            plan,
            voice=voice_path,
            music=music_path,
            footage=footage,
            scratch=scratch,
            out_video=scratch / VIDEO,
            out_thumbnail=scratch / THUMBNAIL,
            settings=encode_settings(ctx.settings),
            progress=lambda f: ctx.progress(0.02 + 0.95 * f, "rendering"),
        )
        out = key(job.job_id, STAGE, VIDEO)
        ctx.blobs.put_file(out, result.video, "video/mp4")
        thumb = key(job.job_id, STAGE, THUMBNAIL)
        ctx.blobs.put_file(thumb, result.thumbnail, "image/jpeg")
        size = result.video.stat().st_size
    cues = key(job.job_id, STAGE, CAPTIONS)
    ctx.blobs.put_bytes(cues, CUES.dump_json(result.cues, indent=2), "application/json")
    summary: dict[str, object] = {
        "frames": result.frames,
        "duration_seconds": round(result.duration, 3),
        "bytes": size,
        "mix_lufs": round(result.mix.integrated_lufs, 2),
        "mix_gain_db": round(result.mix.gain_db, 2),
        "mix_passes": result.mix.passes,
        "caption_words": len(result.cues),
        "encoder": encode_settings(ctx.settings).__dict__,
    }
    return finish(
        STAGE, ctx, started, {"video": out, "thumbnail": thumb, "captions": cues}, summary
    )
