"""``handle_request``: route, authenticate, run the handler, translate errors to JSON.

404 no such route            405 route exists, other method (Allow lists the methods)
401 no/wrong credential      403 a media URL whose signature is wrong or expired
400 bad input, wrong state   413 body over settings.max_body_bytes
503 backends unreachable     500 a bug (logged with its traceback; the client gets no detail)
"""

from __future__ import annotations

import logging

import flask
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from trendreel import http
from trendreel.api import inputs, signing
from trendreel.api.auth import Authenticator, authenticator_for
from trendreel.api.errors import ApiError, bad_request, not_found
from trendreel.api.routes import ALL_ROUTES
from trendreel.api.routing import Call, Route
from trendreel.api.schemas import MediaQuery
from trendreel.bootstrap import Runtime
from trendreel.errors import (
    BlobNotFoundError,
    ConfigError,
    InvalidStateError,
    JobNotFoundError,
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


def _runtime() -> Runtime:
    try:
        return http.runtime()
    except Exception as exc:
        log.exception("cannot build the runtime")
        raise ApiError(
            503, "service_unavailable", f"the api cannot start its backends ({type(exc).__name__})"
        ) from exc


def _authorise(request: flask.Request, route: Route, auth: Authenticator, rt: Runtime) -> None:
    if route.access == "public" or auth.authenticate(request):
        return
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


def _translate(exc: TrendreelError) -> ApiError:
    if isinstance(exc, JobNotFoundError):
        return not_found(exc.code, exc.message)
    if isinstance(exc, InvalidStateError):
        return bad_request(exc.code, exc.message)
    if isinstance(exc, ConfigError):
        return bad_request(exc.code, exc.message, details={"field": exc.field})
    if isinstance(exc, BlobNotFoundError):
        return not_found(exc.code, exc.message)
    log.error("%s: %s", type(exc).__name__, exc.message)
    return ApiError(503 if exc.retryable else 500, exc.code, exc.message)


def _dispatch(request: flask.Request) -> flask.Response:
    route, params = _match(request)
    rt = _runtime()
    auth = authenticator_for(rt.settings)
    _authorise(request, route, auth, rt)
    try:
        return route.handler(Call(request=request, rt=rt, params=params, auth=auth))
    except TrendreelError as exc:
        raise _translate(exc) from exc


def _body_limit() -> int:
    try:
        return http.runtime().settings.max_body_bytes
    except Exception:
        return DEFAULT_MAX_BODY_BYTES


def _unread_upload_guard(request: flask.Request, response: flask.Response) -> flask.Response:
    """functions-framework reads whatever request body is left once the response is made (its
    ``read_request`` hook), unless the response is streamed. A small body may be buffered; an
    oversized or unbounded (chunked) one, e.g. sent with a bad token, must not be: answer with
    a streamed body and close the connection instead."""
    declared = request.content_length
    if declared is not None and declared <= _body_limit():
        return response
    if declared is None and not request.environ.get("wsgi.input_terminated"):
        return response  # no body at all
    if not response.is_streamed:
        response.response = iter([response.get_data()])
    response.headers["Connection"] = "close"
    return response


def handle_request(request: flask.Request) -> flask.Response:
    try:
        response = _dispatch(request)
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
    return _unread_upload_guard(request, response)
