"""``api_handler``: route, authenticate, run the handler, translate errors to JSON.

404 no such route            405 route exists, other method (Allow lists the methods)
401 no/wrong credential      403 a media URL whose signature is wrong or expired
400 bad input, wrong state   413 body over settings.max_body_bytes
422 an Idempotency-Key reused for a different request
503 backends unreachable     500 a bug (logged with its traceback; the client gets no detail)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import flask
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from trendreel import http, logs
from trendreel.api import inputs, signing
from trendreel.api.auth import Authenticator, authenticator_for, configuration_warnings
from trendreel.api.errors import ApiError, not_found
from trendreel.api.routes import ALL_ROUTES
from trendreel.api.routing import Call, Route
from trendreel.api.schemas import MediaQuery
from trendreel.bootstrap import Runtime
from trendreel.errors import (
    BlobNotFoundError,
    ConfigError,
    IdempotencyConflictError,
    InvalidStateError,
    JobNotFoundError,
    TaskNotQueuedError,
    TrendreelError,
)

log = logging.getLogger(__name__)
DEFAULT_MAX_BODY_BYTES = 256 * 1024  # when even the settings are unavailable
_BY_NAME = {route.name: route for route in ALL_ROUTES}
_MAP = Map(
    [Rule(route.path, methods=[route.method], endpoint=route.name) for route in ALL_ROUTES],
    merge_slashes=False,
)


def _unauthorized() -> ApiError:
    # Deliberately the same answer for a missing, malformed or wrong token.
    return ApiError(
        401,
        "unauthorized",
        "a valid bearer token is required",
        headers={"WWW-Authenticate": 'Bearer realm="trendreel"'},
    )


def _match(request: flask.Request) -> tuple[Route, dict[str, str]]:
    adapter = _MAP.bind_to_environ(request.environ)
    try:
        endpoint, params = adapter.match()
    except NotFound:
        where = f"{request.method} {request.path}"[:200]
        raise not_found("not_found", f"no route {where}; GET /openapi.json lists them") from None
    except MethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.valid_methods or []))
        raise ApiError(
            405,
            "method_not_allowed",
            f"{request.path[:200]} accepts {allowed}",
            headers={"Allow": allowed},
        ) from None
    return _BY_NAME[str(endpoint)], {k: str(v) for k, v in params.items()}


def api_runtime() -> Runtime:
    """The api's runtime from its environment; what would lock callers out is said at start."""
    rt = http.runtime_from_environment()
    for warning in configuration_warnings(rt.settings):
        log.warning(warning)
    return rt


def _runtime(own: http.FunctionRuntime, request: flask.Request) -> Runtime:
    try:
        return own.for_request(request)
    except Exception as exc:
        log.exception("cannot build the runtime")
        raise ApiError(
            503, "service_unavailable", f"the api cannot start its backends ({type(exc).__name__})"
        ) from exc


def _authorise(
    request: flask.Request, route: Route, auth: Authenticator, rt: Runtime
) -> str | None:
    """The caller (None for a public route, or a media URL with a valid signature)."""
    if route.access == "public":
        return None
    caller = auth.authenticate(request)
    if caller is not None:
        return caller
    if route.access != "media":
        raise _unauthorized()
    query = inputs.parse_query(request, MediaQuery)
    result = signing.check(
        auth.signing_secret(), request.path, query.expires, query.sig, rt.clock()
    )
    if result == signing.Signature.MISSING:
        raise _unauthorized()
    if result == signing.Signature.EXPIRED:
        raise ApiError(403, "signature_expired", "this media URL expired; GET the video again")
    if result == signing.Signature.INVALID:
        raise ApiError(403, "invalid_signature", "this media URL's signature is not valid")
    return None


def _job_id(exc: Any) -> Any:
    return {"job_id": exc.job_id}


def _problems(exc: Any) -> Any:
    return exc.problems  # every failing field: [{field, message, type}], like invalid_body


#: Domain errors a client caused or can act on: (type, status, what goes in details).
_CLIENT_ERRORS: tuple[tuple[type[TrendreelError], int, Callable[[Any], Any] | None], ...] = (
    (IdempotencyConflictError, 422, _job_id),
    (TaskNotQueuedError, 503, _job_id),
    (JobNotFoundError, 404, None),
    (InvalidStateError, 400, None),
    (ConfigError, 400, _problems),
    (BlobNotFoundError, 404, None),
)


def _translate(exc: TrendreelError) -> ApiError:
    for kind, status, detail in _CLIENT_ERRORS:
        if isinstance(exc, kind):
            details = detail(exc) if detail is not None else None
            return ApiError(status, exc.code, exc.message, details=details)
    log.error("%s: %s", type(exc).__name__, exc.message)
    return ApiError(503 if exc.retryable else 500, exc.code, exc.message)


def _dispatch(request: flask.Request, rt: Runtime) -> flask.Response:
    route, params = _match(request)
    auth = authenticator_for(rt.settings, rt.google_certs())
    caller = _authorise(request, route, auth, rt)
    call = Call(request=request, rt=rt, params=params, auth=auth, caller=caller)
    try:
        return route.handler(call)
    except TrendreelError as exc:
        raise _translate(exc) from exc


def _unread_upload_guard(
    request: flask.Request, response: flask.Response, limit: int
) -> flask.Response:
    """functions-framework reads whatever request body is left once the response is made (its
    ``read_request`` hook), unless the response is streamed. A small body may be buffered; an
    oversized or unbounded (chunked) one, e.g. sent with a bad token, must not be: answer with
    a streamed body and close the connection instead."""
    declared = request.content_length
    if declared is not None and declared <= limit:
        return response
    if declared is None and not request.environ.get("wsgi.input_terminated"):
        return response  # no body at all
    if not response.is_streamed:
        response.response = iter([response.get_data()])
    response.headers["Connection"] = "close"
    return response


def _respond(request: flask.Request, own: http.FunctionRuntime) -> flask.Response:
    limit = DEFAULT_MAX_BODY_BYTES
    try:
        rt = _runtime(own, request)
        limit = rt.settings.max_body_bytes
        with logs.request_context(request, rt.settings, function="api"):
            response = _dispatch(request, rt)
    except ApiError as exc:
        response = exc.response()
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path[:200])
        response = ApiError(
            500, "internal_error", "unexpected error; see the server logs"
        ).response()
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "application/json":
        response.headers.setdefault("Cache-Control", "no-store")
    return _unread_upload_guard(request, response, limit)


def api_handler(runtime: http.FunctionRuntime | None = None) -> http.Handler:
    """The api function's entry point, with its own runtime (built from its environment)."""
    own = runtime or http.FunctionRuntime(build=api_runtime)

    def handle_request(request: flask.Request) -> flask.Response:
        return _respond(request, own)

    return handle_request
