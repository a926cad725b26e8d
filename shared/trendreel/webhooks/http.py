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

from trendreel.bootstrap import Runtime
from trendreel.delivery import Outcome, TaskDelivery
from trendreel.errors import TrendreelError
from trendreel.http import FunctionRuntime, Handler, task_handler
from trendreel.models.webhooks import WEBHOOKS, WebhookTask
from trendreel.webhooks.deliver import Deliverer, TransportFor, pinned
from trendreel.webhooks.ports import WebhookStore
from trendreel.webhooks.stores import runtime_store
from trendreel.webhooks.urls import Resolver, system_resolver

log = logging.getLogger(__name__)


def webhooks_handler(
    runtime: FunctionRuntime | None = None,
    *,
    stores: Callable[[Runtime], WebhookStore] = runtime_store,
    resolve: Resolver = system_resolver,
    transport_for: TransportFor = pinned,
) -> Handler:
    """The function's handler. ``stores``, ``resolve`` and ``transport_for`` are seams for
    tests (a store, DNS answers, an HTTP transport); deployed, they are the defaults."""

    def serve(rt: Runtime, d: TaskDelivery[WebhookTask]) -> Outcome:
        try:
            store = stores(rt)
            return Deliverer(rt.settings, store, rt.clock, resolve, transport_for).deliver(d)
        except TrendreelError as exc:  # the store is down: the queue retries
            log.warning("delivery not attempted: %s", exc.message)
            message = "the webhook store is unavailable"
            return Outcome(503, {"error": {"code": exc.code, "message": message}})

    def bind(d: TaskDelivery[WebhookTask]) -> dict[str, object]:
        return {"event_id": d.payload.event_id, "endpoint_id": d.payload.endpoint_id}

    return task_handler(WEBHOOKS, WebhookTask, serve, bind, runtime)
