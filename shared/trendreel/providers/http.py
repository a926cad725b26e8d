"""A small HTTP client for real provider APIs: retries, backoff and error translation.

429 and 5xx (and timeouts / connection errors) are retried with exponential backoff, honouring
``Retry-After`` up to a cap; anything else is translated to the ProviderError tree at once.
Messages never contain the request URL's query string, where API keys travel.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from trendreel.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.settings import Settings

MAX_RETRY_AFTER_SECONDS = 30.0


class ServiceClient:
    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        timeout: float = 20.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers=dict(headers or {}),
            transport=transport,
            follow_redirects=True,
        )

    @classmethod
    def from_settings(
        cls,
        provider: str,
        base_url: str,
        settings: Settings,
        *,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> ServiceClient:
        """A client with the timeout, retries and backoff every real provider shares."""
        return cls(
            provider,
            base_url,
            timeout=settings.http_timeout_seconds if timeout is None else timeout,
            max_retries=settings.http_max_retries,
            backoff=settings.http_backoff_seconds,
            headers=headers,
            transport=transport,
            sleep=sleep,
        )

    def close(self) -> None:
        self._client.close()

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return _decode_json(self.provider, self.request("GET", path, params=params))

    def post_json(self, path: str, body: Any, params: Mapping[str, Any] | None = None) -> Any:
        return _decode_json(self.provider, self.request("POST", path, params=params, json=body))

    def get_bytes(self, url: str, max_bytes: int = 200 * 1024 * 1024) -> bytes:
        response = self.request("GET", url)
        if len(response.content) > max_bytes:
            raise ProviderResponseError(self.provider, f"download larger than {max_bytes} bytes")
        return response.content

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.TimeoutException as exc:
                error: ProviderError = ProviderUnavailableError(
                    self.provider, f"{method} {_safe(path)} timed out"
                )
                error.__cause__ = exc
            except httpx.TransportError as exc:
                error = ProviderUnavailableError(
                    self.provider, f"{method} {_safe(path)} failed: {type(exc).__name__}"
                )
                error.__cause__ = exc
            else:
                if response.is_success:
                    return response
                error = _status_error(self.provider, method, path, response)
                if not error.retryable:
                    raise error
                delay = _retry_after(response)
                if delay is not None and attempt < self.max_retries:
                    attempt += 1
                    self._sleep(delay)
                    continue
            if not error.retryable or attempt >= self.max_retries:
                raise error
            self._sleep(self.backoff * (2**attempt))
            attempt += 1


def _safe(path: str) -> str:
    """The path without its query string (API keys may travel there)."""
    return path.split("?", 1)[0]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        return None


def _status_error(provider: str, method: str, path: str, response: httpx.Response) -> ProviderError:
    where = f"{method} {_safe(path)} answered HTTP {response.status_code}"
    detail = _error_detail(response)
    message = f"{where}: {detail}" if detail else where
    if response.status_code in (401, 403):
        return ProviderAuthError(provider, message)
    if response.status_code == 429:
        return ProviderRateLimitError(provider, message)
    if response.status_code >= 500 or response.status_code == 408:
        return ProviderUnavailableError(provider, message)
    return ProviderResponseError(provider, message)


def _error_detail(response: httpx.Response) -> str:
    """A short service-provided reason, if the body carries one (Google and most APIs do)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])[:200]
        if isinstance(err, str):
            return err[:200]
        if isinstance(body.get("message"), str):
            return str(body["message"])[:200]
    return ""


def _decode_json(provider: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProviderResponseError(
            provider, f"expected JSON from {_safe(str(response.url.path))}, got malformed body"
        ) from exc
