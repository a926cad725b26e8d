"""What an unsuccessful answer means: the HTTP status mapped onto the ProviderError tree.

    401, 403            ProviderAuthError          not retried: the credential is wrong
    429                 ProviderRateLimitError     retried
    408, 5xx            ProviderUnavailableError   retried
    other 4xx (and 3xx) ProviderResponseError      not retried: the request is wrong

A provider's ``classify`` hook is asked first (YouTube's 403 ``quotaExceeded`` is a quota, not a
credential, problem). The message carries the service's own reason from the error body, in the
shapes the services use: Google's ``{"error": {"code", "message", "status", "errors":
[{"reason"}]}}`` (https://cloud.google.com/apis/design/errors), OAuth 2.0's ``{"error",
"error_description"}``
(RFC 6749 §5.2), TikTok's ``{"error": {"code": "...", "message"}}``, and a bare ``message``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from trendreel.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
)

DETAIL_MAX_CHARS = 300

#: A provider's own reading of an error response, consulted before the status mapping; None
#: falls back to it. The policy scrubs secrets from whatever it returns.
Classifier = Callable[[str, httpx.Response], ProviderError | None]


def status_error(
    provider: str, where: str, response: httpx.Response, redact: Callable[[str], str]
) -> ProviderError:
    """``where`` is "METHOD /path" (no query string)."""
    message = answered(response, where, redact)
    status = response.status_code
    if status in (401, 403):
        return ProviderAuthError(provider, message)
    if status == 429:
        return ProviderRateLimitError(provider, message)
    if status >= 500 or status == 408:
        return ProviderUnavailableError(provider, message)
    return ProviderResponseError(provider, message)


def answered(
    response: httpx.Response, where: str | None = None, redact: Callable[[str], str] = str
) -> str:
    """ "METHOD /path answered HTTP 4xx: the service's reason", for messages (a ``classify``
    hook's too: the policy scrubs and shortens what a hook returns, so it need not)."""
    if where is None:
        where = f"{response.request.method} {response.request.url.path}"
    detail = redact(error_detail(response))[:DETAIL_MAX_CHARS]  # redact first: no half secrets
    message = f"{where} answered HTTP {response.status_code}"
    return f"{message}: {detail}" if detail else message


def decode_json(provider: str, response: httpx.Response) -> Any:
    """A success's JSON body; a malformed one is the service's fault, not retried."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProviderResponseError(
            provider, f"expected JSON from {response.url.path}, got malformed body"
        ) from exc


def error_detail(response: httpx.Response) -> str:
    """The service's reason from an error body, with its machine-readable reason in
    parentheses when it gives one; "" when the body says nothing usable. Not yet redacted."""
    body = _json(response)
    if not isinstance(body, dict):
        return ""
    err = body.get("error")
    if isinstance(err, dict):
        return _join(_str(err.get("message")), _first_reason(err))
    if isinstance(err, str):  # OAuth 2.0 token endpoint errors
        return _join(_str(body.get("error_description")), err)
    return _join(_str(body.get("message")), _str(body.get("code")))


def google_reasons(response: httpx.Response) -> set[str]:
    """The ``reason`` of every entry in a Google error body's ``errors`` (the legacy shape
    YouTube still sends) and ``details`` (``google.rpc.ErrorInfo``)."""
    body = _json(response)
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return set()
    entries = [*_list(err.get("errors")), *_list(err.get("details"))]
    return {
        e["reason"] for e in entries if isinstance(e, dict) and isinstance(e.get("reason"), str)
    }


def _first_reason(err: dict[str, Any]) -> str:
    for entry in [*_list(err.get("errors")), *_list(err.get("details"))]:
        if isinstance(entry, dict) and isinstance(entry.get("reason"), str):
            return str(entry["reason"])
    return _str(err.get("status")) or _str(err.get("code"))


def _join(message: str, reason: str) -> str:
    if message and reason and reason not in message:
        return f"{message} ({reason})"
    return message or reason


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _str(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
