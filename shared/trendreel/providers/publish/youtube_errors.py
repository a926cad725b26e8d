"""YouTube's own reading of its non-2xx answers, for the outbound-call policy's ``classify`` hook.

Google error bodies look like ``{"error": {"code", "message", "errors": [{"domain", "reason",
"message"}]}}`` (https://developers.google.com/youtube/v3/docs/errors). The reasons that change
what trendreel does:

- 403 ``quotaExceeded`` (domain ``youtube.quota``): a daily project quota is spent. Not an auth
  error and not retryable before midnight Pacific Time (see ``youtube_quota``).
- 400 ``uploadLimitExceeded`` (domain ``youtube.video``): the channel's 24-hour upload limit.
- 429 ``uploadRateLimitExceeded`` (``thumbnails.set``): too many thumbnails in the past 24 hours
  (https://developers.google.com/youtube/v3/revision_history, 2023-06-28).
- 403/429 ``rateLimitExceeded`` / ``userRateLimitExceeded``: short-lived rate limits; retryable.
- 403 ``insufficientPermissions``: the account was connected without the scopes publishing needs.
- 401: the access token was rejected; the caller refreshes it once (``TokenRejectedError``).

The resumable upload protocol's own non-2xx answers (308 Resume Incomplete, 404 for an expired
session) are not errors: the upload accepts them as answers (``ServiceClient.request(accept=)``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from trendreel.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
)
from trendreel.providers.http import Classifier, google_reasons
from trendreel.providers.publish import base
from trendreel.providers.publish.youtube_quota import (
    quota_exceeded,
    thumbnail_limit_exceeded,
    upload_limit_exceeded,
)

CONNECT_HINT = "Reconnect the YouTube account: run `trendreel accounts connect youtube`."
SCOPES_HINT = (
    "The connected account lacks a scope publishing needs (youtube.upload and youtube.readonly): "
    "run `trendreel accounts connect youtube` again and grant every permission asked for."
)
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


class TokenRejectedError(base.TokenRejectedError):
    """401: the access token is expired or revoked; refresh it once and repeat the call."""

    hint = CONNECT_HINT


def make_classifier(now: Callable[[], datetime]) -> Classifier:
    """The ``classify`` hook for every YouTube client; ``now`` dates quota resets."""

    def classify(provider: str, response: httpx.Response) -> ProviderError | None:
        if response.status_code == 401:
            return TokenRejectedError(
                provider, f"{_where(response)} answered HTTP 401: token rejected"
            )
        return _by_reason(provider, response, now)

    return classify


def _by_reason(
    provider: str, response: httpx.Response, now: Callable[[], datetime]
) -> ProviderError | None:
    found = google_reasons(response)
    if "quotaExceeded" in found:
        return quota_exceeded(operation_of(response.request), now())
    if "uploadLimitExceeded" in found:
        return upload_limit_exceeded(now())
    if "uploadRateLimitExceeded" in found:
        return thumbnail_limit_exceeded(now())
    if found & RATE_LIMIT_REASONS:
        reason = sorted(found & RATE_LIMIT_REASONS)[0]
        return ProviderRateLimitError(provider, f"{_where(response)}: {reason}")
    if "insufficientPermissions" in found:
        message = f"{_where(response)}: insufficientPermissions"
        return ProviderAuthError(provider, message, hint=SCOPES_HINT)
    return None


def operation_of(request: httpx.Request) -> str:
    """The API method a request calls, by its path (``videos.insert``, ``thumbnails.set``...)."""
    path = request.url.path.rstrip("/")
    if path.endswith("/thumbnails/set"):
        return "thumbnails.set"
    if path.endswith("/videos"):
        return "videos.list" if request.method == "GET" else "videos.insert"
    return path.rsplit("/", 1)[-1] or "unknown"


def _where(response: httpx.Response) -> str:
    """Method and path only: a session URI's query string is a capability."""
    return f"{response.request.method} {response.request.url.path}"
