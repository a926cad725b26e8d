"""The publish function's HTTP entry point: caller check, task parsing, delivery protocol.

It answers the queue with the table of ``trendreel.http``: 2xx done (published, processing with
a follow-up queued, deferred, failed for good, stale), 503 a transient failure the queue retries
with backoff, 400 not a publish task, 401/403 a caller that is not the queue.
"""

from __future__ import annotations

import logging

import flask

from trendreel import logs
from trendreel.http import FunctionRuntime, Handler, check_caller, parse_task, to_response
from trendreel.models.publishing import PublishTask
from trendreel.tasks import PUBLISH

log = logging.getLogger(__name__)


def publish_handler(runtime: FunctionRuntime | None = None) -> Handler:
    own = runtime or FunctionRuntime()

    def handle_publish(request: flask.Request) -> flask.Response:
        rt = own.for_request(request)
        with logs.request_context(request, rt.settings, function=PUBLISH):
            denied = check_caller(request, rt, PUBLISH)
            if denied is not None:
                return denied
            parsed = parse_task(request, PublishTask, rt.settings.max_body_bytes)
            if isinstance(parsed, flask.Response):
                return parsed
            from trendreel.publishing.runner import PublishRunner  # media probe loads lazily

            with logs.bound(
                job_id=parsed.payload.job_id,
                stage=f"{PUBLISH}:{parsed.payload.platform.value}",
                generation=parsed.payload.generation,
                attempt=parsed.retry_count + 1,
            ):
                outcome = PublishRunner(rt).handle(parsed)
                log.info("delivery answered %d: %s", outcome.status, outcome.body.get("result"))
                return to_response(outcome)

    return handle_publish
