"""Running one stage: timing, usage capture, error attribution and its result record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from trendreel.errors import InternalError, StageError, TrendreelError
from trendreel.models import JobSpec, Stage, StageResult
from trendreel.providers.base import UsageLog
from trendreel.stages.context import StageContext, key, put_model

StageFn = Callable[[JobSpec, StageContext], StageResult]
RESULT_NAME = "result.json"
log = logging.getLogger(__name__)


def finish(
    stage: Stage,
    ctx: StageContext,
    started: float,
    outputs: dict[str, str],
    summary: dict[str, object],
) -> StageResult:
    """Build the stage's result (called by each stage at its end)."""
    now = ctx.clock()
    seconds = round(time.perf_counter() - started, 3)
    return StageResult(
        stage=stage,
        outputs=outputs,
        summary=summary,
        provider_calls=list(ctx.usage.calls),
        started_at=now.fromtimestamp(now.timestamp() - seconds, now.tzinfo),
        finished_at=now,
        seconds=seconds,
    )


def execute(stage: Stage, fn: StageFn, job: JobSpec, ctx: StageContext) -> StageResult:
    """Run ``fn`` with a fresh usage log; record its result; attribute any failure to ``stage``."""
    ctx.usage = UsageLog()
    try:
        result = fn(job, ctx)
    except StageError:
        raise
    except TrendreelError as exc:
        raise StageError(stage.value, exc) from exc
    except Exception as exc:
        # A bug still names its stage; the traceback stays attached as the cause.
        log.exception("unexpected error in stage %s", stage.value)
        raise StageError(stage.value, InternalError(exc)) from exc
    put_model(ctx.blobs, key(job.job_id, stage, RESULT_NAME), result)
    return result
