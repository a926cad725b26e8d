"""API errors: one exception carrying status, code, message and optional details.

Every error leaves the api as ``{"error": {"code", "message", "details"?}}``. Domain errors
(``trendreel.errors``) are translated to these at the edge, in ``app.py``.

``without_server_paths`` is for text the server wrote without thinking of clients (a failed
stage's message from ffmpeg or an OSError, a trend source's error): the response models pass it
through, so the layout of the server's disk never leaves the api.
"""

from __future__ import annotations

import json
import re
from typing import Any

import flask

#: An absolute path or file URI: a "/" that starts no part of a word, relative path or URL
#: ("https://host/a/b" has none), and is not an HTTP request target ("GET /v1/search", as a
#: provider's error names the remote endpoint).
_SERVER_PATH = re.compile(
    r"(?:file://|(?<![\w.~/\\-])(?<!GET )(?<!PUT )(?<!POST )(?<!HEAD )(?<!PATCH )(?<!DELETE ))"
    r"(?P<path>/(?!/)[^\s'\"`<>|]+)"
)
#: Where a blob lives in the local blob folder: its key is what names it everywhere else.
_BLOB_KEY = re.compile(r"(?:^|/)(jobs/[^/]+/[^/]+/.+)$")
_TRAILING = ".,:;!?)]}"  # punctuation after a path belongs to the sentence


def _short_name(match: re.Match[str]) -> str:
    path = match.group("path")
    core = path.rstrip(_TRAILING)
    if core.strip("/").count("/") < 1:  # "/x": one segment says nothing about the layout
        return match.group(0)
    key = _BLOB_KEY.search(core)
    name = key.group(1) if key else core.rstrip("/").rsplit("/", 1)[-1]
    return name + path[len(core) :]


def without_server_paths(text: str) -> str:
    """``text`` with every absolute path replaced by the blob key it holds, else its file name.

    ``ffmpeg failed: /home/u/.trendreel/scratch/x/audio.wav: No such file`` becomes
    ``ffmpeg failed: audio.wav: No such file``.
    """
    return _SERVER_PATH.sub(_short_name, text) if "/" in text else text


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
