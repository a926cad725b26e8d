"""Emitting events: store the event under its deterministic id, queue one delivery task per
endpoint that wants it.

Both steps are idempotent, so emitting again (a redelivered stage task repeating its last step,
a crash between the two) changes nothing: the store keeps the first event, and each task has a
deterministic name (``tasks.task_name``: event id + endpoint id), which the queue de-duplicates.
Delivery itself (signing, POST, retries) is the ``webhooks`` function's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from trendreel.api.errors import without_server_paths
from trendreel.models import Job, JobError, JobStatus
from trendreel.models.publishing import PublicationError, PublishPlatform
from trendreel.models.webhooks import WebhookTask
from trendreel.ports import TaskQueue
from trendreel.tasks import enqueue
from trendreel.webhooks.models import (
    Endpoint,
    Event,
    EventData,
    EventError,
    EventPublication,
    EventType,
    config_endpoint,
    event_id,
)
from trendreel.webhooks.ports import WebhookStore

log = logging.getLogger(__name__)
_PUBLICATION_EVENTS: frozenset[EventType] = frozenset({"video.published", "publication.failed"})


def emit(
    store: WebhookStore,
    queue: TaskQueue,
    clock: Callable[[], datetime],
    event_type: EventType,
    event_id: str,
    data: EventData,
    *,
    extra_endpoints: Sequence[Endpoint] = (),
) -> int:
    """Store the event and queue its deliveries; returns how many endpoints it goes to.
    ``extra_endpoints`` (a theme config's ``webhook_url``) are stored too, so the delivery can
    load them like any other, and get this event whatever they subscribed to."""
    event = store.put_event(Event(id=event_id, type=event_type, created_at=clock(), data=data))
    targets = [e for e in store.list_endpoints() if e.wants(event_type)]
    targets += [store.put_endpoint(extra) for extra in extra_endpoints]
    endpoint_ids = list(dict.fromkeys(e.id for e in targets))
    for endpoint_id in endpoint_ids:
        enqueue(queue, WebhookTask(event_id=event.id, endpoint_id=endpoint_id))
    log.info("event %s (%s) queued for %d endpoint(s)", event.id, event_type, len(endpoint_ids))
    return len(endpoint_ids)


def _error(error: JobError | PublicationError) -> EventError:
    message = without_server_paths(error.message)[:500]
    if isinstance(error, PublicationError):
        return EventError(
            code=error.code, message=message, retryable=error.retryable, hint=error.hint
        )
    return EventError(
        code=error.code,
        message=message,
        retryable=error.retryable,
        stage=error.stage,
        provider=error.provider,
        hint=error.hint,
    )


def job_data(job: Job) -> EventData:
    """What an event says about ``job`` (and its video, once it has one)."""
    return EventData(
        job_id=job.id,
        status=job.status.value,
        stage=job.stage,
        theme=job.theme[:200],
        error=_error(job.error) if job.error is not None else None,
        video_id=job.id if job.status == JobStatus.COMPLETED else None,
        review=job.review.status.value if job.review is not None else None,
    )


def job_event(
    job: Job, event_type: EventType, platform: PublishPlatform | None = None
) -> tuple[str, EventData]:
    """(event id, data) of ``event_type`` for ``job`` as it is now. A job event belongs to the
    run generation (a retried job that fails again fails anew); a publication event to the
    platform's publication request; a video is approved once."""
    data = job_data(job)
    if event_type not in _PUBLICATION_EVENTS:
        generation = 1 if event_type == "video.approved" else job.generation
        return event_id(job.id, event_type, generation), data
    if platform is None or platform not in job.publications:
        raise ValueError(f"{event_type} needs a platform the job has a publication for")
    publication = job.publications[platform]
    data.publication = EventPublication(
        platform=platform.value,
        status=publication.status.value,
        url=publication.url,
        remote_id=publication.remote_id,
        error=_error(publication.error) if publication.error is not None else None,
    )
    return event_id(job.id, event_type, publication.generation, platform.value), data


def notify(
    store: WebhookStore,
    queue: TaskQueue,
    clock: Callable[[], datetime],
    job: Job,
    event_type: EventType,
    *,
    platform: PublishPlatform | None = None,
    webhook_url: str | None = None,
) -> int:
    """Emit ``event_type`` for ``job`` to the registered endpoints and, when the job's theme
    config names one, its ``webhook_url``. Safe to repeat."""
    identity, data = job_event(job, event_type, platform)
    extra = [config_endpoint(webhook_url, clock())] if webhook_url else []
    return emit(store, queue, clock, event_type, identity, data, extra_endpoints=extra)
