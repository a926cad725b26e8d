"""HTTP entry point of the ``webhooks`` function, which the queue delivers WebhookTasks to.

Callers are checked as for stage functions (``trendreel.http.check_caller``: locally the local
token; on gcp an ID token for this function's URL from an allowed caller). Then:

    400  not a WebhookTask (malformed JSON, unknown fields, bad ids)
    405  not a POST            413  a body over ``max_body_bytes``
    200/503                    as ``deliver.Deliverer`` decides (503: the queue retries)
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import flask
from pydantic import ValidationError

from trendreel import logs
from trendreel.bootstrap import Runtime
from trendreel.delivery import TaskDelivery
from trendreel.errors import TrendreelError
from trendreel.http import FunctionRuntime, Handler, check_caller, error_response, to_response
from trendreel.models.webhooks import WEBHOOKS, WebhookTask
from trendreel.webhooks.deliver import Deliverer, TransportFor, pinned
from trendreel.webhooks.ports import WebhookStore
from trendreel.webhooks.stores import runtime_store
from trendreel.webhooks.urls import Resolver, system_resolver

log = logging.getLogger(__name__)


def _count(request: flask.Request, name: str) -> int:
    value = request.headers.get(name, "0")
    return int(value) if value.isdigit() and len(value) < 10 else 0


def parse_task(
    request: flask.Request, max_bytes: int
) -> TaskDelivery[WebhookTask] | flask.Response:
    if request.method != "POST":
        return error_response(405, "method_not_allowed", "the webhooks function takes POST")
    if (request.content_length or 0) > max_bytes:
        return error_response(413, "body_too_large", f"task bodies are at most {max_bytes} bytes")
    try:
        task = WebhookTask.model_validate_json(request.get_data(cache=False) or b"")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(body)"
        return error_response(400, "invalid_task", f"invalid task: {where}: {first['msg']}")
    return TaskDelivery(
        payload=task,
        task_name=request.headers.get("X-CloudTasks-TaskName", ""),
        retry_count=_count(request, "X-CloudTasks-TaskRetryCount"),
        execution_count=_count(request, "X-CloudTasks-TaskExecutionCount"),
        queue_name=request.headers.get("X-CloudTasks-QueueName", ""),
    )


def webhooks_handler(
    runtime: FunctionRuntime | None = None,
    *,
    stores: Callable[[Runtime], WebhookStore] = runtime_store,
    resolve: Resolver = system_resolver,
    transport_for: TransportFor = pinned,
) -> Handler:
    """The function's handler. ``stores``, ``resolve`` and ``transport_for`` are seams for
    tests (a store, DNS answers, an HTTP transport); deployed, they are the defaults."""
    own = runtime or FunctionRuntime()

    def handle_webhook(request: flask.Request) -> flask.Response:
        rt = own.for_request(request)
        with logs.request_context(request, rt.settings, function=WEBHOOKS):
            denied = check_caller(request, rt, WEBHOOKS)
            if denied is not None:
                return denied
            parsed = parse_task(request, rt.settings.max_body_bytes)
            if isinstance(parsed, flask.Response):
                return parsed
            task = parsed.payload
            with logs.bound(
                event_id=task.event_id, endpoint_id=task.endpoint_id, attempt=parsed.retry_count + 1
            ):
                try:
                    store = stores(rt)
                    outcome = Deliverer(
                        rt.settings, store, rt.clock, resolve, transport_for
                    ).deliver(parsed)
                except TrendreelError as exc:  # the store is down: the queue retries
                    log.warning("delivery not attempted: %s", exc.message)
                    return error_response(503, exc.code, "the webhook store is unavailable")
                log.info("delivery answered %d: %s", outcome.status, outcome.body.get("result"))
                return to_response(outcome)

    return handle_webhook
