"""GET /videos, GET /videos/{id}, POST /videos/{id}/approve|reject|publish, GET .../metrics.

A video is a completed job; its id is the job id. Review moves only from ``generated``
(``lifecycle.decide``, applied inside ``JobStore.update``); only an approved video is published
(``services.publish_video``), and approving one whose config says ``auto_post`` publishes it.
"""

from __future__ import annotations

from datetime import datetime

import flask

from trendreel import services
from trendreel.api import inputs, media, video_details
from trendreel.api.errors import bad_request, not_found
from trendreel.api.routing import Call, respond
from trendreel.api.schemas import (
    MetricsSeries,
    PublishBody,
    ReviewRequest,
    VideoDetail,
    VideoList,
    VideoMetrics,
    VideosQuery,
    VideoStatus,
    VideoSummary,
)
from trendreel.api.views import video_status, video_summary
from trendreel.models import Job, JobStatus
from trendreel.models.publishing import Privacy, PublishPlatform
from trendreel.ports import JobStore

#: Filtering by review state reads at most this many pages of ``limit`` jobs per request, so the
#: cost stays proportional to ``limit``; a short page with a next_cursor means "keep going".
MAX_PAGES = 10


def scan(
    store: JobStore, wanted: VideoStatus | None, limit: int, cursor: str | None
) -> tuple[list[Job], str | None]:
    found: list[Job] = []
    for _ in range(MAX_PAGES):
        # Ask only for what is still missing: the page's cursor is then exactly where we stop.
        page, cursor = store.list_jobs(
            status=JobStatus.COMPLETED, limit=limit - len(found), cursor=cursor
        )
        found += [job for job in page if wanted is None or video_status(job) == wanted]
        if len(found) >= limit or cursor is None:
            break
    return found, cursor


def _detail_url(call: Call, job: Job) -> str:
    return call.url(f"/videos/{job.id}")


def _summary(call: Call, job: Job) -> VideoSummary:
    # The list links the api's thumbnail route (bearer or dashboard auth); the detail signs it.
    return video_summary(job, _detail_url(call, job), call.url(f"/videos/{job.id}/thumbnail.jpg"))


def list_videos(call: Call) -> flask.Response:
    query = inputs.parse_query(call.request, VideosQuery)
    try:
        jobs, cursor = scan(call.rt.store, query.status, query.limit, query.cursor)
    except ValueError as exc:
        raise bad_request("invalid_cursor", "cursor is not one this api handed out") from exc
    videos = [_summary(call, job) for job in jobs]
    return respond(200, VideoList(count=len(videos), videos=videos, next_cursor=cursor))


def get_video(call: Call) -> flask.Response:
    job = call.job("video_id")
    if job.status != JobStatus.COMPLETED:
        raise not_found("video_not_found", f"job {job.id} has no video yet (it is {job.status})")
    found = video_details.manifest(call.rt.blobs, job.id)
    script = video_details.script_summary(found) if found else None
    links = media.links(call, job)
    detail = VideoDetail(
        **video_summary(job, _detail_url(call, job), links.thumbnail_url).model_dump(),
        title=script.title if script else None,
        script=script,
        chosen_topic=video_details.topic_summary(found) if found else None,
        qc=video_details.qc_summary(found.qc) if found else None,
        estimated_cost_usd=found.estimated_cost_usd if found else None,
        media=links,
        captions=video_details.captions(call.rt.blobs, job.id),
        assets=found.assets if found else [],
    )
    return respond(200, detail)


def _decide(call: Call, approve: bool) -> flask.Response:
    body = inputs.parse_body(call.request, ReviewRequest, call.rt.settings.max_body_bytes)
    video_id = inputs.job_id(call.params["video_id"])
    job = services.review_video(call.rt, video_id, approve, body.reason)
    return respond(200, _summary(call, job))


def approve_video(call: Call) -> flask.Response:
    return _decide(call, approve=True)


def reject_video(call: Call) -> flask.Response:
    return _decide(call, approve=False)


def publish(call: Call) -> flask.Response:
    """Queue the approved video's posts; asking again is safe (nothing is published twice)."""
    body = inputs.parse_body(call.request, PublishBody, call.rt.settings.max_body_bytes)
    job = call.job("video_id")
    platforms = body.platforms or _target(job)
    privacy = body.privacy or Privacy(call.rt.settings.publish_privacy)
    if body.publish_at is not None:
        _check_schedule(call, body.publish_at, privacy, platforms)
    ask = services.PublishAsk(list(dict.fromkeys(platforms)), privacy, body.publish_at, "api")
    job = services.publish_video(call.rt, job.id, ask)
    return respond(202, _summary(call, job))


def _check_schedule(
    call: Call, publish_at: datetime, privacy: Privacy, platforms: list[PublishPlatform]
) -> None:
    """Scheduled publishing is YouTube's alone: the video is private until ``publish_at``,
    then public (so public must be what was asked for). Refused before anything is queued."""
    if publish_at <= call.rt.clock():
        raise bad_request("invalid_publish_at", "publish_at must be in the future")
    if PublishPlatform.TIKTOK in platforms:
        raise bad_request(
            "invalid_publish_at",
            "TikTok's Direct Post has no scheduled publishing: publish to tiktok without "
            "publish_at, or schedule youtube alone",
        )
    if privacy != Privacy.PUBLIC:
        raise bad_request(
            "invalid_publish_at",
            f"a scheduled video stays private until publish_at and then turns public, but "
            f"{privacy.value} was asked for: ask for privacy public, or drop publish_at",
        )


def _target(job: Job) -> list[PublishPlatform]:
    target = job.config.config.target_platform
    platform = services.TARGET_PLATFORMS.get(target)
    if platform is None:
        raise bad_request(
            "platform_not_supported",
            f"the video's target_platform {target} cannot be published to; name platforms "
            f"({', '.join(p.value for p in PublishPlatform)})",
        )
    return [platform]


def metrics(call: Call) -> flask.Response:
    """Each publication's readings (views, likes, comments about 1 h, 24 h and 7 d after
    publishing), oldest first."""
    job = call.job("video_id")
    if job.status != JobStatus.COMPLETED:
        raise not_found("video_not_found", f"job {job.id} has no video yet (it is {job.status})")
    series = [
        MetricsSeries(
            platform=pub.platform,
            remote_id=pub.remote_id,
            url=pub.url,
            published_at=pub.published_at,
            next_reading_at=pub.metrics_due_at,
            readings=pub.metrics,
        )
        for pub in job.publications.values()
    ]
    return respond(200, VideoMetrics(video_id=job.id, series=series))
