"""HTTP in, delivery protocol, HTTP out: the thin layer between functions-framework and the
runner, with the one table of status codes the queue acts on.

    2xx  done, skipped, stale, deferred or failed permanently: the queue forgets the task
    429  another delivery holds a live lease and no follow-up could be queued (Retry-After)
    503  transient failure, claim released: the queue retries with backoff
    400  not a valid task (malformed JSON, unknown fields, wrong stage for this function)
    401  no credential, or not an authentic one (local: the local token; gcp: a Google ID token)
    403  an authentic ID token for another audience or from another service account

Who may call (``check_caller``): locally, the holder of the local token. On gcp, an ID token
whose audience is this function's own URL (``settings.function_url(name)``) and whose email is
in ``allowed_callers`` (infra/ lists the Cloud Tasks invoker for stages, Cloud Scheduler's
account for the sweeper: the same identities it gives roles/run.invoker). With Cloud Run's
invoker check on (``invoker_iam_check``, as infra/ deploys them) Cloud Run has verified the
token's signature and removed it; the function still checks audience and email from the claims.

Each function process has one runtime (``FunctionRuntime``), built from that process's own
environment on its first request, as on Cloud Run, where every function is its own service. A
host that runs several functions in one process (``trendreel serve``, tests) hands its runtime
to each request under the WSGI environ key ``RUNTIME_KEY`` instead.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

import flask
from pydantic import ValidationError

from trendreel import google_auth, logs
from trendreel.auth_token import local_token, token_matches
from trendreel.bootstrap import Runtime, build_runtime
from trendreel.delivery import Delivery, Outcome, T, TaskDelivery
from trendreel.models import Stage, TaskPayload
from trendreel.settings import Settings

log = logging.getLogger(__name__)
Handler = Callable[[flask.Request], flask.Response]
RUNTIME_KEY = "trendreel.runtime"
SWEEPER = "sweeper"


def runtime_from_environment() -> Runtime:
    """What a deployed function runs on: its own environment, nothing shared."""
    settings = Settings()
    logs.configure(settings)
    return build_runtime(settings)


class FunctionRuntime:
    """The runtime of one function process, built on first use (a cold start pays for it once)."""

    def __init__(self, build: Callable[[], Runtime] = runtime_from_environment) -> None:
        self._build = build
        self._built: Runtime | None = None
        self._lock = threading.Lock()

    def for_request(self, request: flask.Request) -> Runtime:
        hosted = request.environ.get(RUNTIME_KEY)
        if isinstance(hosted, Runtime):
            return hosted
        with self._lock:
            if self._built is None:
                self._built = self._build()
            return self._built


def json_response(
    status: int, body: object, headers: dict[str, str] | None = None
) -> flask.Response:
    response = flask.Response(json.dumps(body), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error_response(status: int, code: str, message: str) -> flask.Response:
    return json_response(status, {"error": {"code": code, "message": message}})


_UNAUTHORIZED = (401, "unauthorized", "a valid bearer token is required")
_FORBIDDEN = (403, "forbidden", "this caller may not call this function")


def _denied(status: int, code: str, message: str) -> flask.Response:
    response = error_response(status, code, message)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="trendreel"'
    return response


def check_caller(request: flask.Request, rt: Runtime, function: str) -> flask.Response | None:
    """None when ``request`` may call ``function`` (a stage name, or ``SWEEPER``); otherwise
    the generic 401/403 (or 503 when Google's certificates are out of reach) to answer."""
    settings = rt.settings
    if settings.backend != "gcp":
        token = google_auth.bearer(request.headers.get("Authorization", ""))
        ok = token is not None and token_matches(token, local_token(settings))
        return None if ok else _denied(*_UNAUTHORIZED)
    if settings.invoker_iam_check:
        token = google_auth.checked_by_cloud_run(
            request.headers.get("Authorization"),
            request.headers.get(google_auth.SERVERLESS_AUTHORIZATION),
        )
    else:
        token = google_auth.bearer(request.headers.get("Authorization", ""))
    if token is None:
        return _denied(*_UNAUTHORIZED)
    try:
        caller = google_auth.verify_id_token(
            token,
            audiences=[settings.function_url(function)],
            principals=settings.allowed_callers,
            certs=rt.google_certs(),
            verified_by_cloud_run=settings.invoker_iam_check,
        )
    except google_auth.AuthRejectedError as exc:
        log.info("%s: caller rejected (%s)", function, google_auth.describe(exc))
        return _denied(*(_FORBIDDEN if exc.status == 403 else _UNAUTHORIZED))
    except google_auth.CertsUnavailableError as exc:
        log.warning("%s: cannot verify OIDC tokens: %s", function, exc)
        return error_response(503, "auth_unavailable", "the caller cannot be checked right now")
    log.debug("%s: caller %s", function, caller.email)
    return None


def _int_header(request: flask.Request, name: str) -> int:
    value = request.headers.get(name, "0")
    return max(int(value), 0) if value.isdigit() and len(value) < 10 else 0


def parse_task(
    request: flask.Request, model: type[T], max_bytes: int
) -> TaskDelivery[T] | flask.Response:
    """A task delivery: POST, a body of at most ``max_bytes`` that is a valid ``model``, and the
    queue's X-CloudTasks-* headers. Anything else is answered 4xx (never retried usefully)."""
    if request.method != "POST":
        return error_response(405, "method_not_allowed", "task functions take POST")
    if (request.content_length or 0) > max_bytes:
        return error_response(413, "body_too_large", f"task bodies are at most {max_bytes} bytes")
    try:
        payload = model.model_validate_json(request.get_data(cache=False) or b"")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(body)"
        return error_response(400, "invalid_task", f"invalid task: {where}: {first['msg']}")
    return TaskDelivery(
        payload=payload,
        task_name=request.headers.get("X-CloudTasks-TaskName", ""),
        retry_count=_int_header(request, "X-CloudTasks-TaskRetryCount"),
        execution_count=_int_header(request, "X-CloudTasks-TaskExecutionCount"),
        queue_name=request.headers.get("X-CloudTasks-QueueName", ""),
    )


def to_response(outcome: Outcome) -> flask.Response:
    headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
    return json_response(outcome.status, outcome.body, headers)


def task_handler(
    function: str,
    model: type[T],
    serve: Callable[[Runtime, TaskDelivery[T]], Outcome],
    bind: Callable[[TaskDelivery[T]], dict[str, object]],
    runtime: FunctionRuntime | None = None,
) -> Handler:
    """The HTTP entry point of a function the queue delivers ``model`` tasks to (a stage,
    publish, webhooks): the caller checked, the task parsed, ``serve`` run with the delivery's
    fields bound to every log line, its outcome answered with the table above."""
    own = runtime or FunctionRuntime()

    def handle(request: flask.Request) -> flask.Response:
        rt = own.for_request(request)
        with logs.request_context(request, rt.settings, function=function):
            denied = check_caller(request, rt, function)
            if denied is not None:
                return denied
            parsed = parse_task(request, model, rt.settings.max_body_bytes)
            if isinstance(parsed, flask.Response):
                return parsed
            with logs.bound(**bind(parsed), attempt=parsed.retry_count + 1):
                outcome = serve(rt, parsed)
                log.info("delivery answered %d: %s", outcome.status, outcome.body.get("result"))
                return to_response(outcome)

    handle.__name__ = f"handle_{function}"
    return handle


def stage_handler(stage: Stage, runtime: FunctionRuntime | None = None) -> Handler:
    """The HTTP entry point of one stage function."""

    def serve(rt: Runtime, d: Delivery) -> Outcome:
        if d.payload.stage != stage:
            body = {"error": {"code": "wrong_stage", "message": f"this function runs "
                              f"{stage.value}, not {d.payload.stage.value}"}}  # fmt: skip
            return Outcome(400, body)
        from trendreel.runner import StageRunner  # the media stack loads on first delivery

        return StageRunner(rt).handle(d)

    def bind(d: Delivery) -> dict[str, object]:
        return {
            "job_id": d.payload.job_id,
            "stage": stage.value,
            "generation": d.payload.generation,
        }

    return task_handler(stage.value, TaskPayload, serve, bind, runtime)
