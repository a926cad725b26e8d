"""Stage 5 (automatic part): checks on the script and on the actual output file, and the manifest.

The script check (``quality``: the hook's counts are delivered, every scene says what it shows)
runs on every script, whichever writer wrote it. The QC report, the script-check report and the
manifest are written whether or not the checks pass, so a failed video can be inspected; a
failure then fails the stage listing every problem, script problems first, each naming its scene.
A passing video waits for a person to approve or reject it.
"""

from __future__ import annotations

import time

from trendreel.errors import QCFailedError, ScriptCheckFailedError
from trendreel.media.qc import SpokenWord, run_qc
from trendreel.media.timeline import VOICE_OFFSET
from trendreel.models import JobSpec, QCReport, Script, Stage, StageResult, VoiceoverInfo
from trendreel.models.job import VideoFacts
from trendreel.quality import check_script
from trendreel.stages import composition, keys, manifest
from trendreel.stages import content_generation as cg
from trendreel.stages.common import finish
from trendreel.stages.context import StageContext, get_model, key, put_model

STAGE = Stage.REVIEW
QC, MANIFEST = keys.QC, keys.MANIFEST
SCRIPT_CHECK = "script_check.json"


def run(job: JobSpec, ctx: StageContext) -> StageResult:
    started = time.perf_counter()
    script = get_model(ctx.blobs, key(job.job_id, cg.STAGE, cg.SCRIPT), Script)
    script_report = check_script(script)  # cheap and independent of the file: both always run
    report = _check_file(job, ctx)
    outputs = {
        "qc": put_model(ctx.blobs, key(job.job_id, STAGE, QC), report),
        "script_check": put_model(ctx.blobs, key(job.job_id, STAGE, SCRIPT_CHECK), script_report),
        "manifest": key(job.job_id, STAGE, MANIFEST),
    }
    failed = [f"{c.name} (measured {c.measured}; expected {c.expected})" for c in report.failed()]
    problems = [problem.message for problem in script_report.problems]
    summary: dict[str, object] = {
        "qc_passed": report.passed,
        "failed_checks": failed,
        "script_check_passed": script_report.passed,
        "script_problems": problems,
    }
    result = finish(STAGE, ctx, started, outputs, summary)
    built = manifest.build(job, ctx.blobs, report, [result], script_report)
    facts = VideoFacts(
        title=script.title,
        duration_seconds=report.duration_seconds,
        cost_usd=built.estimated_cost_usd,
    )
    result.summary[VideoFacts.VIDEO_SUMMARY_KEY] = facts.model_dump(mode="json")
    put_model(ctx.blobs, outputs["manifest"], built)
    if problems:
        raise ScriptCheckFailedError(problems, failed)
    if failed:
        raise QCFailedError(failed)
    return result


def _check_file(job: JobSpec, ctx: StageContext) -> QCReport:
    voice = get_model(ctx.blobs, key(job.job_id, cg.STAGE, cg.VOICE), VoiceoverInfo)
    cues_key = key(job.job_id, composition.STAGE, composition.CAPTIONS)
    cues = composition.CUES.validate_json(ctx.blobs.get_bytes(cues_key))
    spoken = [SpokenWord(n, w.word, w.start + VOICE_OFFSET) for n, w in enumerate(voice.words)]
    video_key = key(job.job_id, composition.STAGE, composition.VIDEO)
    with ctx.scratch() as scratch:
        ctx.progress(0.1, "checking the rendered file")
        video = ctx.blobs.get_file(video_key, scratch / composition.VIDEO)
        return run_qc(video, video_key, cues, spoken, job.config.config.video_duration_seconds)
