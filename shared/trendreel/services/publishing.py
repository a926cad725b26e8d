"""Review and publishing services: a person's decision, publication requests, their
follow-ups and re-drives, and the numbers read back (see ``trendreel.services``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from trendreel import lifecycle
from trendreel.bootstrap import Runtime
from trendreel.errors import TaskNotQueuedError, TrendreelError
from trendreel.models import Job
from trendreel.models.publishing import (
    Privacy,
    Publication,
    PublicationStatus,
    PublishPlatform,
    PublishTask,
)
from trendreel.providers.base import UsageLog
from trendreel.publishing import transitions
from trendreel.services.events import notify
from trendreel.tasks import enqueue

log = logging.getLogger(__name__)
METRICS_BATCH = 100


#: The theme config's target_platform, as a platform trendreel publishes to.
TARGET_PLATFORMS = {"youtube_shorts": PublishPlatform.YOUTUBE, "tiktok": PublishPlatform.TIKTOK}


@dataclass(frozen=True)
class PublishAsk:
    """A request to publish an approved video, already validated."""

    platforms: list[PublishPlatform]
    privacy: Privacy
    publish_at: datetime | None = None
    requested_by: str = "api"


def review_video(rt: Runtime, job_id: str, approve: bool, reason: str | None) -> Job:
    """A person's decision. Approving a video whose config says ``auto_post`` publishes it to
    the config's target platform: approval is the only way anything gets published."""
    now = rt.clock()
    job = rt.store.update(job_id, lambda j: lifecycle.decide(j, approve, reason, now))
    if approve:
        notify(rt, job, "video.approved")
    if approve and job.config.config.auto_post:
        platform = TARGET_PLATFORMS.get(job.config.config.target_platform)
        if platform is not None:  # the config's validation refuses any other with auto_post
            privacy = Privacy(rt.settings.publish_privacy)
            job = publish_video(rt, job.id, PublishAsk([platform], privacy, None, "auto_post"))
    return job


def publish_video(rt: Runtime, job_id: str, ask: PublishAsk) -> Job:
    """Ask for the platforms and queue a task for each one queued. Asking again is safe: a
    platform published or in flight is left alone, and its task name is deterministic."""
    now = rt.clock()
    job = rt.store.update(
        job_id,
        lambda j: transitions.request(
            j, ask.platforms, ask.privacy, ask.publish_at, ask.requested_by, now
        ),
    )
    for platform in ask.platforms:
        pub = job.publications[platform]
        if pub.status == PublicationStatus.QUEUED:
            task = PublishTask(job_id=job.id, platform=platform, generation=pub.generation)
            try:
                enqueue(rt.queue, task)
            except Exception as exc:
                log.exception("enqueue of publish to %s for %s failed", platform, job.id)
                recovery = "ask to publish again: the request is safe to repeat"
                raise TaskNotQueuedError(job.id, f"publish to {platform.value}", recovery) from exc
    return job


def follow_up_publish(rt: Runtime, task: PublishTask, delay_seconds: float) -> str:
    """The same publication asked again later (a live lease met, or the platform still
    processing): a new task with attempts of its own, under a deterministic name."""
    return enqueue(rt.queue, task.model_copy(update={"defer": task.defer + 1}), delay_seconds)


def published(rt: Runtime, job: Job, platform: PublishPlatform) -> None:
    """A publication went live: video.published to every subscribed webhook."""
    log.info("job %s published to %s", job.id, platform.value)
    notify(rt, job, "video.published", platform)


def publication_failed(rt: Runtime, job: Job, platform: PublishPlatform) -> None:
    """A publication failed for good: publication.failed to every subscribed webhook."""
    notify(rt, job, "publication.failed", platform)


def redrive_publications(rt: Runtime) -> list[str]:
    """Posts still queued ``REDRIVE_AFTER`` after they were asked for: their task may never have
    been created (the enqueue after approval failed). Queue it again under its deterministic
    name: a task that exists is not duplicated, a missing one is created."""
    now = rt.clock()
    redriven: list[str] = []
    for job in rt.store.publications_due(due_before=now, limit=METRICS_BATCH):
        for pub in job.publications.values():
            due = pub.redrive_at is not None and pub.redrive_at <= now
            if not due or pub.status != PublicationStatus.QUEUED:
                continue
            task = PublishTask(job_id=job.id, platform=pub.platform, generation=pub.generation)
            enqueue(rt.queue, task)
            try:
                rt.store.update(
                    job.id, partial(transitions.redriven, platform=pub.platform, now=now)
                )
            except lifecycle.StaleDeliveryError:
                continue  # claimed meanwhile: the delivery protocol has it
            redriven.append(f"{job.id}/{pub.platform.value}")
    return redriven


def collect_metrics(rt: Runtime) -> dict[str, Any]:
    """Read the numbers of every publication whose reading is due (about 1 h, 24 h and 7 d after
    publishing) and store them. A platform that fails is logged and asked again next run; the
    others are read regardless."""
    now = rt.clock()
    read: list[str] = []
    failed: list[str] = []
    for job in rt.store.publications_due(due_before=now, limit=METRICS_BATCH):
        for pub in job.publications.values():
            checkpoint = transitions.due_checkpoint(pub, now)
            if checkpoint is None or pub.remote_id is None:
                continue
            where = f"{job.id}/{pub.platform.value}/{checkpoint}"
            try:
                _read_one(rt, job, pub, checkpoint, now)
            except TrendreelError as exc:
                log.warning("metrics of %s failed: %s", where, exc)
                failed.append(where)
                continue
            read.append(where)
    return {"read": read, "failed": failed, "due_before": now.isoformat()}


def _read_one(rt: Runtime, job: Job, pub: Publication, checkpoint: str, now: datetime) -> None:
    assert pub.remote_id is not None
    reading = rt.publisher(pub.platform).metrics(pub.remote_id, checkpoint, now, UsageLog())
    platform = pub.platform

    def add(current: Job) -> Job:
        return transitions.add_reading(current, platform, reading, now)

    rt.store.update(job.id, add)
