"""HTTP entry points of the scheduled functions, which Cloud Scheduler calls: the sweeper (every
few minutes, re-drives stuck jobs) and metrics (hourly, reads published videos' numbers)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import flask

from trendreel import logs, services
from trendreel.bootstrap import Runtime
from trendreel.http import (
    SWEEPER,
    FunctionRuntime,
    Handler,
    check_caller,
    error_response,
    json_response,
)

log = logging.getLogger(__name__)
METRICS = "metrics"


def scheduled_handler(
    function: str, run: Callable[[Runtime], dict[str, Any]], runtime: FunctionRuntime | None
) -> Handler:
    """A function Cloud Scheduler POSTs to: the caller checked as infra/ allows, one pass of
    ``run``, its report as the answer."""
    own = runtime or FunctionRuntime()

    def handle_scheduled(request: flask.Request) -> flask.Response:
        rt = own.for_request(request)
        with logs.request_context(request, rt.settings, function=function):
            denied = check_caller(request, rt, function)
            if denied is not None:
                return denied
            if request.method != "POST":
                return error_response(405, "method_not_allowed", f"{function} takes POST")
            report = run(rt)
            log.info("%s: %s", function, report)
            return json_response(200, report)

    handle_scheduled.__name__ = f"handle_{function}"
    return handle_scheduled


def sweeper_handler(runtime: FunctionRuntime | None = None) -> Handler:
    return scheduled_handler(SWEEPER, services.sweep, runtime)


def metrics_handler(runtime: FunctionRuntime | None = None) -> Handler:
    return scheduled_handler(METRICS, services.collect_metrics, runtime)
