"""POST /generate, GET /jobs, GET /jobs/{id}, POST /jobs/{id}/retry.

Cloud Scheduler may deliver one scheduled run twice. Its calls carry ``X-CloudScheduler-JobName``
and ``X-CloudScheduler-ScheduleTime`` (the run's planned time, the same on every delivery), so
without an explicit Idempotency-Key the key is ``scheduler:{job_name}:{schedule_time}`` and a
repeat finds the job the first delivery created. Its body is read as JSON whatever Content-Type
it arrives with (the default for a scheduler job body is application/octet-stream).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import flask

from trendreel import lifecycle
from trendreel.api import config_source, inputs
from trendreel.api.errors import ApiError, bad_request
from trendreel.api.routing import Call, respond
from trendreel.api.schemas import (
    GenerateAccepted,
    GenerateRequest,
    JobList,
    JobsQuery,
    RetryAccepted,
    RetryRequest,
)
from trendreel.api.views import job_detail, job_status
from trendreel.bootstrap import Runtime
from trendreel.config import apply_overrides, load_default_config, validate_config
from trendreel.errors import InvalidStateError
from trendreel.lifecycle import new_job_id
from trendreel.models import Job, JobStatus, Stage, TaskPayload, ThemeConfig, Trigger
from trendreel.settings import Settings
from trendreel.tasks import enqueue, task_name

log = logging.getLogger(__name__)


def resolve_config(settings: Settings, body: GenerateRequest) -> ThemeConfig:
    """config_path, else the inline config, else the bundled default; ``theme`` overrides."""
    if body.config is not None and body.config_path is not None:
        raise bad_request("conflicting_fields", "send either config or config_path, not both")
    if body.config is not None:
        data = dict(body.config)
        section = data.get("config", {})
        if body.theme is not None and isinstance(section, dict):
            data["config"] = {**section, "theme": body.theme}
        return validate_config(data, source="in the request body")
    base = (
        config_source.load(settings, body.config_path)
        if body.config_path is not None
        else load_default_config()
    )
    return apply_overrides(base, theme=body.theme)


def _enqueue(rt: Runtime, payload: TaskPayload, recovery: str) -> str:
    try:
        return enqueue(rt.queue, payload)
    except Exception as exc:
        # The job is saved; the sweeper re-enqueues a pending job that has no task.
        log.exception("enqueue of %s for job %s failed", payload.stage, payload.job_id)
        raise ApiError(
            503,
            "queue_unavailable",
            f"job {payload.job_id} is saved but its {payload.stage.value} task could not be "
            f"queued; {recovery}",
            details={"job_id": payload.job_id},
        ) from exc


def _unstarted(job: Job) -> bool:
    return job.status == JobStatus.PENDING and job.generation == 1 and not job.completed_stages


SCHEDULER_JOB = "X-CloudScheduler-JobName"
SCHEDULE_TIME = "X-CloudScheduler-ScheduleTime"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # what inputs.idempotency_key accepts


def _schedule_time(value: str) -> str:
    """One spelling per instant (``...T12:00:00Z`` and ``...T12:00:00.000000Z`` are one run)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")


def scheduler_key(request: flask.Request) -> str | None:
    """``scheduler:{job}:{schedule time}`` for a Cloud Scheduler delivery, else None."""
    job_name = request.headers.get(SCHEDULER_JOB, "").strip()
    when = request.headers.get(SCHEDULE_TIME, "").strip()
    if not job_name or not when:
        return None
    key = f"scheduler:{job_name}:{_schedule_time(when)}"
    if not _KEY.fullmatch(key):
        raise bad_request(
            "invalid_scheduler_headers",
            f"{SCHEDULER_JOB} and {SCHEDULE_TIME} must make an idempotency key of at most "
            "200 printable ASCII characters without spaces",
        )
    return key


def _create(call: Call, body: GenerateRequest) -> tuple[Job, bool]:
    request = call.request
    scheduled = scheduler_key(request)
    key = inputs.idempotency_key(request) or scheduled
    config = resolve_config(call.rt.settings, body)
    now = call.rt.clock()
    from_scheduler = scheduled is not None or "X-CloudScheduler" in request.headers
    trigger = Trigger.SCHEDULER if from_scheduler else Trigger.CLIENT
    candidate = lifecycle.new_job(
        new_job_id(now),
        config,
        now=now,
        trigger=trigger,
        config_path=body.config_path,
        idempotency_key=key,
    )
    return call.rt.store.create(candidate)


def generate(call: Call) -> flask.Response:
    body = inputs.parse_body(call.request, GenerateRequest, call.rt.settings.max_body_bytes)
    job, created = _create(call, body)
    payload = TaskPayload(job_id=job.id, stage=Stage.TREND_COLLECTION, generation=1)
    # A replay re-enqueues only a job that never started (it repairs a crash between create and
    # enqueue); the deterministic task name makes that a no-op when the task already exists.
    recovery = "repeat the request with the same Idempotency-Key, or wait for the sweeper"
    needs_task = created or _unstarted(job)
    task_id = _enqueue(call.rt, payload, recovery) if needs_task else task_name(payload)
    message = "job accepted" if created else "job already accepted for this Idempotency-Key"
    if not created and job.idempotency_key and job.idempotency_key.startswith("scheduler:"):
        message = "job already accepted for this scheduled run"
    accepted = GenerateAccepted(
        job_id=job.id,
        task_id=task_id,
        poll_url=f"/jobs/{job.id}",
        message=f"{message}; poll GET /jobs/{job.id} for progress",
    )
    headers = {"Location": call.url(f"/jobs/{job.id}")}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return respond(202, accepted, headers)


def list_jobs(call: Call) -> flask.Response:
    query = inputs.parse_query(call.request, JobsQuery)
    try:
        jobs, cursor = call.rt.store.list_jobs(
            status=query.status, limit=query.limit, cursor=query.cursor
        )
    except ValueError as exc:
        raise bad_request("invalid_cursor", "cursor is not one this api handed out") from exc
    views = [job_status(job) for job in jobs]
    return respond(200, JobList(count=len(views), jobs=views, next_cursor=cursor))


def get_job(call: Call) -> flask.Response:
    job = call.job()
    return respond(200, job_detail(job, call.url(f"/videos/{job.id}")))


def retry_job(call: Call) -> flask.Response:
    inputs.parse_body(call.request, RetryRequest, call.rt.settings.max_body_bytes)
    job_id = call.job().id
    now = call.rt.clock()

    def resume(job: Job) -> Job:
        resumed = lifecycle.retry(job, now)
        if resumed.next_stage() is None:
            raise InvalidStateError(
                f"job {job.id} has no stage left to run", code="nothing_to_retry"
            )
        return resumed

    job = call.rt.store.update(job_id, resume)  # atomic: of two concurrent retries, one wins
    stage = job.next_stage() or Stage.TREND_COLLECTION  # never None: checked in the transaction
    payload = TaskPayload(job_id=job.id, stage=stage, generation=job.generation)
    task_id = _enqueue(call.rt, payload, "the sweeper will queue it shortly")
    skipped = list(job.completed_stages)
    accepted = RetryAccepted(
        job_id=job.id,
        task_id=task_id,
        resume_from=stage,
        skipping_stages=skipped,
        message=f"resuming at {stage.value} (run {job.generation}); "
        f"{len(skipped)} completed stage(s) are reused",
    )
    return respond(202, accepted, {"Location": call.url(f"/jobs/{job.id}")})
