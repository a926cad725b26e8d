"""The service layer: everything that changes a job outside a stage's own work, in one place.

The api's routes, the stage functions (through the runner), the sweeper function, the local
server's sweep loop and the tests all call these; none of them enqueues or transitions a job by
itself. Each operation is a pure transition from ``lifecycle`` applied in a job-store transaction,
followed by the enqueue it implies under a deterministic task name, so running it twice is safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from trendreel import lifecycle
from trendreel.bootstrap import Runtime
from trendreel.errors import (
    ConfigError,
    IdempotencyConflictError,
    InvalidStateError,
    TaskNotQueuedError,
    TrendreelError,
)
from trendreel.models import Job, JobStatus, Stage, TaskPayload, ThemeConfig, Trigger
from trendreel.models.publishing import (
    Privacy,
    Publication,
    PublicationStatus,
    PublishPlatform,
    PublishTask,
)
from trendreel.providers.base import UsageLog
from trendreel.publishing import transitions
from trendreel.tasks import enqueue, task_name
from trendreel.webhooks.models import EventType

log = logging.getLogger(__name__)
SWEEP_BATCH = 100


@dataclass(frozen=True)
class NewJob:
    """A request to start a job, already validated."""

    config: ThemeConfig
    trigger: Trigger
    config_path: str | None = None
    idempotency_key: str | None = None
    fingerprint: str | None = None  # what the request asked for; a replay must ask the same


@dataclass(frozen=True)
class Accepted:
    job: Job
    created: bool  # False: a replay of an earlier request with the same idempotency key
    task_id: str


@dataclass(frozen=True)
class Resumed:
    job: Job
    stage: Stage
    task_id: str


def first_task(job: Job) -> TaskPayload:
    return TaskPayload(job_id=job.id, stage=Stage.TREND_COLLECTION, generation=1)


def next_task(job: Job, stage: Stage) -> TaskPayload | None:
    """The task after ``stage`` in this run generation: always sweep 0 (``complete`` resets the
    job's sweep count, so the sweeper looks for this very name)."""
    order = list(Stage)
    index = order.index(stage)
    if index + 1 >= len(order):
        return None
    return TaskPayload(job_id=job.id, stage=order[index + 1], generation=job.generation)


def current_task(job: Job) -> TaskPayload | None:
    """The task that should be pending for a pending or running job: its next stage, at the
    job's sweep count."""
    stage = job.next_stage()
    if stage is None:
        return None
    return TaskPayload(job_id=job.id, stage=stage, generation=job.generation, sweep=job.sweeps)


def queue_task(rt: Runtime, payload: TaskPayload, recovery: str, delay: float = 0) -> str:
    """Enqueue ``payload``; a queue failure becomes TaskNotQueuedError naming the job."""
    try:
        return enqueue(rt.queue, payload, delay_seconds=delay)
    except Exception as exc:
        log.exception("enqueue of %s for job %s failed", payload.stage.value, payload.job_id)
        raise TaskNotQueuedError(payload.job_id, payload.stage.value, recovery) from exc


def _unstarted(job: Job) -> bool:
    return job.status == JobStatus.PENDING and job.generation == 1 and not job.completed_stages


def create_job(rt: Runtime, new: NewJob) -> Accepted:
    """Save a job and queue its first stage. With an idempotency key already used, return that
    job instead (IdempotencyConflictError if the earlier request asked for something else)."""
    check_webhook_url(rt, new.config)
    now = rt.clock()
    candidate = lifecycle.new_job(
        lifecycle.new_job_id(now),
        new.config,
        now=now,
        trigger=new.trigger,
        config_path=new.config_path,
        idempotency_key=new.idempotency_key,
        fingerprint=new.fingerprint,
    )
    job, created = rt.store.create(candidate)
    stored = job.idempotency_fingerprint
    if not created and stored is not None and stored != new.fingerprint:
        raise IdempotencyConflictError(new.idempotency_key or "", job.id)
    payload = first_task(job)
    # A replay re-enqueues only a job that never started: that repairs a crash between create
    # and enqueue, and the deterministic task name makes it a no-op when the task exists.
    if created or _unstarted(job):
        recovery = "repeat the request with the same Idempotency-Key, or wait for the sweeper"
        task_id = queue_task(rt, payload, recovery)
    else:
        task_id = task_name(payload)
    return Accepted(job=job, created=created, task_id=task_id)


def check_webhook_url(rt: Runtime, config: ThemeConfig) -> None:
    """A config's webhook_url must be one trendreel may call (https, public on gcp) and there
    must be a secret to sign its events with; otherwise the job is refused before it starts."""
    url = config.config.webhook_url
    if url is None:
        return
    from trendreel.webhooks.errors import WebhookUrlError
    from trendreel.webhooks.stores import deployment_secret
    from trendreel.webhooks.urls import check_url

    try:
        check_url(url, rt.settings.backend)
    except WebhookUrlError as exc:
        raise ConfigError(exc.message, field="config.webhook_url", hint=exc.hint) from exc
    if deployment_secret(rt.settings) is None:
        raise ConfigError(
            "config.webhook_url needs a secret to sign its events with",
            field="config.webhook_url",
            hint="Set TRENDREEL_WEBHOOK_SECRET, or register the URL with POST /webhooks, which "
            "gives it a secret of its own.",
        )


def retry_job(rt: Runtime, job_id: str) -> Resumed:
    """Resume a failed job at its first incomplete stage, in a new run generation. Atomic: of two
    concurrent retries one wins, the other gets InvalidStateError (job_not_failed)."""
    now = rt.clock()

    def resume(job: Job) -> Job:
        resumed = lifecycle.retry(job, now)
        if resumed.next_stage() is None:
            raise InvalidStateError(
                f"job {job.id} has no stage left to run", code="nothing_to_retry"
            )
        return resumed

    job = rt.store.update(job_id, resume)
    payload = current_task(job)
    if payload is None:  # checked inside the transaction
        raise InvalidStateError(f"job {job.id} has no stage left to run", code="nothing_to_retry")
    task_id = queue_task(rt, payload, "the sweeper will queue it shortly")
    return Resumed(job=job, stage=payload.stage, task_id=task_id)


def advance(rt: Runtime, job: Job, stage: Stage) -> str | None:
    """After ``stage`` completed: queue the next stage (a repeat is a no-op). None after the
    last stage, whose completion marked the job completed: job.completed goes to webhooks
    (raising, so the task's redelivery repeats it)."""
    payload = next_task(job, stage)
    if payload is None:
        notify(rt, job, "job.completed", redelivered=True)
        return None
    return enqueue(rt.queue, payload)


def defer(rt: Runtime, payload: TaskPayload, delay_seconds: float) -> str:
    """A follow-up of ``payload`` for when the lease it met expires: a new task (fresh attempts)
    under a deterministic name, so concurrent duplicates make one follow-up."""
    follow = payload.model_copy(update={"defer": payload.defer + 1})
    return enqueue(rt.queue, follow, delay_seconds=delay_seconds)


def sweep(rt: Runtime) -> dict[str, Any]:
    """Re-drive stuck jobs: pending or running, not updated for the grace period, no live lease
    and no pending task. Each gets its stage enqueued again under a new name (``sweep`` + 1), or
    is failed once the stage has spent its attempt budget."""
    now = rt.clock()
    cutoff = now - timedelta(seconds=rt.settings.sweeper_grace_seconds)
    requeued: list[str] = []
    failed: list[str] = []
    for job in rt.store.stuck(updated_before=cutoff, limit=SWEEP_BATCH):
        current = current_task(job)
        if current is None or rt.queue.pending(task_name(current)):
            continue
        try:
            swept = rt.store.update(
                job.id, lambda j: lifecycle.sweep(j, now, rt.settings.task_max_attempts)
            )
        except lifecycle.StaleDeliveryError:
            continue  # changed since we looked: not stuck any more
        if swept.status == JobStatus.FAILED:
            failed.append(job.id)
            notify(rt, swept, "job.failed")
            continue
        payload = current_task(swept)
        if payload is not None:
            enqueue(rt.queue, payload)
            requeued.append(job.id)
    if requeued or failed:
        log.warning("sweeper requeued %s, failed %s", requeued, failed)
    return {"requeued": requeued, "failed": failed, "checked_before": cutoff.isoformat()}


# --- review and publishing -------------------------------------------------------------------

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


def notify(
    rt: Runtime,
    job: Job,
    event_type: EventType,
    platform: PublishPlatform | None = None,
    *,
    redelivered: bool = False,
) -> None:
    """Queue ``event_type`` for every subscribed endpoint and the job's config webhook_url
    (stable event ids: a repeat is the same event). ``redelivered``: the caller's task comes
    back when this raises (job.completed's enqueue is repeated by the stage's redelivery), so
    let it raise; otherwise a failure is logged, as nothing would bring the event back."""
    from trendreel.webhooks.events import notify as queue_event

    url = job.config.config.webhook_url
    try:
        queue_event(
            rt.webhooks(), rt.queue, rt.clock, job, event_type, platform=platform, webhook_url=url
        )
    except Exception:
        if redelivered:
            raise
        log.exception("event %s of job %s could not be queued", event_type, job.id)


METRICS_BATCH = 100


def collect_metrics(rt: Runtime) -> dict[str, Any]:
    """Read the numbers of every publication whose reading is due (about 1 h, 24 h and 7 d after
    publishing) and store them. A platform that fails is logged and asked again next run; the
    others are read regardless."""
    now = rt.clock()
    read: list[str] = []
    failed: list[str] = []
    for job in rt.store.metrics_due(due_before=now, limit=METRICS_BATCH):
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
