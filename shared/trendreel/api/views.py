"""Job documents as the api shows them (no lease internals, no config snapshot)."""

from __future__ import annotations

from trendreel.api.schemas import (
    JobDetail,
    JobStatusView,
    PublicationView,
    StageRunView,
    VideoStatus,
    VideoSummary,
)
from trendreel.models import Job, JobStatus, ReviewStatus, Stage, StageRun
from trendreel.models.publishing import Publication, PublicationStatus


def job_status(job: Job) -> JobStatusView:
    return JobStatusView(
        id=job.id,
        status=job.status,
        stage=job.stage,
        completed_stages=job.completed_stages,
        total_stages=job.total_stages,
        progress_pct=job.progress_pct(),
        theme=job.theme,
        created_at=job.created_at,
        updated_at=job.updated_at,
        error_message=job.error_message,
    )


def _stage_run(run: StageRun) -> StageRunView:
    seconds = None
    if run.started_at and run.finished_at:
        seconds = round((run.finished_at - run.started_at).total_seconds(), 3)
    return StageRunView(
        attempts=run.attempts,
        started_at=run.started_at,
        finished_at=run.finished_at,
        seconds=seconds,
        progress=run.progress,
        message=run.message,
    )


def job_detail(job: Job, video_url: str) -> JobDetail:
    return JobDetail(
        **job_status(job).model_dump(),
        generation=job.generation,
        trigger=job.trigger,
        config_path=job.config_path,
        error=job.error,
        stages={stage: _stage_run(run) for stage, run in job.stages.items()},
        artifacts=job.artifacts,
        review=job.review,
        video_url=video_url if job.status == JobStatus.COMPLETED else None,
    )


def review_status(job: Job) -> ReviewStatus:
    return job.review.status if job.review else ReviewStatus.GENERATED


def video_status(job: Job) -> VideoStatus:
    if any(p.status == PublicationStatus.PUBLISHED for p in job.publications.values()):
        return VideoStatus.PUBLISHED
    return VideoStatus(review_status(job).value)


def publication_view(pub: Publication) -> PublicationView:
    return PublicationView(**pub.model_dump(include=set(PublicationView.model_fields)))


def _first_live(job: Job) -> Publication | None:
    live = [p for p in job.publications.values() if p.published_at is not None]
    return min(live, key=lambda p: p.published_at or p.updated_at, default=None)


def video_summary(job: Job, detail_url: str, thumbnail_url: str | None = None) -> VideoSummary:
    review = job.stages.get(Stage.REVIEW)
    live = _first_live(job)
    approved = job.review is not None and job.review.status == ReviewStatus.APPROVED
    return VideoSummary(
        id=job.id,
        job_id=job.id,
        status=video_status(job),
        thumbnail_url=thumbnail_url,
        duration_seconds=job.video.duration_seconds if job.video else None,
        cost_usd=job.video.cost_usd if job.video else None,
        approved_at=job.review.reviewed_at if approved and job.review else None,
        published_at=live.published_at if live else None,
        published_url=live.url if live else None,
        publications=[publication_view(p) for p in job.publications.values()],
        theme=job.theme,
        review_status=review_status(job),
        review_reason=job.review.reason if job.review else None,
        reviewed_at=job.review.reviewed_at if job.review else None,
        created_at=job.created_at,
        completed_at=(review.finished_at if review and review.finished_at else job.updated_at),
        detail_url=detail_url,
    )
