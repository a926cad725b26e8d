"""HTTP entry point of the sweeper function."""

from __future__ import annotations

import flask

from trendreel.http import SWEEPER, check_caller, error_response, json_response, runtime
from trendreel.sweeper import sweep


def handle_sweep(request: flask.Request) -> flask.Response:
    rt = runtime()
    denied = check_caller(request, rt, SWEEPER)
    if denied is not None:
        return denied
    if request.method != "POST":
        return error_response(405, "method_not_allowed", "the sweeper takes POST")
    return json_response(200, sweep(rt))
