"""The fake YouTube's answers, error bodies in Google's shape.

``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}`` with the reasons
and messages of https://developers.google.com/youtube/v3/docs/errors, the method pages
(https://developers.google.com/youtube/v3/docs/videos/insert#errors,
https://developers.google.com/youtube/v3/docs/thumbnails/set#errors) and, for the 401 of an
expired token, the ``authError`` body Google APIs send with ``WWW-Authenticate``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)
EXPIRED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> Answer:
        content = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
        return cls(status, json.dumps(data).encode(), content)


def google_error(
    code: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    status: str | None = None,
    header_location: bool = False,
    headers: dict[str, str] | None = None,
) -> Answer:
    item: dict[str, str] = {"message": message, "domain": domain, "reason": reason}
    if header_location:
        item |= {"location": "Authorization", "locationType": "header"}
    error: dict[str, Any] = {"code": code, "message": message, "errors": [item]}
    if status is not None:
        error["status"] = status
    return Answer.json(code, {"error": error}, headers)


def token_rejected() -> Answer:
    return google_error(
        401,
        "authError",
        EXPIRED_MESSAGE,
        status="UNAUTHENTICATED",
        header_location=True,
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        },
    )


def insufficient_scopes() -> Answer:
    return google_error(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        status="PERMISSION_DENIED",
        header_location=True,
    )


def quota_exceeded() -> Answer:
    return google_error(403, "quotaExceeded", QUOTA_MESSAGE, domain="youtube.quota")


def upload_limit_exceeded() -> Answer:
    message = "The user has exceeded the number of videos they may upload."
    return google_error(400, "uploadLimitExceeded", message, domain="youtube.video")


def rate_limited(retry_after: int | None) -> Answer:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return google_error(
        429,
        "rateLimitExceeded",
        "Rate Limit Exceeded",
        domain="usageLimits",
        status="RESOURCE_EXHAUSTED",
        headers=headers,
    )


def backend_error() -> Answer:
    return google_error(503, "backendError", "Backend Error", status="UNAVAILABLE")


def bad_request(reason: str, message: str, domain: str = "youtube.video") -> Answer:
    return google_error(400, reason, message, domain=domain)


def not_found() -> Answer:
    return google_error(404, "notFound", "Not Found", status="NOT_FOUND")


def thumbnail_forbidden() -> Answer:
    message = (
        "The authenticated user doesn't have permissions to upload and set custom video thumbnails."
    )
    return google_error(403, "forbidden", message, domain="youtube.thumbnail", header_location=True)


def video_not_found() -> Answer:
    message = (
        "The video that you are trying to insert a thumbnail image for cannot be found. Check "
        "the value of the request's videoId parameter to ensure that it is correct."
    )
    return google_error(404, "videoNotFound", message, domain="youtube.thumbnail")
