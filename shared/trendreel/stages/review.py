"""Stage 5 (automatic part): quality checks on the actual output file, and the job manifest.

The QC report and manifest are written whether or not the checks pass, so a failed video can be
inspected; a failure then fails the stage listing every failing check. A passing video waits for
a person to approve or reject it.
"""

from __future__ import annotations

import time

from trendreel.errors import QCFailedError
from trendreel.media.qc import SpokenWord, run_qc
from trendreel.media.timeline import VOICE_OFFSET
from trendreel.models import JobSpec, Stage, StageResult, VoiceoverInfo
from trendreel.stages import composition, keys, manifest
from trendreel.stages import content_generation as cg
from trendreel.stages.common import finish
from trendreel.stages.context import StageContext, get_model, key, put_model

STAGE = Stage.REVIEW
QC, MANIFEST = keys.QC, keys.MANIFEST


def run(job: JobSpec, ctx: StageContext) -> StageResult:
    started = time.perf_counter()
    voice = get_model(ctx.blobs, key(job.job_id, cg.STAGE, cg.VOICE), VoiceoverInfo)
    cues_key = key(job.job_id, composition.STAGE, composition.CAPTIONS)
    cues = composition.CUES.validate_json(ctx.blobs.get_bytes(cues_key))
    spoken = [SpokenWord(n, w.word, w.start + VOICE_OFFSET) for n, w in enumerate(voice.words)]
    video_key = key(job.job_id, composition.STAGE, composition.VIDEO)
    with ctx.scratch() as scratch:
        ctx.progress(0.1, "checking the rendered file")
        video = ctx.blobs.get_file(video_key, scratch / composition.VIDEO)
        report = run_qc(video, video_key, cues, spoken, job.config.config.video_duration_seconds)
    qc_key = put_model(ctx.blobs, key(job.job_id, STAGE, QC), report)
    failed = [f"{c.name} (measured {c.measured}; expected {c.expected})" for c in report.failed()]
    outputs = {"qc": qc_key, "manifest": key(job.job_id, STAGE, MANIFEST)}
    summary: dict[str, object] = {"qc_passed": report.passed, "failed_checks": failed}
    result = finish(STAGE, ctx, started, outputs, summary)
    built = manifest.build(job, ctx.blobs, report, [result])
    put_model(ctx.blobs, outputs["manifest"], built)
    if failed:
        raise QCFailedError(failed)
    return result
