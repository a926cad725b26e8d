"""The publish function's HTTP entry point: caller check, task parsing, delivery protocol.

It answers the queue with the table of ``trendreel.http``: 2xx done (published, processing with
a follow-up queued, deferred, failed for good, stale), 503 a transient failure the queue retries
with backoff, 400 not a publish task, 401/403 a caller that is not the queue.
"""

from __future__ import annotations

from trendreel.bootstrap import Runtime
from trendreel.delivery import Outcome, TaskDelivery
from trendreel.http import FunctionRuntime, Handler, task_handler
from trendreel.models.publishing import PublishTask
from trendreel.tasks import PUBLISH


def publish_handler(runtime: FunctionRuntime | None = None) -> Handler:
    def serve(rt: Runtime, d: TaskDelivery[PublishTask]) -> Outcome:
        from trendreel.publishing.runner import PublishRunner  # media probe loads lazily

        return PublishRunner(rt).handle(d)

    def bind(d: TaskDelivery[PublishTask]) -> dict[str, object]:
        task = d.payload
        stage = f"{PUBLISH}:{task.platform.value}"
        return {"job_id": task.job_id, "stage": stage, "generation": task.generation}

    return task_handler(PUBLISH, PublishTask, serve, bind, runtime)
