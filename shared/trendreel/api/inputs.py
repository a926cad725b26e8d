"""Reading what a client sent: bounded bodies, pydantic validation, ids and headers.

Every failure becomes a 4xx ApiError that names the field; pydantic's ``input`` echo is dropped
so a pasted secret is never reflected back.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import flask
from pydantic import BaseModel, ValidationError

from trendreel.api.errors import ApiError, BodyTooLargeError, bad_request
from trendreel.api.schemas import IDEMPOTENCY_KEY_PATTERN, JOB_ID_PATTERN

M = TypeVar("M", bound=BaseModel)
_JOB_ID = re.compile(JOB_ID_PATTERN)
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
#: RFC 9110 §8.6: 1*DIGIT. 18 digits is an exabyte, far past any body limit, and keeps int() cheap.
_CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")


def check_content_length(request: flask.Request) -> None:
    """A malformed Content-Length is a 400 before anything else happens.

    werkzeug reads ``-1``, ``abc`` or a number past int()'s digit limit as 0, i.e. an empty
    body, which here means "all defaults": a request that says something else must not start
    a default job. The raw value is in the WSGI environ (absent or empty when the request has
    no body or is chunked, which is fine).
    """
    raw = request.environ.get("CONTENT_LENGTH")
    if raw is None or raw == "" or _CONTENT_LENGTH.fullmatch(raw.strip(" \t")):
        return
    raise ApiError(
        400,
        "invalid_content_length",
        "Content-Length must be the body's size in bytes: 1 to 18 digits and nothing else "
        "(send none with a chunked body)",
        headers={"Connection": "close"},  # the body's extent is unknown: do not reuse the line
    )


def read_body(request: flask.Request, max_bytes: int) -> bytes:
    check_content_length(request)
    declared = request.content_length  # None when chunked: Transfer-Encoding wins (RFC 9112)
    if declared is not None and declared > max_bytes:
        raise BodyTooLargeError(max_bytes)
    # No Content-Length (chunked): read one byte past the limit to detect an oversized body.
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BodyTooLargeError(max_bytes)
    return data


def parse_body(request: flask.Request, model: type[M], max_bytes: int) -> M:
    """An absent or empty body counts as ``{}``: every field of every request body is optional."""
    data = read_body(request, max_bytes)
    try:
        return model.model_validate_json(data if data.strip() else b"{}")
    except ValidationError as exc:
        raise invalid("body", exc) from exc


def parse_query(request: flask.Request, model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise invalid("query", exc) from exc


def invalid(where: str, exc: ValidationError) -> ApiError:
    problems = [_problem(error) for error in exc.errors()]
    first = problems[0]
    if first["type"] == "json_invalid":
        return bad_request("invalid_json", f"request body is not valid JSON: {first['message']}")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    message = f"invalid {where}: field '{first['field']}': {first['message']}{more}"
    return bad_request(f"invalid_{where}", message, details=problems)


def _problem(error: Any) -> dict[str, str]:
    field = ".".join(str(part) for part in error["loc"]) or "(root)"
    return {"field": field, "message": str(error["msg"]), "type": str(error["type"])}


def job_id(value: str) -> str:
    if not _JOB_ID.fullmatch(value):
        raise bad_request("invalid_id", "ids are 6 to 64 characters: letters, digits, '-' and '_'")
    return value


def idempotency_key(request: flask.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 printable ASCII characters without spaces",
        )
    return key
