"""GET /health: can this instance reach its job store, queue and blob store? No auth.

A failing check reports the exception's type only: messages from client libraries can carry
connection strings or paths, and this route is public.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import flask

from trendreel.api import inputs
from trendreel.api.routing import Call, respond
from trendreel.api.schemas import CheckResult, HealthChecks, HealthResponse, NoQuery

log = logging.getLogger(__name__)
PROBE_KEY = "health/probe"  # never written: exists() on it is the cheapest round trip


def _check(name: str, probe: Callable[[], object]) -> CheckResult:
    try:
        probe()
    except Exception as exc:
        log.warning("health check %s failed: %s", name, type(exc).__name__)
        log.debug("health check %s failure", name, exc_info=True)  # may name hosts: debug only
        return CheckResult(status="error", error=type(exc).__name__)
    return CheckResult(status="ok")


def health(call: Call) -> flask.Response:
    inputs.parse_query(call.request, NoQuery)
    rt = call.rt
    checks = HealthChecks(
        job_store=_check("job_store", rt.store.ping),
        queue=_check("queue", rt.queue.ping),
        blob_store=_check("blob_store", lambda: rt.blobs.exists(PROBE_KEY)),
    )
    ok = all(c.status == "ok" for c in (checks.job_store, checks.queue, checks.blob_store))
    body = HealthResponse(status="ok" if ok else "degraded", checks=checks)
    return respond(200 if ok else 503, body)
