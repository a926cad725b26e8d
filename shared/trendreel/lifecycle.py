"""Job state transitions as pure functions: ``Job -> Job``, or an exception that aborts.

JobStore.update applies one of these inside a transaction, so each check-and-set is atomic: two
deliveries racing for a claim, or two concurrent retries, cannot both win. Nothing here does
I/O, which is what makes the delivery protocol testable without a database.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from trendreel.errors import InvalidStateError, LeaseHeldError, StageError
from trendreel.models import (
    Job,
    JobError,
    JobStatus,
    Lease,
    Review,
    ReviewStatus,
    Stage,
    StageRun,
    ThemeConfig,
    Trigger,
)
from trendreel.models.job import VideoFacts
from trendreel.models.trends import TopicRecord

# How long each stage may run: its Cloud Run request timeout and its tasks' dispatch deadline. A
# stage's lease is not this long: it is short (Settings.lease_seconds) and renewed by a
# heartbeat while the stage runs, so a function that died is noticed within about one lease.
STAGE_TIMEOUT_SECONDS: dict[Stage, int] = {
    Stage.TREND_COLLECTION: 300,
    Stage.TREND_ANALYSIS: 300,
    Stage.CONTENT_GENERATION: 900,
    Stage.COMPOSITION: 1800,
    Stage.REVIEW: 600,
}


def new_job_id(now: datetime) -> str:
    """Time-sortable: UTC timestamp first, then randomness so two jobs per second differ."""
    return f"{now.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"


def stage_timeout(stage: Stage, overrides: dict[str, int] | None = None) -> float:
    """How long the stage may run (its dispatch deadline), not how long its lease lasts."""
    return float((overrides or {}).get(stage.value, STAGE_TIMEOUT_SECONDS[stage]))


class StaleDeliveryError(Exception):
    """The delivery belongs to an older run generation, or the stage is no longer wanted."""


def new_job(
    job_id: str,
    config: ThemeConfig,
    *,
    now: datetime,
    trigger: Trigger,
    config_path: str | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> Job:
    return Job(
        id=job_id,
        theme=config.config.theme,
        config=config,
        config_path=config_path,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=fingerprint if idempotency_key else None,
        trigger=trigger,
        created_at=now,
        updated_at=now,
    )


def _run(job: Job, stage: Stage) -> StageRun:
    return job.stages.get(stage, StageRun()).model_copy()


class AttemptsExhaustedError(Exception):
    """The stage was started ``tries`` times in this run generation and never finished."""

    def __init__(self, stage: Stage, tries: int) -> None:
        super().__init__(f"stage {stage.value} was started {tries} times and never finished")
        self.stage = stage
        self.tries = tries


def claim(
    job: Job,
    stage: Stage,
    generation: int,
    holder: str,
    now: datetime,
    lease_seconds: float,
    max_tries: int,
) -> Job:
    """Take the stage for ``holder`` until ``now + lease_seconds`` (renewed by ``renew``).

    Raises StaleDeliveryError (nothing to do), LeaseHeldError (another holder's lease is live),
    or AttemptsExhaustedError: the stage's function died ``max_tries`` times in this generation
    (each death leaves a claim that was never completed), so starting it again would loop."""
    if generation != job.generation or job.status in (JobStatus.FAILED, JobStatus.COMPLETED):
        raise StaleDeliveryError(f"job {job.id} is {job.status} at generation {job.generation}")
    if stage in job.completed_stages:
        raise StaleDeliveryError(f"stage {stage} already completed")
    if job.lease is not None and job.lease.holder != holder and job.lease.expires_at > now:
        wait = max(1, int((job.lease.expires_at - now).total_seconds()) + 1)
        raise LeaseHeldError(stage.value, wait)
    run = _run(job, stage)
    tries = run.tries if run.generation == generation else 0
    if tries >= max_tries:
        raise AttemptsExhaustedError(stage, tries)
    run.attempts += 1
    run.generation = generation
    run.tries = tries + 1
    run.started_at = now
    run.finished_at = None
    run.progress = 0.0
    expires = now + timedelta(seconds=lease_seconds)
    stages = {**job.stages, stage: run}
    return job.model_copy(
        update={
            "status": JobStatus.RUNNING,
            "stage": stage.value,
            "stages": stages,
            "lease": Lease(holder=holder, stage=stage, expires_at=expires),
            "updated_at": now,
        }
    )


def renew(job: Job, holder: str, now: datetime, lease_seconds: float) -> Job:
    """The heartbeat: extend ``holder``'s lease. StaleDeliveryError if it no longer holds it
    (it expired and another delivery took the stage over, or the job moved on)."""
    if not _holds(job, holder) or job.lease is None:
        raise StaleDeliveryError(f"job {job.id}: the lease is no longer held by this delivery")
    lease = job.lease.model_copy(update={"expires_at": now + timedelta(seconds=lease_seconds)})
    return job.model_copy(update={"lease": lease, "updated_at": now})


def exhausted(job: Job, stage: Stage, tries: int, now: datetime) -> Job:
    """Fail a job whose stage keeps dying mid-run (AttemptsExhaustedError)."""
    if job.status in (JobStatus.FAILED, JobStatus.COMPLETED) or stage in job.completed_stages:
        return job
    message = (
        f"stage {stage.value} was started {tries} times and its function never finished: "
        "it was killed each time (out of memory, or past its timeout)"
    )
    return _failed_by_platform(job, stage, message, tries, now)


def _holds(job: Job, holder: str) -> bool:
    return job.lease is not None and job.lease.holder == holder


def release(job: Job, holder: str, now: datetime) -> Job:
    """Give the claim back after a transient error: the job stays running, not failed."""
    if not _holds(job, holder):
        return job
    return job.model_copy(update={"lease": None, "updated_at": now})


def set_progress(
    job: Job, stage: Stage, holder: str, fraction: float, message: str, now: datetime
) -> Job:
    if not _holds(job, holder):
        return job
    run = _run(job, stage)
    run.progress = round(min(max(fraction, 0.0), 1.0), 3)
    run.message = message[:120]
    return job.model_copy(update={"stages": {**job.stages, stage: run}, "updated_at": now})


def complete(
    job: Job,
    stage: Stage,
    holder: str,
    outputs: dict[str, str],
    now: datetime,
    topic: TopicRecord | None = None,
    video: VideoFacts | None = None,
) -> Job:
    """Record ``stage`` done, with its outputs and, for the stage that chose it, the topic
    (kept on the job so later jobs on the theme can avoid repeating it); review records the
    video's facts."""
    if stage in job.completed_stages:
        return job  # a duplicate delivery finished second: nothing to add
    if not _holds(job, holder):
        raise StaleDeliveryError(f"lease on {stage} is no longer held by this delivery")
    run = _run(job, stage)
    run.finished_at = now
    run.progress = 1.0
    completed = [s for s in Stage if s in job.completed_stages or s == stage]
    last = len(completed) == len(Stage)
    return job.model_copy(
        update={
            "completed_stages": completed,
            "stage": stage.value,
            "stages": {**job.stages, stage: run},
            "artifacts": {**job.artifacts, stage: outputs},
            "lease": None,
            # The next stage's first task is s0 (runner.next_task); so is the one the sweeper
            # looks for, and the re-delivery budget starts afresh.
            "sweeps": 0,
            "status": JobStatus.COMPLETED if last else JobStatus.RUNNING,
            "review": Review() if last else job.review,
            "topic": topic if topic is not None else job.topic,
            "video": video if video is not None else job.video,
            "updated_at": now,
        }
    )


def fail(job: Job, stage: Stage, error: StageError, attempt: int, now: datetime) -> Job:
    run = _run(job, stage)
    run.finished_at = now
    record = JobError(
        stage=stage.value,
        code=error.code,
        message=error.cause.message,
        retryable=error.retryable,
        attempt=attempt,
        provider=error.provider,
        hint=error.hint,
    )
    return job.model_copy(
        update={
            "status": JobStatus.FAILED,
            "stage": stage.value,
            "stages": {**job.stages, stage: run},
            "error": record,
            "error_message": f"{stage.value}: {error.cause.message}",
            "lease": None,
            "updated_at": now,
        }
    )


def retry(job: Job, now: datetime) -> Job:
    """Resume a failed job: keep completed stages, bump the generation, clear the error."""
    if job.status != JobStatus.FAILED:
        raise InvalidStateError(
            f"job {job.id} is {job.status.value}; only failed jobs can be retried",
            code="job_not_failed",
        )
    nxt = job.next_stage()
    return job.model_copy(
        update={
            "status": JobStatus.PENDING,
            "stage": nxt.value if nxt else job.stage,
            "generation": job.generation + 1,
            "sweeps": 0,
            "error": None,
            "error_message": None,
            "lease": None,
            "updated_at": now,
        }
    )


def decide(job: Job, approve: bool, reason: str | None, now: datetime) -> Job:
    """Approve or reject a finished video; only from ``generated``."""
    if job.status != JobStatus.COMPLETED or job.review is None:
        raise InvalidStateError(f"job {job.id} has no video to review yet", code="video_not_ready")
    if job.review.status != ReviewStatus.GENERATED:
        raise InvalidStateError(
            f"video {job.id} is already {job.review.status.value}", code="video_already_reviewed"
        )
    status = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
    review = Review(status=status, reason=reason, reviewed_at=now)
    return job.model_copy(update={"review": review, "updated_at": now})


def sweep(job: Job, now: datetime, max_attempts: int) -> Job:
    """A stuck job (no live lease, no pending task): schedule its stage again, or fail it once
    the stage has used its attempt budget. Raises StaleDeliveryError if it is not stuck."""
    if job.status not in (JobStatus.PENDING, JobStatus.RUNNING):
        raise StaleDeliveryError("not pending or running")
    if job.lease is not None and job.lease.expires_at > now:
        raise StaleDeliveryError("lease still live")
    stage = job.next_stage()
    if stage is None:
        raise StaleDeliveryError("every stage is complete")
    run = _run(job, stage)
    tries = run.tries if run.generation == job.generation else 0
    # Deliveries that never reach the function (it is down, or misrouted) claim nothing, so
    # tries alone would let the sweeper re-enqueue forever: re-deliveries are budgeted too.
    # ``sweeps`` counts them for the current stage (complete() resets it).
    if tries >= max_attempts or job.sweeps >= max_attempts:
        message = (
            f"stage {stage.value} did not finish after {tries} attempts "
            f"and {job.sweeps} re-deliveries"
        )
        return _failed_by_platform(job, stage, message, tries, now)
    return job.model_copy(update={"sweeps": job.sweeps + 1, "lease": None, "updated_at": now})


def _failed_by_platform(job: Job, stage: Stage, message: str, tries: int, now: datetime) -> Job:
    error = JobError(
        stage=stage.value,
        code="attempts_exhausted",
        message=message,
        retryable=True,
        attempt=tries,
        hint="Read the stage function's logs for crashes or 'Memory limit exceeded', fix the "
        "cause, then retry the job.",
    )
    return job.model_copy(
        update={
            "status": JobStatus.FAILED,
            "error": error,
            "error_message": f"{stage.value}: {message}",
            "lease": None,
            "updated_at": now,
        }
    )
