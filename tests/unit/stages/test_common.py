"""stages.common.execute: error attribution, the result record and a fresh usage log per run."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from tests.unit.stages.fakes import JOB_ID, NOW, make_ctx, make_job
from trendreel.errors import (
    BlobNotFoundError,
    ConfigError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderRateLimitError,
    StageError,
    TrendreelError,
)
from trendreel.models import JobSpec, Stage, StageResult
from trendreel.stages.common import RESULT_NAME, StageFn, execute, finish
from trendreel.stages.context import StageContext, get_model

STAGE = Stage.TREND_ANALYSIS
RESULT_KEY = f"jobs/{JOB_ID}/trend_analysis/{RESULT_NAME}"


def _raising(exc: BaseException) -> StageFn:
    def fn(job: JobSpec, ctx: StageContext) -> StageResult:
        raise exc

    return fn


def _recording(operation: str) -> StageFn:
    def fn(job: JobSpec, ctx: StageContext) -> StageResult:
        started = time.perf_counter()
        ctx.usage.record("fake", operation, 2, "requests", 0.5)
        return finish(STAGE, ctx, started, {"report": "jobs/x/report.json"}, {"op": operation})

    return fn


@pytest.mark.parametrize(
    ("cause", "provider"),
    [
        (ProviderRateLimitError("gemini", "HTTP 429 after 3 retries"), "gemini"),
        (ProviderNotConfiguredError("pexels", "TRENDREEL_PEXELS_API_KEY"), "pexels"),
        (ProviderError("youtube", "odd answer", hint="Try another region."), "youtube"),
        (ConfigError("bad value", field="config.style"), None),
        (BlobNotFoundError("jobs/x/trend_collection/trends.json"), None),
    ],
)
def test_a_trendreel_error_becomes_a_stage_error(
    tmp_path: Path, cause: TrendreelError, provider: str | None
) -> None:
    ctx = make_ctx(tmp_path)
    with pytest.raises(StageError) as caught:
        execute(STAGE, _raising(cause), make_job(), ctx)
    err = caught.value
    assert err.stage == "trend_analysis"
    assert err.cause is cause
    assert err.__cause__ is cause
    assert err.code == cause.code
    assert err.retryable is cause.retryable
    assert err.provider == provider
    assert err.hint == cause.hint
    assert err.message == f"stage trend_analysis failed: {cause.message}"
    assert not ctx.blobs.exists(RESULT_KEY)


def test_stage_error_carries_provider_hint_and_retryability() -> None:
    cause = ProviderNotConfiguredError("pexels", "TRENDREEL_PEXELS_API_KEY")
    err = StageError("content_generation", cause)
    assert err.provider == "pexels"
    assert err.retryable is False
    assert "TRENDREEL_PEXELS_API_KEY" in err.hint
    assert StageError("x", ProviderRateLimitError("gemini", "slow")).retryable is True


def test_a_stage_error_raised_inside_passes_through_unchanged(tmp_path: Path) -> None:
    inner = StageError("trend_collection", ConfigError("nope"))
    with pytest.raises(StageError) as caught:
        execute(STAGE, _raising(inner), make_job(), make_ctx(tmp_path))
    assert caught.value is inner


def test_an_unexpected_exception_is_an_internal_error_of_the_stage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    boom = ZeroDivisionError("division by zero")
    with caplog.at_level(logging.ERROR), pytest.raises(StageError) as caught:
        execute(STAGE, _raising(boom), make_job(), make_ctx(tmp_path))
    err = caught.value
    assert (err.stage, err.code, err.retryable, err.provider) == (
        "trend_analysis",
        "internal_error",
        False,
        None,
    )
    assert "ZeroDivisionError: division by zero" in err.message
    assert err.__cause__ is boom
    assert "trend_analysis" in caplog.text


def test_the_result_is_written_on_success(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    result = execute(STAGE, _recording("first"), make_job(), ctx)
    stored = get_model(ctx.blobs, RESULT_KEY, StageResult)
    assert stored == result
    assert stored.stage is STAGE
    assert stored.outputs == {"report": "jobs/x/report.json"}
    assert stored.summary == {"op": "first"}
    assert stored.finished_at == NOW
    assert stored.started_at <= stored.finished_at
    assert stored.seconds >= 0


def test_usage_is_fresh_for_every_run(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    ctx.usage.record("leftover", "from before", 1, "requests", 9.0)
    first = execute(STAGE, _recording("first"), make_job(), ctx)
    second = execute(STAGE, _recording("second"), make_job(), ctx)
    assert [(c.provider, c.operation) for c in first.provider_calls] == [("fake", "first")]
    assert [(c.provider, c.operation) for c in second.provider_calls] == [("fake", "second")]
    stored = get_model(ctx.blobs, RESULT_KEY, StageResult)
    assert [c.operation for c in stored.provider_calls] == ["second"]
    assert stored.provider_calls[0].estimated_cost_usd == 0.5
