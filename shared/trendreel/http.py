"""HTTP in, delivery protocol, HTTP out: the thin layer between functions-framework and the
runner, with the one table of status codes the queue acts on.

    2xx  done, skipped, stale or failed permanently: the queue forgets the task
    429  another delivery holds a live lease (Retry-After): the queue backs off
    503  transient failure, claim released: the queue retries with backoff
    400  not a valid task (malformed JSON, unknown fields, wrong stage for this function)
    401  no credential, or not an authentic one (local: the local token; gcp: a Google ID token)
    403  an authentic ID token for another audience or from another service account

Who may call (``check_caller``): locally, the holder of the local token. On gcp, with
``stage_auth = "oidc"`` (the default), the Cloud Tasks OIDC token: audience = this function's
own URL (``settings.function_url(name)``), email = ``tasks_service_account``; the sweeper also
takes the principals the api allows (Cloud Scheduler's). This is on top of Cloud Run IAM (the
services are not public). ``stage_auth = "none"`` skips the check: only for emulator runs, whose
Tasks emulator sends no token, and the first unchecked call logs a warning saying so.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import flask
from pydantic import ValidationError

from trendreel import google_auth
from trendreel.auth_token import local_token, token_matches
from trendreel.bootstrap import Runtime, build_runtime
from trendreel.delivery import Delivery, Outcome
from trendreel.models import Stage, TaskPayload
from trendreel.settings import Settings, get_settings

log = logging.getLogger(__name__)
Handler = Callable[[flask.Request], flask.Response]


_installed: list[Runtime] = []


def runtime() -> Runtime:
    """One runtime per process (a Cloud Run instance, or the local server)."""
    if not _installed:
        settings = get_settings()
        if settings.backend == "gcp" and settings.stage_auth == "none":
            _warn_unchecked()
        _installed.append(build_runtime(settings))
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


SWEEPER = "sweeper"
_UNAUTHORIZED = (401, "unauthorized", "a valid bearer token is required")
_FORBIDDEN = (403, "forbidden", "this caller may not call this function")
_unchecked_warned: list[bool] = []


def _bearer(request: flask.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _denied(status: int, code: str, message: str) -> flask.Response:
    response = error_response(status, code, message)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="trendreel"'
    return response


def _warn_unchecked() -> None:
    if not _unchecked_warned:
        _unchecked_warned.append(True)
        log.warning(
            "TRENDREEL_STAGE_AUTH=none on backend gcp: stage and sweeper functions do not check "
            "the caller's OIDC token (meant for emulator runs only)"
        )


def _allowed_callers(settings: Settings, function: str) -> set[str]:
    allowed = {settings.tasks_service_account} if settings.tasks_service_account else set()
    if function == SWEEPER:  # Cloud Scheduler calls it, with the api's scheduler identity
        allowed |= set(settings.api_allowed_principals)
    return allowed


def check_caller(request: flask.Request, rt: Runtime, function: str) -> flask.Response | None:
    """None when ``request`` may call ``function`` (a stage name, or ``SWEEPER``); otherwise
    the generic 401/403 (or 503 when Google's certificates are out of reach) to answer."""
    settings = rt.settings
    token = _bearer(request)
    if settings.backend != "gcp":
        ok = token is not None and token_matches(token, local_token(settings))
        return None if ok else _denied(*_UNAUTHORIZED)
    if settings.stage_auth == "none":
        _warn_unchecked()
        return None
    if token is None:
        return _denied(*_UNAUTHORIZED)
    try:
        google_auth.verify_id_token(
            token,
            audiences=[settings.function_url(function)],
            principals=_allowed_callers(settings, function),
            certs=google_auth.certs_for(settings.google_certs_url),
        )
    except google_auth.AuthRejectedError as exc:
        log.info("%s: caller rejected (%s)", function, google_auth.describe(exc))
        return _denied(*(_FORBIDDEN if exc.status == 403 else _UNAUTHORIZED))
    except google_auth.CertsUnavailableError as exc:
        log.warning("%s: cannot verify OIDC tokens: %s", function, exc)
        return error_response(503, "auth_unavailable", "the caller cannot be checked right now")
    return None


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
        denied = check_caller(request, rt, stage.value)
        if denied is not None:
            return denied
        parsed = parse_delivery(request, stage, rt.settings.max_body_bytes)
        if isinstance(parsed, flask.Response):
            return parsed
        from trendreel.runner import StageRunner  # the media stack loads on first delivery

        return to_response(StageRunner(rt).handle(parsed))

    handle.__name__ = f"handle_{stage.value}"
    return handle
