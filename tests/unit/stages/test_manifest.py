"""manifest.build on hand-made stage outputs: assets, provider calls, cost and timings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.stages.fakes import JOB_ID, NOW, make_job, make_report, make_script
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.errors import BlobNotFoundError
from trendreel.models import (
    Asset,
    MusicTrack,
    ProviderCall,
    QCCheck,
    QCReport,
    Stage,
    StageResult,
    VisualChoice,
    VisualPlan,
    VoiceoverInfo,
    WordTiming,
)
from trendreel.stages import manifest
from trendreel.stages.common import RESULT_NAME
from trendreel.stages.context import key, put_model

CG = Stage.CONTENT_GENERATION
VOICE_KEY = key(JOB_ID, CG, "voiceover.wav")
MUSIC_KEY = key(JOB_ID, CG, "music.wav")
CLIP_KEY = key(JOB_ID, CG, "visuals/scene_01.mp4")


def _call(provider: str, cost: float, operation: str = "op") -> ProviderCall:
    return ProviderCall(
        provider=provider, operation=operation, units=1, unit_name="requests",
        estimated_cost_usd=cost,
    )  # fmt: skip


def _result(stage: Stage, calls: list[ProviderCall], seconds: float = 1.5) -> StageResult:
    start = NOW + timedelta(seconds=10 * stage.position)
    return StageResult(
        stage=stage,
        outputs={"out": key(JOB_ID, stage, "out.json")},
        provider_calls=calls,
        started_at=start,
        finished_at=start + timedelta(seconds=seconds),
        seconds=seconds,
    )


def _blobs(root: Path) -> LocalBlobStore:
    blobs = LocalBlobStore(root)
    put_model(blobs, key(JOB_ID, Stage.TREND_ANALYSIS, "report.json"), make_report())
    put_model(blobs, key(JOB_ID, CG, "script.json"), make_script([3, 2]))
    words = [
        WordTiming(word="one", start=0.0, end=0.3, scene_index=0),
        WordTiming(word="two", start=0.4, end=0.7, scene_index=1),
    ]
    voice = VoiceoverInfo(
        provider="espeak", voice="en-us", sample_rate=22050, duration_seconds=0.8, words=words,
        scene_bounds=[(0.0, 0.3), (0.4, 0.8)], speaking_rate_wpm=160.0, audio_key=VOICE_KEY,
    )  # fmt: skip
    put_model(blobs, key(JOB_ID, CG, "voiceover.json"), voice)
    plan = VisualPlan(
        provider="mixed",
        palette=["#000000"],
        choices=[
            VisualChoice(
                scene_index=0, kind="procedural", template="gradient", provider="procedural",
                licence="generated", reason="hook card",
            ),
            VisualChoice(
                scene_index=1, kind="video", template="footage", asset_key=CLIP_KEY,
                source_url="https://www.pexels.com/video/42/", provider="pexels",
                licence="Pexels License", reason="keyword battery",
            ),
        ],
    )  # fmt: skip
    put_model(blobs, key(JOB_ID, CG, "visuals.json"), plan)
    music = MusicTrack(
        provider="generated", audio_key=MUSIC_KEY, title="calm bed", source="synth",
        licence="CC0", duration_seconds=4.0, mood="calm",
    )  # fmt: skip
    put_model(blobs, key(JOB_ID, CG, "music.json"), music)
    put_model(blobs, key(JOB_ID, Stage.TREND_COLLECTION, RESULT_NAME),
              _result(Stage.TREND_COLLECTION, [_call("youtube", 0.0)]))  # fmt: skip
    put_model(blobs, key(JOB_ID, Stage.TREND_ANALYSIS, RESULT_NAME),
              _result(Stage.TREND_ANALYSIS, [_call("gemini", 0.25)]))  # fmt: skip
    put_model(blobs, key(JOB_ID, CG, RESULT_NAME),
              _result(CG, [_call("google", 0.125), _call("pexels", 0.0625)]))  # fmt: skip
    return blobs


QC = QCReport(file_key="video.mp4", passed=True, checks=[QCCheck(name="duration", passed=True)])


def test_assets_list_voice_music_font_and_every_visual(tmp_path: Path) -> None:
    built = manifest.build(make_job(), _blobs(tmp_path), QC, [])
    by_kind: dict[str, list[Asset]] = {}
    for asset in built.assets:
        by_kind.setdefault(asset.kind, []).append(asset)

    [voice] = by_kind["voiceover"]
    assert (voice.key, voice.provider, voice.source) == (VOICE_KEY, "espeak", "espeak:en-us")
    assert "espeak" in voice.licence
    [music] = by_kind["music"]
    assert (music.key, music.provider, music.source, music.licence, music.detail) == (
        MUSIC_KEY, "generated", "synth", "CC0", "calm bed",
    )  # fmt: skip
    [font] = by_kind["font"]
    assert (font.provider, font.licence) == ("font-roboto", "Apache-2.0")
    [procedural] = by_kind["visual:procedural"]
    assert procedural.key == "procedural:gradient#0"
    assert (procedural.provider, procedural.licence) == ("procedural", "generated")
    assert "gradient" in procedural.source
    [footage] = by_kind["visual:video"]
    assert (footage.key, footage.provider, footage.licence, footage.source) == (
        CLIP_KEY, "pexels", "Pexels License", "https://www.pexels.com/video/42/",
    )  # fmt: skip
    assert len(built.assets) == 5


def test_provider_calls_cost_and_timings_come_from_every_stage_result(tmp_path: Path) -> None:
    review = _result(Stage.REVIEW, [_call("qc", 0.5)], seconds=2.0)
    built = manifest.build(make_job(), _blobs(tmp_path), QC, [review])

    assert sorted(c.provider for c in built.provider_calls) == [
        "gemini", "google", "pexels", "qc", "youtube",
    ]  # fmt: skip
    assert built.estimated_cost_usd == pytest.approx(0.25 + 0.125 + 0.0625 + 0.5)
    assert [t.stage for t in built.stage_timings] == [
        "trend_collection", "trend_analysis", "content_generation", "review",
    ]  # fmt: skip
    review_timing = built.stage_timings[-1]
    assert review_timing.seconds == 2.0
    assert review_timing.finished_at - review_timing.started_at == timedelta(seconds=2)
    assert built.outputs["review.out"] == key(JOB_ID, Stage.REVIEW, "out.json")
    assert built.qc == QC
    assert built.job_id == JOB_ID
    assert built.chosen_topic["label"] == "phone battery"
    assert [w["word"] for w in built.word_timings] == ["one", "two"]
    assert built.inputs["config"]["config"]["video_duration_seconds"] == 30


def test_a_rerun_stage_is_counted_once(tmp_path: Path) -> None:
    blobs = _blobs(tmp_path)
    earlier = _result(Stage.REVIEW, [_call("qc", 0.5)], seconds=2.0)
    put_model(blobs, key(JOB_ID, Stage.REVIEW, RESULT_NAME), earlier)  # from the first run
    rerun = _result(Stage.REVIEW, [_call("qc", 0.5)], seconds=3.0)

    built = manifest.build(make_job(), blobs, QC, [rerun])

    assert [t.stage for t in built.stage_timings].count("review") == 1
    assert built.estimated_cost_usd == pytest.approx(0.25 + 0.125 + 0.0625 + 0.5)


def test_missing_stage_results_are_skipped(tmp_path: Path) -> None:
    blobs = _blobs(tmp_path)
    blobs.delete_prefix(key(JOB_ID, Stage.TREND_COLLECTION, RESULT_NAME))
    built = manifest.build(make_job(), blobs, None, [])
    assert [t.stage for t in built.stage_timings] == ["trend_analysis", "content_generation"]
    assert built.qc is None


def test_a_missing_content_output_is_blob_not_found(tmp_path: Path) -> None:
    blobs = _blobs(tmp_path)
    blobs.delete_prefix(key(JOB_ID, CG, "music.json"))
    with pytest.raises(BlobNotFoundError, match=r"music\.json"):
        manifest.build(make_job(), blobs, None, [])
