"""API errors: one exception carrying status, code, message and optional details.

Every error leaves the api as ``{"error": {"code", "message", "details"?}}``. Domain errors
(``trendreel.errors``) are translated to these at the edge, in ``app.py``.
"""

from __future__ import annotations

import json
from typing import Any

import flask


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}

    def response(self) -> flask.Response:
        response = flask.Response(
            json.dumps(self.body()), status=self.status, mimetype="application/json"
        )
        response.headers.update(self.headers)
        return response


class BodyTooLargeError(ApiError):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, "body_too_large", f"request bodies are at most {max_bytes} bytes")


def bad_request(code: str, message: str, details: Any = None) -> ApiError:
    return ApiError(400, code, message, details=details)


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)
