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

from trendreel.models import TaskPayload
from trendreel.ports import TaskQueue


def task_name(payload: TaskPayload) -> str:
    base = f"{payload.job_id}-{payload.stage.value}-g{payload.generation}-s{payload.sweep}"
    if payload.defer:
        base += f"-d{payload.defer}"
    digest = hashlib.sha256(base.encode()).hexdigest()[:10]
    return f"{digest}-{base}"


def enqueue(queue: TaskQueue, payload: TaskPayload, delay_seconds: float = 0) -> str:
    """Enqueue under the deterministic name; a repeat is a no-op that returns the same id."""
    return queue.enqueue(payload, task_name=task_name(payload), delay_seconds=delay_seconds)
