"""POST /generate, GET /jobs, GET /jobs/{id}, POST /jobs/{id}/retry: parse, call the service
layer (``trendreel.services``), answer.

Cloud Scheduler may deliver one scheduled run twice. Its calls carry ``X-CloudScheduler-JobName``
and ``X-CloudScheduler-ScheduleTime`` (the run's planned time, the same on every delivery), so
without an explicit Idempotency-Key the key is ``scheduler:{job_name}:{schedule_time}`` and a
repeat finds the job the first delivery created. Only Cloud Scheduler's own identity
(``scheduler_service_account``) may name a scheduled run, and the ``scheduler:`` key namespace is
reserved for it, so no client can take a scheduled run over. Its body is read as JSON whatever
Content-Type it arrives with (the default for a scheduler job body is application/octet-stream).

An Idempotency-Key replayed with a different request is answered 422, as Stripe does, instead of
silently returning the first job: the request's fingerprint (its parsed body) is kept with the
job and compared.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import UTC, datetime

import flask

from trendreel import services
from trendreel.api import config_source, inputs
from trendreel.api.errors import bad_request
from trendreel.api.routing import Call, respond
from trendreel.api.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    RESERVED_KEY_PREFIX,
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
from trendreel.models import ThemeConfig, Trigger

log = logging.getLogger(__name__)


def resolve_config(rt: Runtime, body: GenerateRequest) -> ThemeConfig:
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
        config_source.load(rt.settings, body.config_path, rt.storage_client)
        if body.config_path is not None
        else load_default_config()
    )
    return apply_overrides(base, theme=body.theme)


SCHEDULER_JOB = "X-CloudScheduler-JobName"
SCHEDULE_TIME = "X-CloudScheduler-ScheduleTime"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)  # what inputs.idempotency_key accepts


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
    key = f"{RESERVED_KEY_PREFIX}{job_name}:{_schedule_time(when)}"
    if not _KEY.fullmatch(key):
        raise bad_request(
            "invalid_scheduler_headers",
            f"{SCHEDULER_JOB} and {SCHEDULE_TIME} must make an idempotency key of at most "
            "200 printable ASCII characters without spaces",
        )
    return key


def _from_scheduler(call: Call) -> bool:
    """Whether the caller is Cloud Scheduler (on gcp, its service account; locally, the token
    holder, who owns the whole machine anyway)."""
    settings = call.rt.settings
    if settings.backend != "gcp":
        return True
    expected = (settings.scheduler_service_account or "").lower()
    return bool(expected) and call.caller == expected


def _idempotency_key(call: Call) -> tuple[str | None, bool]:
    """The request's idempotency key, and whether it is a scheduled run."""
    key = inputs.idempotency_key(call.request)
    if key is not None and key.lower().startswith(RESERVED_KEY_PREFIX):
        raise bad_request(
            "reserved_idempotency_key",
            f"Idempotency-Key values starting with {RESERVED_KEY_PREFIX!r} are reserved for "
            "Cloud Scheduler's runs",
        )
    scheduled = scheduler_key(call.request) if _from_scheduler(call) else None
    return key or scheduled, scheduled is not None


def fingerprint(body: GenerateRequest) -> str:
    """What a request asks for, independent of key order and whitespace."""
    canonical = json.dumps(body.model_dump(mode="json", exclude_none=True), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def generate(call: Call) -> flask.Response:
    body = inputs.parse_body(call.request, GenerateRequest, call.rt.settings.max_body_bytes)
    key, scheduled = _idempotency_key(call)
    marked = "X-CloudScheduler" in call.request.headers and _from_scheduler(call)
    new = services.NewJob(
        config=resolve_config(call.rt, body),
        trigger=Trigger.SCHEDULER if scheduled or marked else Trigger.CLIENT,
        config_path=body.config_path,
        idempotency_key=key,
        fingerprint=fingerprint(body),
    )
    accepted = services.create_job(call.rt, new)
    job = accepted.job
    message = (
        "job accepted" if accepted.created else "job already accepted for this Idempotency-Key"
    )
    if not accepted.created and scheduled:
        message = "job already accepted for this scheduled run"
    answer = GenerateAccepted(
        job_id=job.id,
        task_id=accepted.task_id,
        poll_url=f"/jobs/{job.id}",
        message=f"{message}; poll GET /jobs/{job.id} for progress",
    )
    headers = {"Location": call.url(f"/jobs/{job.id}")}
    if not accepted.created:
        headers["Idempotent-Replayed"] = "true"
    return respond(202, answer, headers)


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
    resumed = services.retry_job(call.rt, call.job().id)
    job = resumed.job
    skipped = list(job.completed_stages)
    accepted = RetryAccepted(
        job_id=job.id,
        task_id=resumed.task_id,
        resume_from=resumed.stage,
        skipping_stages=skipped,
        message=f"resuming at {resumed.stage.value} (run {job.generation}); "
        f"{len(skipped)} completed stage(s) are reused",
    )
    return respond(202, accepted, {"Location": call.url(f"/jobs/{job.id}")})
