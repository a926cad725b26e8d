"""Job services: create, retry, advance, defer and sweep (see ``trendreel.services``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from trendreel import lifecycle
from trendreel.bootstrap import Runtime
from trendreel.errors import (
    ConfigError,
    IdempotencyConflictError,
    InvalidStateError,
    TaskNotQueuedError,
)
from trendreel.models import Job, JobStatus, Stage, TaskPayload, ThemeConfig, Trigger
from trendreel.services.events import notify
from trendreel.services.publishing import redrive_publications
from trendreel.tasks import enqueue, task_name

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
    redriven = redrive_publications(rt)
    if requeued or failed or redriven:
        log.warning("sweeper requeued %s, failed %s, publications %s", requeued, failed, redriven)
    return {
        "requeued": requeued,
        "failed": failed,
        "publications": redriven,
        "checked_before": cutoff.isoformat(),
    }
