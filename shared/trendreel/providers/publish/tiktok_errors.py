"""TikTok's errors, read into the ProviderError tree.

TikTok API v2 answers every call with ``{"data": ..., "error": {"code", "message", "log_id"}}``;
any code but ``ok`` is a failure, sometimes with HTTP 200 (creator_info/query's spam and quota
codes are "200 (intentional)"), so the envelope is checked on every answer, not only on 4xx.
Codes and their HTTP statuses: https://developers.tiktok.com/doc/tiktok-api-v2-error-handling,
https://developers.tiktok.com/doc/content-posting-api-reference-direct-post and
https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status. The upload URL
answers with bare statuses instead (Media Transfer Guide): 403 expired, 404 no such upload, 416
out of step. Messages carry TikTok's ``log_id``, which its support asks for; never a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from trendreel.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderQuotaExceededError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.providers.publish import base

PROVIDER = "tiktok"
CONNECT = "run `trendreel accounts connect tiktok`"


class TokenRejectedError(base.TokenRejectedError):
    """``access_token_invalid``: refreshed once by the publisher; a second one is final."""

    hint = f"TikTok rejected the account's access token even after a refresh: {CONNECT}."


class UnauditedClientError(ProviderAuthError):
    """``unaudited_client_can_only_post_to_private_accounts``: video/init was blocked."""

    hint = (
        "TikTok takes posts from an app that has not passed its audit only from a private "
        "account, and only visible to the creator. Set the TikTok account to private (TikTok app: "
        "Settings and privacy > Privacy > Private account) and publish again, or publish once "
        "the app has passed TikTok's audit."
    )


class UploadUrlExpiredError(ProviderResponseError):
    """The upload URL answered 403: it is valid for one hour after video/init."""


class UploadOutOfStepError(ProviderResponseError):
    """416: TikTok holds other bytes than the chunk assumed. The next attempt asks it first."""

    retryable = True
    hint = "The queue retries; the next attempt asks TikTok how far the upload got and resumes."


@dataclass(frozen=True)
class TikTokFailure:
    code: str
    message: str
    log_id: str


_QUOTA_24H = "TikTok counts it over 24 hours; publish again tomorrow, or post from the TikTok app."
_RECONNECT_SCOPES = f"Allow posting and reading videos when connecting: {CONNECT}."
_BY_CODE: dict[str, tuple[type[ProviderError], str | None]] = {
    "access_token_invalid": (TokenRejectedError, None),
    "scope_not_authorized": (ProviderAuthError, _RECONNECT_SCOPES),
    "scope_permission_missed": (ProviderAuthError, _RECONNECT_SCOPES),
    "rate_limit_exceeded": (ProviderRateLimitError, None),
    "spam_risk_too_many_posts": (ProviderQuotaExceededError, _QUOTA_24H),
    "spam_risk_too_many_pending_share": (ProviderQuotaExceededError, _QUOTA_24H),
    "reached_active_user_cap": (
        ProviderQuotaExceededError,
        "The app's daily quota of creators posting through it is used up; publish tomorrow.",
    ),
    "spam_risk_user_banned_from_posting": (
        ProviderAuthError,
        "TikTok has banned this account from making new posts; retrying will not help.",
    ),
    "unaudited_client_can_only_post_to_private_accounts": (UnauditedClientError, None),
    "privacy_level_option_mismatch": (
        ProviderResponseError,
        "The account's privacy options changed while publishing; publish again.",
    ),
    "token_not_authorized_for_specified_publish_id": (
        ProviderAuthError,
        "Another TikTok account started this post; reconnect that account, or publish again.",
    ),
    "internal_error": (ProviderUnavailableError, None),
}


def envelope_failure(body: Any) -> TikTokFailure | None:
    """TikTok's error object, or None when the answer says ``ok`` (or has no error object)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code = str(error.get("code") or "ok")
    if code == "ok":
        return None
    return TikTokFailure(code, str(error.get("message") or "")[:300], str(error.get("log_id", "")))


def to_error(failure: TikTokFailure, status: int, where: str) -> ProviderError:
    """The ProviderError for a TikTok error code (the HTTP status decides unknown codes)."""
    kind, hint = _BY_CODE.get(failure.code, (_by_status(status), None))
    detail = f": {failure.message}" if failure.message else ""
    message = f"{where} answered {failure.code}{detail} (log_id {failure.log_id or 'none'})"
    return kind(PROVIDER, message, hint=hint)


def classify(provider: str, response: httpx.Response) -> ProviderError | None:
    """The ServiceClient hook: TikTok's reading of a non-2xx answer before the generic one."""
    where = f"{response.request.method} {response.request.url.path}"
    if not response.request.url.path.startswith("/v2/"):
        return _upload_error(response.status_code)
    try:
        body = response.json()
    except ValueError:
        body = None
    failure = envelope_failure(body)
    if failure is None:
        return None
    return to_error(failure, response.status_code, where)


def _by_status(status: int) -> type[ProviderError]:
    if status == 401:
        return ProviderAuthError
    if status == 429:
        return ProviderRateLimitError
    if status >= 500:
        return ProviderUnavailableError
    return ProviderResponseError


def _upload_error(status: int) -> ProviderError | None:
    if status == 403:
        return UploadUrlExpiredError(PROVIDER, "the upload URL has expired (valid for one hour)")
    if status == 404:
        return ProviderResponseError(PROVIDER, "TikTok has no upload task for this upload URL")
    if status == 416:
        return UploadOutOfStepError(PROVIDER, "the chunk sent does not follow TikTok's progress")
    return None  # 400 (a bug here), 5xx (retryable): the generic reading says it well
