"""Webhook events from the service layer (see ``trendreel.services``)."""

from __future__ import annotations

import logging

from trendreel.bootstrap import Runtime
from trendreel.models import Job
from trendreel.models.publishing import PublishPlatform
from trendreel.webhooks.models import EventType

log = logging.getLogger(__name__)


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
