"""Stage 3: script, voiceover (with word timings), visuals per scene and a music bed."""

from __future__ import annotations

import hashlib
import time

from trendreel.media import wav
from trendreel.media.palette import choose_palette
from trendreel.media.timeline import VOICE_OFFSET, narration_for, outro_seconds
from trendreel.models import JobSpec, Stage, StageResult, TrendReport, VoiceoverInfo
from trendreel.stages import keys, trend_analysis
from trendreel.stages.common import finish
from trendreel.stages.context import StageContext, get_model, key, put_model
from trendreel.stages.voiceover import voice_script

STAGE = Stage.CONTENT_GENERATION
SCRIPT, VOICE_WAV, VOICE = keys.SCRIPT, keys.VOICE_WAV, keys.VOICE
VISUALS, MUSIC_WAV, MUSIC = keys.VISUALS, keys.MUSIC_WAV, keys.MUSIC


def job_seed(job_id: str) -> int:
    """Deterministic per job: the same job always gets the same visuals and music."""
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:4], "big")


def narration_target(video_seconds: float) -> float:
    return max(narration_for(video_seconds), 3.0)


def run(job: JobSpec, ctx: StageContext) -> StageResult:
    started = time.perf_counter()
    p = ctx.providers

    def k(name: str) -> str:
        return key(job.job_id, STAGE, name)

    report = get_model(
        ctx.blobs, key(job.job_id, trend_analysis.STAGE, trend_analysis.OUTPUT), TrendReport
    )
    video_target = job.config.config.video_duration_seconds
    target = narration_target(video_target)
    ctx.progress(0.05, f"writing the script ({p.writer.name})")
    script = p.writer.write(report, job.config, round(target), ctx.usage)
    put_model(ctx.blobs, k(SCRIPT), script)

    ctx.progress(0.3, f"voicing {script.word_count()} words ({p.tts.name})")
    speech, bounds, rate = voice_script(p.tts, script, target, ctx.usage)
    ctx.blobs.put_bytes(k(VOICE_WAV), wav.to_bytes(speech.samples, speech.sample_rate), "audio/wav")
    voice = VoiceoverInfo(
        provider=p.tts.name,
        voice=p.tts.voice,
        sample_rate=speech.sample_rate,
        duration_seconds=round(speech.duration, 4),
        words=speech.words,
        scene_bounds=bounds,
        speaking_rate_wpm=round(rate, 1),
        audio_key=k(VOICE_WAV),
    )
    put_model(ctx.blobs, k(VOICE), voice)

    seed = job_seed(job.job_id)
    ctx.progress(0.6, f"choosing visuals ({p.visuals.name})")
    plan = p.visuals.choose(script, bounds, seed, ctx.blobs, k("visuals"), ctx.usage)
    plan = plan.model_copy(update={"palette": choose_palette(job.config.config.style, seed)})
    put_model(ctx.blobs, k(VISUALS), plan)

    ctx.progress(0.8, f"preparing music ({p.music.name})")
    length = VOICE_OFFSET + speech.duration + outro_seconds(speech.duration) + 1.0
    track = p.music.track(length, job.config.config.style, seed, ctx.blobs, k(MUSIC_WAV), ctx.usage)
    put_model(ctx.blobs, k(MUSIC), track)

    outputs = {
        "script": k(SCRIPT),
        "voiceover_audio": k(VOICE_WAV),
        "voiceover": k(VOICE),
        "visuals": k(VISUALS),
        "music_audio": k(MUSIC_WAV),
        "music": k(MUSIC),
    }
    summary: dict[str, object] = {
        "title": script.title,
        "scenes": len(script.scenes),
        "words": script.word_count(),
        "voice_seconds": round(speech.duration, 2),
        "speaking_rate_wpm": round(rate, 1),
        "visuals": [c.template for c in plan.choices],
        "music": track.title,
    }
    return finish(STAGE, ctx, started, outputs, summary)
