"""The sweeper: no job hangs forever.

A job whose lease expired (its function died mid-stage) or that never got its first task (the
enqueue after creation failed) and has no task pending is stuck. The sweeper schedules its stage
again under a fresh task name (``sweep`` + 1), or fails the job once the stage has used its
attempt budget. It runs on a schedule (Cloud Scheduler on GCP, a timer in ``trendreel serve``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from trendreel import lifecycle
from trendreel.bootstrap import Runtime
from trendreel.models import Job, JobStatus, TaskPayload
from trendreel.tasks import enqueue, task_name

log = logging.getLogger(__name__)
BATCH = 100


def _current_task(job: Job) -> TaskPayload | None:
    stage = job.next_stage()
    if stage is None:
        return None
    return TaskPayload(job_id=job.id, stage=stage, generation=job.generation, sweep=job.sweeps)


def sweep(rt: Runtime) -> dict[str, Any]:
    now = rt.clock()
    cutoff = now - timedelta(seconds=rt.settings.sweeper_grace_seconds)
    requeued: list[str] = []
    failed: list[str] = []
    for job in rt.store.stuck(updated_before=cutoff, limit=BATCH):
        current = _current_task(job)
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
            continue
        payload = _current_task(swept)
        if payload is not None:
            enqueue(rt.queue, payload)
            requeued.append(job.id)
    if requeued or failed:
        log.warning("sweeper requeued %s, failed %s", requeued, failed)
    return {"requeued": requeued, "failed": failed, "checked_before": cutoff.isoformat()}
