"""Running all five stages in one process (``trendreel render``).

The serverless runner calls the very same stage functions, one per task delivery.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from trendreel.lifecycle import new_job_id
from trendreel.models import JobSpec, Stage, StageResult, ThemeConfig
from trendreel.stages import (
    composition,
    content_generation,
    review,
    trend_analysis,
    trend_collection,
)
from trendreel.stages.common import StageFn, execute
from trendreel.stages.context import StageContext

STAGE_FUNCTIONS: dict[Stage, StageFn] = {
    Stage.TREND_COLLECTION: trend_collection.run,
    Stage.TREND_ANALYSIS: trend_analysis.run,
    Stage.CONTENT_GENERATION: content_generation.run,
    Stage.COMPOSITION: composition.run,
    Stage.REVIEW: review.run,
}
StageListener = Callable[[Stage, StageResult], None]


def new_job(config: ThemeConfig, now: datetime, inputs: dict[str, Any]) -> JobSpec:
    return JobSpec(job_id=new_job_id(now), config=config, created_at=now, inputs=inputs)


def run_stage(stage: Stage, job: JobSpec, ctx: StageContext) -> StageResult:
    return execute(stage, STAGE_FUNCTIONS[stage], job, ctx)


def run_all(
    job: JobSpec,
    ctx: StageContext,
    on_start: Callable[[Stage], None] | None = None,
    on_done: StageListener | None = None,
) -> list[StageResult]:
    results = []
    for stage in Stage:
        if on_start is not None:
            on_start(stage)
        result = run_stage(stage, job, ctx)
        results.append(result)
        if on_done is not None:
            on_done(stage, result)
    return results
