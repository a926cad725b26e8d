"""GET /trends and GET /trend-reports/latest: what the newest jobs' first stages stored."""

from __future__ import annotations

import logging
from typing import TypeVar

import flask
from pydantic import BaseModel, ValidationError

from trendreel.api import inputs
from trendreel.api.errors import not_found
from trendreel.api.routing import Call, respond
from trendreel.api.schemas import NoQuery, TrendReportResponse, TrendsQuery, TrendsResponse
from trendreel.errors import BlobNotFoundError
from trendreel.models import Stage, TrendCollection, TrendReport
from trendreel.ports import BlobStore, JobStore
from trendreel.stages import trend_analysis, trend_collection
from trendreel.stages.context import key

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
RECENT_JOBS = 20


def latest(
    store: JobStore, blobs: BlobStore, stage: Stage, name: str, model: type[M]
) -> tuple[str, M] | None:
    """The newest of the recent jobs that completed ``stage``, with that stage's output."""
    jobs, _ = store.list_jobs(status=None, limit=RECENT_JOBS, cursor=None)
    for job in jobs:
        if stage not in job.completed_stages:
            continue
        try:
            return job.id, model.model_validate_json(blobs.get_bytes(key(job.id, stage, name)))
        except BlobNotFoundError:
            continue  # outputs deleted: an older job may still have them
        except ValidationError:
            log.warning("%s output of job %s does not match the current schema", stage, job.id)
    return None


def trends(call: Call) -> flask.Response:
    query = inputs.parse_query(call.request, TrendsQuery)
    found = latest(
        call.rt.store,
        call.rt.blobs,
        trend_collection.STAGE,
        trend_collection.OUTPUT,
        TrendCollection,
    )
    if found is None:
        raise not_found("no_trends_yet", "no recent job has collected trends yet; POST /generate")
    job_id, collection = found
    items = [i for i in collection.items if query.platform in (None, i.platform)][: query.limit]
    body = TrendsResponse(
        job_id=job_id,
        collected_at=collection.collected_at,
        count=len(items),
        items=items,
        sources=collection.sources,
    )
    return respond(200, body)


def latest_report(call: Call) -> flask.Response:
    inputs.parse_query(call.request, NoQuery)
    found = latest(
        call.rt.store, call.rt.blobs, trend_analysis.STAGE, trend_analysis.OUTPUT, TrendReport
    )
    if found is None:
        raise not_found(
            "no_trend_report_yet", "no recent job has analysed trends yet; POST /generate"
        )
    job_id, report = found
    return respond(200, TrendReportResponse(job_id=job_id, report=report))
