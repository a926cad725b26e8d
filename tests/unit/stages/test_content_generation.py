"""Stage 3 with fake providers: every output at its key, deterministic seed, palette, lengths."""

from __future__ import annotations

import hashlib
import io
import wave
from pathlib import Path

import pytest

from tests.unit.stages.fakes import (
    FAKE_PALETTE,
    JOB_ID,
    make_ctx,
    make_job,
    make_report,
)
from trendreel.errors import StageError
from trendreel.media.palette import choose_palette
from trendreel.media.timeline import OUTRO, VOICE_OFFSET, outro_seconds
from trendreel.models import MusicTrack, Script, Stage, VisualPlan, VoiceoverInfo
from trendreel.stages import content_generation as cg
from trendreel.stages.common import execute
from trendreel.stages.context import StageContext, get_model, put_model
from trendreel.stages.voiceover import RATE_TOLERANCE

PREFIX = f"jobs/{JOB_ID}/content_generation"
REPORT_KEY = f"jobs/{JOB_ID}/trend_analysis/report.json"


def _ctx(tmp_path: Path) -> StageContext:
    ctx = make_ctx(tmp_path)
    put_model(ctx.blobs, REPORT_KEY, make_report())
    return ctx


def _wav(data: bytes) -> tuple[int, float]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), w.getnframes() / w.getframerate()


def test_narration_target_leaves_room_for_the_voice_offset_and_outro() -> None:
    assert cg.narration_target(30) == pytest.approx(30 - VOICE_OFFSET - OUTRO)
    assert cg.narration_target(120) == pytest.approx(120 - VOICE_OFFSET - OUTRO)
    for video in (5, 6, 8, 10):  # short videos shorten the outro so they still fit
        narration = cg.narration_target(video)
        assert VOICE_OFFSET + narration + outro_seconds(narration) == pytest.approx(video)
    assert cg.narration_target(3) == 3.0  # floor: never plan less than three seconds of speech


def test_job_seed_is_deterministic_per_job() -> None:
    expected = int.from_bytes(hashlib.sha256(JOB_ID.encode()).digest()[:4], "big")
    assert cg.job_seed(JOB_ID) == expected
    assert cg.job_seed(JOB_ID) == cg.job_seed(JOB_ID)
    assert cg.job_seed("job-test-0002") != cg.job_seed(JOB_ID)
    assert 0 <= cg.job_seed(JOB_ID) < 2**32


def test_writes_every_output_at_its_key(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    job = make_job(duration=30, style="calm")
    result = execute(Stage.CONTENT_GENERATION, cg.run, job, ctx)

    names = ["script.json", "voiceover.wav", "voiceover.json", "visuals.json", "music.wav",
             "music.json"]  # fmt: skip
    assert result.outputs == {
        "script": f"{PREFIX}/script.json",
        "voiceover_audio": f"{PREFIX}/voiceover.wav",
        "voiceover": f"{PREFIX}/voiceover.json",
        "visuals": f"{PREFIX}/visuals.json",
        "music_audio": f"{PREFIX}/music.wav",
        "music": f"{PREFIX}/music.json",
    }
    for name in names:
        assert ctx.blobs.exists(f"{PREFIX}/{name}"), name
    assert ctx.blobs.exists(f"{PREFIX}/result.json")

    target = 30 - VOICE_OFFSET - OUTRO
    script = get_model(ctx.blobs, f"{PREFIX}/script.json", Script)
    assert script.target_seconds == round(target)  # the writer was asked for the narration

    voice = get_model(ctx.blobs, f"{PREFIX}/voiceover.json", VoiceoverInfo)
    rate, seconds = _wav(ctx.blobs.get_bytes(voice.audio_key))
    assert voice.audio_key == f"{PREFIX}/voiceover.wav"
    assert (voice.provider, voice.voice) == ("fake-tts", "fake-voice")
    assert voice.sample_rate == rate == 8000
    assert voice.duration_seconds == pytest.approx(seconds, abs=1e-3)
    assert abs(voice.duration_seconds / target - 1) <= RATE_TOLERANCE
    assert len(voice.words) == script.word_count()
    assert len(voice.scene_bounds) == len(script.scenes)

    plan = get_model(ctx.blobs, f"{PREFIX}/visuals.json", VisualPlan)
    seed = cg.job_seed(JOB_ID)
    assert plan.palette == choose_palette("calm", seed)
    assert plan.palette != FAKE_PALETTE
    assert [c.scene_index for c in plan.choices] == [s.index for s in script.scenes]
    for choice in plan.choices:
        assert choice.params["seed"] == seed
        assert choice.asset_key is not None
        assert choice.asset_key.startswith(f"{PREFIX}/visuals/")
        assert ctx.blobs.exists(choice.asset_key)

    music = get_model(ctx.blobs, f"{PREFIX}/music.json", MusicTrack)
    assert music.audio_key == f"{PREFIX}/music.wav"
    assert music.mood == "calm"
    _, music_seconds = _wav(ctx.blobs.get_bytes(music.audio_key))
    assert music_seconds >= VOICE_OFFSET + voice.duration_seconds + OUTRO

    assert result.summary["scenes"] == len(script.scenes)
    assert result.summary["words"] == script.word_count()
    assert {c.provider for c in result.provider_calls} == {
        "fake-writer",
        "fake-tts",
        "fake-visuals",
        "fake-music",
    }


def test_a_rerun_gives_the_same_outputs_at_the_same_keys(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    job = make_job()
    execute(Stage.CONTENT_GENERATION, cg.run, job, ctx)
    keys = ctx.blobs.list(PREFIX)
    first = {k: ctx.blobs.get_bytes(k) for k in keys if not k.endswith("result.json")}
    execute(Stage.CONTENT_GENERATION, cg.run, job, ctx)
    assert ctx.blobs.list(PREFIX) == keys
    assert {k: ctx.blobs.get_bytes(k) for k in first} == first


def test_the_visuals_and_music_providers_see_the_job_seed(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    other = make_job(job_id="job-test-0002")
    put_model(ctx.blobs, f"jobs/{other.job_id}/trend_analysis/report.json", make_report())
    execute(Stage.CONTENT_GENERATION, cg.run, make_job(), ctx)
    execute(Stage.CONTENT_GENERATION, cg.run, other, ctx)
    a = get_model(ctx.blobs, f"{PREFIX}/music.json", MusicTrack)
    b = get_model(ctx.blobs, f"jobs/{other.job_id}/content_generation/music.json", MusicTrack)
    assert a.title == f"energetic bed #{cg.job_seed(JOB_ID) % 100}"
    assert b.title == f"energetic bed #{cg.job_seed(other.job_id) % 100}"
    a_plan = get_model(ctx.blobs, f"{PREFIX}/visuals.json", VisualPlan)
    b_plan = get_model(
        ctx.blobs, f"jobs/{other.job_id}/content_generation/visuals.json", VisualPlan
    )
    assert a_plan.choices[0].params["seed"] == cg.job_seed(JOB_ID)
    assert b_plan.choices[0].params["seed"] == cg.job_seed(other.job_id)


def test_missing_trend_report_is_blob_not_found(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    with pytest.raises(StageError) as caught:
        execute(Stage.CONTENT_GENERATION, cg.run, make_job(), ctx)
    err = caught.value
    assert (err.stage, err.code) == ("content_generation", "blob_not_found")
    assert REPORT_KEY in err.message
    assert ctx.blobs.list(PREFIX) == []
