"""HTTP entry point of the sweeper function, which Cloud Scheduler calls every few minutes."""

from __future__ import annotations

import logging

import flask

from trendreel import logs, services
from trendreel.http import (
    SWEEPER,
    FunctionRuntime,
    Handler,
    check_caller,
    error_response,
    json_response,
)

log = logging.getLogger(__name__)


def sweeper_handler(runtime: FunctionRuntime | None = None) -> Handler:
    own = runtime or FunctionRuntime()

    def handle_sweep(request: flask.Request) -> flask.Response:
        rt = own.for_request(request)
        with logs.request_context(request, rt.settings, function=SWEEPER):
            denied = check_caller(request, rt, SWEEPER)
            if denied is not None:
                return denied
            if request.method != "POST":
                return error_response(405, "method_not_allowed", "the sweeper takes POST")
            report = services.sweep(rt)
            log.info("sweep: requeued %s, failed %s", report["requeued"], report["failed"])
            return json_response(200, report)

    return handle_sweep
