"""Stage 1: collect trending items from every configured source.

A failing source is reported (which source, why) and the others still count; the stage fails
only when no source yields anything, naming every source's error.
"""

from __future__ import annotations

import time
from datetime import datetime

from trendreel.errors import NoTrendsError, TrendreelError
from trendreel.models import JobSpec, SourceReport, Stage, StageResult, TrendCollection, TrendItem
from trendreel.models.trends import ScoredTrendItem
from trendreel.providers.base import TrendSource, UsageLog
from trendreel.stages import keys
from trendreel.stages.common import finish
from trendreel.stages.context import StageContext, key, put_model

STAGE = Stage.TREND_COLLECTION
OUTPUT = keys.TRENDS


def _collect_one(
    source: TrendSource, now: datetime, limit: int, usage: UsageLog
) -> tuple[list[TrendItem], SourceReport]:
    started = time.perf_counter()
    try:
        items = source.collect(now, limit, usage)
    except TrendreelError as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        report = SourceReport(
            source=source.name,
            ok=False,
            error_code=exc.code,
            error=f"{exc.message} ({exc.hint})",
            retryable=exc.retryable,
            duration_ms=elapsed,
        )
        return [], report
    elapsed = int((time.perf_counter() - started) * 1000)
    return items, SourceReport(
        source=source.name, ok=True, item_count=len(items), duration_ms=elapsed
    )


def _score(items: list[TrendItem], now: datetime) -> list[ScoredTrendItem]:
    unique: dict[tuple[str, str], TrendItem] = {}
    for item in items:
        unique.setdefault((item.platform.value, item.external_id), item)
    scored = [
        ScoredTrendItem(
            **item.model_dump(), engagement_velocity_per_hour=item.engagement_velocity(now)
        )
        for item in unique.values()
    ]
    return sorted(scored, key=lambda i: (-i.engagement_velocity_per_hour, i.external_id))


def run(job: JobSpec, ctx: StageContext) -> StageResult:
    started = time.perf_counter()
    now = ctx.clock()
    gathered: list[TrendItem] = []
    reports: list[SourceReport] = []
    sources = ctx.providers.trend_sources
    for n, source in enumerate(sources):
        ctx.progress(n / len(sources), f"collecting from {source.name}")
        items, report = _collect_one(source, now, ctx.settings.trends_per_source, ctx.usage)
        gathered += items
        reports.append(report)
    if not gathered:
        reasons = "; ".join(f"{r.source}: {r.error or 'returned no items'}" for r in reports)
        error = NoTrendsError(f"no trend source yielded any items ({reasons})")
        error.retryable = any(r.retryable for r in reports)
        raise error
    collection = TrendCollection(collected_at=now, items=_score(gathered, now), sources=reports)
    out = put_model(ctx.blobs, key(job.job_id, STAGE, OUTPUT), collection)
    summary: dict[str, object] = {
        "items": len(collection.items),
        "sources": {
            r.source: (r.item_count if r.ok else f"failed: {r.error_code}") for r in reports
        },
    }
    return finish(STAGE, ctx, started, {"trends": out}, summary)
