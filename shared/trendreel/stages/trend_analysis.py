"""Stage 2: turn the collected items into a trend report and choose this video's topic."""

from __future__ import annotations

import time

from trendreel.models import JobSpec, Stage, StageResult, TrendCollection
from trendreel.stages import keys, trend_collection
from trendreel.stages.common import finish
from trendreel.stages.context import StageContext, get_model, key, put_model

STAGE = Stage.TREND_ANALYSIS
OUTPUT = keys.REPORT


def run(job: JobSpec, ctx: StageContext) -> StageResult:
    started = time.perf_counter()
    collection = get_model(
        ctx.blobs, key(job.job_id, trend_collection.STAGE, trend_collection.OUTPUT), TrendCollection
    )
    ctx.progress(0.1, f"analysing {len(collection.items)} items with {ctx.providers.analyzer.name}")
    report = ctx.providers.analyzer.analyze(collection, job.config, ctx.clock(), ctx.usage)
    out = put_model(ctx.blobs, key(job.job_id, STAGE, OUTPUT), report)
    summary: dict[str, object] = {
        "chosen_topic": report.chosen_topic.label,
        "reason": report.chosen_topic.reason,
        "clusters": len(report.clusters),
    }
    return finish(STAGE, ctx, started, {"report": out}, summary)
