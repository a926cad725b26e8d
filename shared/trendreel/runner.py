"""The delivery protocol: at-least-once task delivery made effectively-once.

For every delivery of a stage task:

1. Load the job. Unknown job, or a delivery from an older run generation: acknowledge (2xx) and
   do nothing. Stage already completed: skip to step 6 (repairs a crash between 5 and 6).
2. Claim the stage in a transaction, with a lease as long as the stage's timeout. A live lease
   held by another delivery: 429 with Retry-After, and the queue backs off.
3. Run the stage. Outputs go to deterministic keys, so a rerun overwrites instead of duplicating.
4. On error: transient and not the last attempt, release the claim and answer 503 (the job
   stays ``running``, never ``failed`` in between); permanent or last attempt, record the job
   ``failed`` with stage, code and message, and answer 2xx so the queue stops.
5. Complete in one transaction: check the claim, append to completed_stages, clear the lease.
6. Enqueue the next stage under a deterministic name (a duplicate enqueue is a no-op). The last
   stage marks the job ``completed``: the video then waits for a person.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from trendreel import lifecycle, tasks
from trendreel.bootstrap import Runtime
from trendreel.delivery import Delivery, Outcome
from trendreel.errors import LeaseHeldError, StageError
from trendreel.models import Job, Stage, TaskPayload
from trendreel.pipeline import run_stage
from trendreel.stages.context import StageContext

log = logging.getLogger(__name__)


def next_task(job: Job, stage: Stage) -> TaskPayload | None:
    order = list(Stage)
    index = order.index(stage)
    if index + 1 >= len(order):
        return None
    return TaskPayload(job_id=job.id, stage=order[index + 1], generation=job.generation)


def scratch_root(runtime: Runtime) -> Path | None:
    """Local mode keeps scratch under TRENDREEL_HOME (cleaned after crashes); Cloud Run uses
    /tmp, which is memory and vanishes with the instance."""
    return runtime.settings.home / "scratch" if runtime.settings.backend == "local" else None


class StageRunner:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    def handle(self, d: Delivery) -> Outcome:
        p = d.payload
        job = self.rt.store.get(p.job_id)
        if job is None:
            return Outcome(200, {"result": "dropped", "reason": f"no job {p.job_id}"})
        if p.generation != job.generation:
            return Outcome(
                200, {"result": "stale", "reason": f"generation {job.generation} is current"}
            )
        if p.stage in job.completed_stages:
            return self._advance(job, p.stage, "already completed")
        timeout = lifecycle.stage_timeout(p.stage, self.rt.settings.stage_timeouts)
        now = self.rt.clock()
        try:
            job = self.rt.store.update(
                p.job_id,
                lambda j: lifecycle.claim(j, p.stage, p.generation, d.holder, now, timeout),
            )
        except LeaseHeldError as exc:
            return Outcome(429, {"result": "busy", "reason": exc.message}, exc.retry_after_seconds)
        except lifecycle.StaleDeliveryError as exc:
            return Outcome(200, {"result": "stale", "reason": str(exc)})
        return self._run(job, d)

    def _run(self, job: Job, d: Delivery) -> Outcome:
        stage = d.payload.stage
        ctx = StageContext(
            blobs=self.rt.blobs,
            providers=self.rt.providers(),
            settings=self.rt.settings,
            clock=self.rt.clock,
            progress=self._progress_writer(job.id, stage, d.holder),
            scratch_dir=scratch_root(self.rt),
        )
        try:
            result = run_stage(stage, job.spec(), ctx)
        except StageError as exc:
            return self._failed(job, d, exc)
        outputs = {name: self.rt.blobs.uri(key) for name, key in result.outputs.items()}
        now = self.rt.clock()
        try:
            job = self.rt.store.update(
                job.id, lambda j: lifecycle.complete(j, stage, d.holder, outputs, now)
            )
        except lifecycle.StaleDeliveryError as exc:
            # Our lease expired and another delivery took the stage over; it will complete it.
            return Outcome(200, {"result": "superseded", "reason": str(exc)})
        return self._advance(job, stage, "completed")

    def _advance(self, job: Job, stage: Stage, result: str) -> Outcome:
        payload = next_task(job, stage)
        body: dict[str, Any] = {"result": result, "job_id": job.id, "stage": stage.value}
        if payload is not None:
            body["next_task"] = tasks.enqueue(self.rt.queue, payload)
        return Outcome(200, body)

    def _failed(self, job: Job, d: Delivery, exc: StageError) -> Outcome:
        stage = d.payload.stage
        last = d.retry_count + 1 >= self.rt.settings.task_max_attempts
        now = self.rt.clock()
        if exc.retryable and not last:
            log.warning("stage %s of job %s failed transiently: %s", stage, job.id, exc.message)
            self.rt.store.update(job.id, lambda j: lifecycle.release(j, d.holder, now))
            return Outcome(503, {"result": "retry", "error": _error_body(exc)}, 1)
        attempt = d.retry_count + 1
        self.rt.store.update(job.id, lambda j: lifecycle.fail(j, stage, exc, attempt, now))
        log.error("stage %s of job %s failed: %s", stage, job.id, exc.message)
        return Outcome(200, {"result": "failed", "error": _error_body(exc)})

    def _progress_writer(self, job_id: str, stage: Stage, holder: str) -> Any:
        # Firestore documents take about one write a second: progress is throttled to that.
        interval = self.rt.settings.progress_interval_seconds
        last = [0.0]

        def write(fraction: float, message: str) -> None:
            now = time.monotonic()
            if now - last[0] < interval:
                return
            last[0] = now
            stamp = self.rt.clock()
            self.rt.store.update(
                job_id, lambda j: lifecycle.set_progress(j, stage, holder, fraction, message, stamp)
            )

        return write


def _error_body(exc: StageError) -> dict[str, Any]:
    return {
        "stage": exc.stage,
        "code": exc.code,
        "message": exc.cause.message,
        "retryable": exc.retryable,
        "provider": exc.provider,
        "hint": exc.hint,
    }
