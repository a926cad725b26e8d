"""GET /videos, GET /videos/{id}, POST /videos/{id}/approve, POST /videos/{id}/reject.

A video is a completed job; its id is the job id. Review moves only from ``generated``
(``lifecycle.decide``, applied inside ``JobStore.update``).
"""

from __future__ import annotations

import flask

from trendreel import lifecycle
from trendreel.api import inputs, media, video_details
from trendreel.api.errors import bad_request, not_found
from trendreel.api.routing import Call, respond
from trendreel.api.schemas import ReviewRequest, VideoDetail, VideoList, VideosQuery
from trendreel.api.views import review_status, video_summary
from trendreel.models import Job, JobStatus, ReviewStatus
from trendreel.ports import JobStore

#: Filtering by review state reads at most this many pages of ``limit`` jobs per request, so the
#: cost stays proportional to ``limit``; a short page with a next_cursor means "keep going".
MAX_PAGES = 10


def scan(
    store: JobStore, wanted: ReviewStatus | None, limit: int, cursor: str | None
) -> tuple[list[Job], str | None]:
    found: list[Job] = []
    for _ in range(MAX_PAGES):
        # Ask only for what is still missing: the page's cursor is then exactly where we stop.
        page, cursor = store.list_jobs(
            status=JobStatus.COMPLETED, limit=limit - len(found), cursor=cursor
        )
        found += [job for job in page if wanted is None or review_status(job) == wanted]
        if len(found) >= limit or cursor is None:
            break
    return found, cursor


def _detail_url(call: Call, job: Job) -> str:
    return call.url(f"/videos/{job.id}")


def list_videos(call: Call) -> flask.Response:
    query = inputs.parse_query(call.request, VideosQuery)
    try:
        jobs, cursor = scan(call.rt.store, query.status, query.limit, query.cursor)
    except ValueError as exc:
        raise bad_request("invalid_cursor", "cursor is not one this api handed out") from exc
    videos = [video_summary(job, _detail_url(call, job)) for job in jobs]
    return respond(200, VideoList(count=len(videos), videos=videos, next_cursor=cursor))


def get_video(call: Call) -> flask.Response:
    job = call.job("video_id")
    if job.status != JobStatus.COMPLETED:
        raise not_found("video_not_found", f"job {job.id} has no video yet (it is {job.status})")
    found = video_details.manifest(call.rt.blobs, job.id)
    script = video_details.script_summary(found) if found else None
    detail = VideoDetail(
        **video_summary(job, _detail_url(call, job)).model_dump(),
        title=script.title if script else None,
        script=script,
        chosen_topic=video_details.topic_summary(found) if found else None,
        qc=video_details.qc_summary(found.qc) if found else None,
        estimated_cost_usd=found.estimated_cost_usd if found else None,
        media=media.links(call, job),
        captions=video_details.captions(call.rt.blobs, job.id),
        assets=found.assets if found else [],
    )
    return respond(200, detail)


def _decide(call: Call, approve: bool) -> flask.Response:
    body = inputs.parse_body(call.request, ReviewRequest, call.rt.settings.max_body_bytes)
    video_id = inputs.job_id(call.params["video_id"])
    now = call.rt.clock()
    job = call.rt.store.update(
        video_id, lambda job: lifecycle.decide(job, approve, body.reason, now)
    )
    return respond(200, video_summary(job, _detail_url(call, job)))


def approve_video(call: Call) -> flask.Response:
    return _decide(call, approve=True)


def reject_video(call: Call) -> flask.Response:
    return _decide(call, approve=False)
