"""Deterministic task names: the same (job, stage, generation, sweep, defer) always gets the same
name, so a second enqueue of it is a no-op (the queue reports ALREADY_EXISTS, which counts as
success).

Cloud Tasks keeps a name reserved for about an hour after the task ends, so a deliberate
re-enqueue (retry bumps the generation, the sweeper bumps ``sweep``, a delivery that meets a live
lease bumps ``defer``) must use a new name. The hash prefix spreads names across Cloud Tasks' key
space instead of piling up on one prefix.
"""

from __future__ import annotations

import hashlib
import re

from trendreel import lifecycle
from trendreel.models import Stage, TaskPayload
from trendreel.models.publishing import PublishTask
from trendreel.models.webhooks import WEBHOOKS, WebhookTask
from trendreel.ports import QueueTask, TaskQueue

PUBLISH = "publish"
#: Every function a task is delivered to: the five stages, publish and webhooks.
TASK_FUNCTIONS: tuple[str, ...] = (*(s.value for s in Stage), PUBLISH, WEBHOOKS)
#: How long one publish delivery may run (its dispatch deadline and Cloud Run timeout): an
#: upload of a few hundred MB at a modest rate, then up to ``publish_poll_seconds`` of polling.
PUBLISH_TIMEOUT_SECONDS = 900
#: One webhook POST: the receiver's answer is awaited this long (the delivery's own HTTP
#: timeout is shorter), then the queue retries with backoff.
WEBHOOK_TIMEOUT_SECONDS = 60


def task_name(payload: QueueTask) -> str:
    if isinstance(payload, TaskPayload):
        base = f"{payload.job_id}-{payload.stage.value}-g{payload.generation}-s{payload.sweep}"
    elif isinstance(payload, PublishTask):
        base = f"{payload.job_id}-{PUBLISH}-{payload.platform.value}-g{payload.generation}"
    elif isinstance(payload, WebhookTask):
        base = f"{payload.event_id}-{WEBHOOKS}-{payload.endpoint_id}"
    else:
        raise TypeError(f"no task name for {type(payload).__name__}")
    if payload.defer:
        base += f"-d{payload.defer}"
    digest = hashlib.sha256(base.encode()).hexdigest()[:10]
    return f"{digest}-{base}"


_STAGE_IN_NAME = re.compile(r"-(" + "|".join(s.value for s in Stage) + r")-g\d+-s\d+(?:-d\d+)?$")
_PUBLISH_IN_NAME = re.compile(r"-publish-[a-z]+-g\d+(?:-d\d+)?$")
_WEBHOOK_IN_NAME = re.compile(r"-webhooks-[A-Za-z0-9_-]+$")


def function_in(name: str) -> str | None:
    """The function a deterministic task name was made for (None: not one of ours)."""
    if _PUBLISH_IN_NAME.search(name):
        return PUBLISH
    if _WEBHOOK_IN_NAME.search(name):
        return WEBHOOKS
    match = _STAGE_IN_NAME.search(name)
    return match.group(1) if match else None


def timeout_seconds(function: str, overrides: dict[str, int] | None = None) -> float:
    """How long a delivery to ``function`` may run: its dispatch deadline."""
    if function == PUBLISH:
        return float((overrides or {}).get(PUBLISH, PUBLISH_TIMEOUT_SECONDS))
    if function == WEBHOOKS:
        return float(WEBHOOK_TIMEOUT_SECONDS)
    return lifecycle.stage_timeout(Stage(function), overrides)


def enqueue(queue: TaskQueue, payload: QueueTask, delay_seconds: float = 0) -> str:
    """Enqueue under the deterministic name; a repeat is a no-op that returns the same id."""
    return queue.enqueue(payload, task_name=task_name(payload), delay_seconds=delay_seconds)
