"""The delivery protocol: at-least-once task delivery made effectively-once.

For every delivery of a stage task:

1. Load the job. Unknown job, or a delivery from an older run generation: acknowledge (2xx) and
   do nothing. Stage already completed: skip to step 6 (repairs a crash between 5 and 6).
2. Claim the stage in a transaction with a short lease (``lease_seconds``) that a heartbeat
   renews while the stage runs, so a function that died is noticed within about one lease.
   A live lease held by another delivery: acknowledge, and enqueue a follow-up task due when
   that lease expires. Answering 429 instead would spend one of the task's attempts per
   redelivery (Cloud Tasks counts every non-2xx), and a task that runs out is dropped; the
   follow-up is a new task with attempts of its own, and if the holder finishes first it
   finds the stage completed. A stage claimed ``task_max_attempts`` times in this generation
   without finishing (its function keeps dying) fails the job instead of looping.
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

from trendreel import lifecycle, services
from trendreel.bootstrap import Runtime
from trendreel.delivery import Delivery, Outcome
from trendreel.errors import LeaseHeldError, StageError
from trendreel.heartbeat import Heartbeat
from trendreel.models import Job, Stage
from trendreel.models.job import VideoFacts
from trendreel.models.trends import TopicRecord
from trendreel.pipeline import run_stage
from trendreel.stages.context import ProgressFn, StageContext

log = logging.getLogger(__name__)


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
        return self._claim_and_run(d)

    def _claim_and_run(self, d: Delivery) -> Outcome:
        p = d.payload
        settings = self.rt.settings
        now = self.rt.clock()
        try:
            job = self.rt.store.update(
                p.job_id,
                lambda j: lifecycle.claim(
                    j, p.stage, p.generation, d.holder, now,
                    settings.lease_seconds, settings.task_max_attempts,
                ),
            )  # fmt: skip
        except LeaseHeldError as exc:
            return self._defer(d, exc)
        except lifecycle.AttemptsExhaustedError as exc:
            return self._exhausted(p.job_id, exc)
        except lifecycle.StaleDeliveryError as exc:
            return self._stale(d, exc)
        return self._run(job, d)

    def _stale(self, d: Delivery, exc: lifecycle.StaleDeliveryError) -> Outcome:
        """The job moved on between loading it and claiming. If another delivery completed
        this stage meanwhile, this one is a duplicate of it: it repairs the next enqueue."""
        job = self.rt.store.get(d.payload.job_id)
        done = job is not None and job.generation == d.payload.generation
        if job is not None and done and d.payload.stage in job.completed_stages:
            return self._advance(job, d.payload.stage, "already completed")
        return Outcome(200, {"result": "stale", "reason": str(exc)})

    def _defer(self, d: Delivery, exc: LeaseHeldError) -> Outcome:
        wait = exc.retry_after_seconds
        try:
            follow_up = services.defer(self.rt, d.payload, wait)
        except Exception:  # the queue is unreachable: let this task's own retry come back
            log.warning("could not enqueue a follow-up; answering 429", exc_info=True)
            return Outcome(429, {"result": "busy", "reason": exc.message}, wait)
        body = {"result": "deferred", "reason": exc.message, "next_task": follow_up, "in": wait}
        return Outcome(200, body)

    def _exhausted(self, job_id: str, exc: lifecycle.AttemptsExhaustedError) -> Outcome:
        now = self.rt.clock()
        job = self.rt.store.update(
            job_id, lambda j: lifecycle.exhausted(j, exc.stage, exc.tries, now)
        )
        log.error("job %s failed: %s", job_id, exc)
        services.notify(self.rt, job, "job.failed")
        return Outcome(200, {"result": "failed", "reason": str(exc)})

    def _run(self, job: Job, d: Delivery) -> Outcome:
        stage = d.payload.stage
        lease = self.rt.settings.lease_seconds

        def renew() -> Job:
            now = self.rt.clock()
            return self.rt.store.update(job.id, lambda j: lifecycle.renew(j, d.holder, now, lease))

        with Heartbeat(renew, lease, name=f"{job.id}-{stage.value}") as beat:
            ctx = StageContext(
                blobs=self.rt.blobs,
                providers=self.rt.providers(),
                settings=self.rt.settings,
                clock=self.rt.clock,
                progress=self._progress_writer(job.id, stage, d.holder, beat),
                scratch_dir=scratch_root(self.rt),
                topics=self.rt.store,
            )
            try:
                result = run_stage(stage, job.spec(), ctx)
            except StageError as exc:
                if beat.lost:
                    return self._superseded(stage)
                return self._failed(job, d, exc)
        if beat.lost:
            return self._superseded(stage)
        outputs = dict(result.outputs)  # blob keys: where they live is the blob store's business
        topic = TopicRecord.from_summary(result.summary)  # kept so later jobs avoid repeats
        video = VideoFacts.from_summary(result.summary)  # what the video list shows
        now = self.rt.clock()
        try:
            job = self.rt.store.update(
                job.id,
                lambda j: lifecycle.complete(j, stage, d.holder, outputs, now, topic, video),
            )
        except lifecycle.StaleDeliveryError:
            return self._superseded(stage)
        return self._advance(job, stage, "completed")

    @staticmethod
    def _superseded(stage: Stage) -> Outcome:
        # Our lease lapsed and another delivery took the stage over; it will complete it.
        reason = f"the lease on {stage.value} was taken over by another delivery"
        return Outcome(200, {"result": "superseded", "reason": reason})

    def _advance(self, job: Job, stage: Stage, result: str) -> Outcome:
        body: dict[str, Any] = {"result": result, "job_id": job.id, "stage": stage.value}
        next_task = services.advance(self.rt, job, stage)
        if next_task is not None:
            body["next_task"] = next_task
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
        failed = self.rt.store.update(job.id, lambda j: lifecycle.fail(j, stage, exc, attempt, now))
        log.error("stage %s of job %s failed: %s", stage, job.id, exc.message)
        services.notify(self.rt, failed, "job.failed")
        return Outcome(200, {"result": "failed", "error": _error_body(exc)})

    def _progress_writer(
        self, job_id: str, stage: Stage, holder: str, beat: Heartbeat
    ) -> ProgressFn:
        # Firestore documents take about one write a second: progress is throttled to that.
        interval = self.rt.settings.progress_interval_seconds
        last = [0.0]

        def write(fraction: float, message: str) -> None:
            beat.check()  # a stage whose lease was taken over stops here
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
