"""HTTP in, delivery protocol, HTTP out: the thin layer between functions-framework and the
runner, with the one table of status codes the queue acts on.

    2xx  done, skipped, stale or failed permanently: the queue forgets the task
    429  another delivery holds a live lease (Retry-After): the queue backs off
    503  transient failure, claim released: the queue retries with backoff
    400  not a valid task (malformed JSON, unknown fields, wrong stage for this function)
    401  missing or wrong bearer token (local mode; on GCP, Cloud Run IAM checks the OIDC token)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import flask
from pydantic import ValidationError

from trendreel.auth_token import local_token, token_matches
from trendreel.bootstrap import Runtime, build_runtime
from trendreel.delivery import Delivery, Outcome
from trendreel.models import Stage, TaskPayload
from trendreel.settings import get_settings

log = logging.getLogger(__name__)
Handler = Callable[[flask.Request], flask.Response]


_installed: list[Runtime] = []


def runtime() -> Runtime:
    """One runtime per process (a Cloud Run instance, or the local server)."""
    if not _installed:
        _installed.append(build_runtime(get_settings()))
    return _installed[0]


def install_runtime(rt: Runtime | None) -> None:
    """Use ``rt`` for every function in this process (the local server, tests); None resets."""
    _installed.clear()
    if rt is not None:
        _installed.append(rt)


def json_response(
    status: int, body: object, headers: dict[str, str] | None = None
) -> flask.Response:
    response = flask.Response(json.dumps(body), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error_response(status: int, code: str, message: str) -> flask.Response:
    return json_response(status, {"error": {"code": code, "message": message}})


def _authorised(request: flask.Request, rt: Runtime) -> bool:
    if rt.settings.backend == "gcp":
        return True  # Cloud Run only lets the queue's OIDC identity through (infra/)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and token_matches(token, local_token(rt.settings))


def _int_header(request: flask.Request, name: str) -> int:
    try:
        return max(int(request.headers.get(name, "0")), 0)
    except ValueError:
        return 0


def parse_delivery(
    request: flask.Request, stage: Stage, max_bytes: int
) -> Delivery | flask.Response:
    if request.method != "POST":
        return error_response(405, "method_not_allowed", "stage functions take POST")
    if (request.content_length or 0) > max_bytes:
        return error_response(413, "body_too_large", f"task bodies are at most {max_bytes} bytes")
    try:
        payload = TaskPayload.model_validate_json(request.get_data(cache=False) or b"")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(body)"
        return error_response(400, "invalid_task", f"invalid task: {where}: {first['msg']}")
    if payload.stage != stage:
        return error_response(
            400, "wrong_stage", f"this function runs {stage.value}, not {payload.stage.value}"
        )
    return Delivery(
        payload=payload,
        task_name=request.headers.get("X-CloudTasks-TaskName", ""),
        retry_count=_int_header(request, "X-CloudTasks-TaskRetryCount"),
        execution_count=_int_header(request, "X-CloudTasks-TaskExecutionCount"),
        queue_name=request.headers.get("X-CloudTasks-QueueName", ""),
    )


def to_response(outcome: Outcome) -> flask.Response:
    headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
    return json_response(outcome.status, outcome.body, headers)


def stage_handler(stage: Stage) -> Handler:
    """The HTTP entry point of one stage function."""

    def handle(request: flask.Request) -> flask.Response:
        rt = runtime()
        if not _authorised(request, rt):
            return error_response(401, "unauthorized", "a valid bearer token is required")
        parsed = parse_delivery(request, stage, rt.settings.max_body_bytes)
        if isinstance(parsed, flask.Response):
            return parsed
        from trendreel.runner import StageRunner  # the media stack loads on first delivery

        return to_response(StageRunner(rt).handle(parsed))

    handle.__name__ = f"handle_{stage.value}"
    return handle
