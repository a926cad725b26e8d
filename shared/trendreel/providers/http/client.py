"""ServiceClient: the one way trendreel code calls a real service over HTTP.

Every call goes through the same policy: a connect and a read timeout, retries with backoff
and ``Retry-After`` (``retry``), status-to-error mapping with the provider's own ``classify``
hook first (``status``), and redaction of every secret it was given or sees in the request
(``redact``) from every message, log line and error. ``retries=`` changes the budget of one
call: 0 for a resumable upload's PUT, whose recovery is asking the server where it stands, not
sending the same bytes again.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from trendreel.clock import utc_now
from trendreel.errors import (
    ConfigError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.providers.http.calls import Call, amend, without_query
from trendreel.providers.http.redact import Redactor, Secret, secrets_in
from trendreel.providers.http.retry import MAX_RETRY_AFTER_SECONDS, Backoff, retry_after
from trendreel.providers.http.status import Classifier, decode_json, status_error
from trendreel.providers.http.timeouts import Timeouts, timeouts
from trendreel.settings import Settings

log = logging.getLogger(__name__)
_SEND_OPTIONS = ("auth", "follow_redirects")


class ServiceClient:
    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        timeout: Timeouts = 20.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        classify: Classifier | None = None,
        secrets: Iterable[Secret] = (),
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.provider = provider
        self.max_retries = max_retries
        self.backoff = backoff
        self.timeout = timeouts(timeout)
        self._backoff = Backoff(backoff, fraction=jitter)
        self._classify = classify
        self._sleep = sleep
        self._clock = clock
        self._redact = Redactor([*secrets, *secrets_in(headers)])
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=self.timeout,
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
        timeout: Timeouts | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        classify: Classifier | None = None,
        secrets: Iterable[Secret] = (),
        jitter: Callable[[], float] = random.random,
    ) -> ServiceClient:
        """A client with the timeout, retry budget and backoff every real provider shares."""
        return cls(
            provider,
            base_url,
            timeout=settings.http_timeout_seconds if timeout is None else timeout,
            max_retries=settings.http_max_retries,
            backoff=settings.http_backoff_seconds,
            headers=headers,
            transport=transport,
            sleep=sleep,
            classify=classify,
            secrets=secrets,
            jitter=jitter,
        )

    def __repr__(self) -> str:
        return f"ServiceClient({self.provider!r}, {self._redact(str(self._client.base_url))!r})"

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def redact(self, text: str) -> str:
        """``text`` without any secret this client knows of."""
        return self._redact(text)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return decode_json(self.provider, self.request("GET", path, params=params))

    def post_json(self, path: str, body: Any, params: Mapping[str, Any] | None = None) -> Any:
        return decode_json(self.provider, self.request("POST", path, params=params, json=body))

    def get_bytes(self, url: str, max_bytes: int = 200 * 1024 * 1024) -> bytes:
        response = self.request("GET", url)
        if len(response.content) > max_bytes:
            raise ProviderResponseError(self.provider, f"download larger than {max_bytes} bytes")
        return response.content

    def request(
        self,
        method: str,
        path: str,
        *,
        retries: int | None = None,
        accept: Collection[int] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """``path`` is relative to the base URL, or absolute; ``kwargs`` are httpx's (``params``,
        ``json``, ``content``, ``headers``, ``timeout``: seconds or an ``httpx.Timeout``, None
        for the client's). ``retries`` overrides the client's budget for this call; statuses in
        ``accept`` count as answers, not errors (a resumable upload's 308)."""
        send = {name: kwargs.pop(name) for name in _SEND_OPTIONS if name in kwargs}
        timeout = kwargs.pop("timeout", None)
        if timeout is not None:  # None is the client's timeout here, never "wait forever"
            kwargs["timeout"] = timeouts(timeout)
        carried = secrets_in(kwargs.get("headers"), kwargs.get("params"), kwargs.get("data"))
        redact = self._redact.with_secrets(carried)
        call = Call(method.upper(), without_query(path), redact, retries, accept)
        return self._send(call, lambda: self._client.build_request(method, path, **kwargs), send)

    def send(self, request: httpx.Request, *, retries: int | None = None) -> httpx.Response:
        """Send a request someone else built (an SDK, see ``PolicyTransport``) under the same
        policy. Its body must be replayable (bytes), as a retry sends it again."""
        redact = self._redact.with_secrets(secrets_in(request.headers, request.url.params))
        call = Call(request.method, request.url.path, redact, retries, ())
        return self._send(call, lambda: request, {})

    def _send(
        self, call: Call, make: Callable[[], httpx.Request], options: dict[str, Any]
    ) -> httpx.Response:
        budget = self.max_retries if call.retries is None else call.retries
        retry = 0
        while True:
            try:
                response = self._client.send(make(), **options)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:  # a setting, not luck
                raise ConfigError(f"{self.provider}: {call.where}: invalid URL") from exc
            except httpx.TransportError as exc:
                error, wait = self._transport_error(call, exc), None
            else:
                if response.is_success or response.status_code in call.accept:
                    return response
                error = self._status_error(call, response)
                wait = retry_after(response, self._clock())
            if not error.retryable or retry >= budget:
                raise error
            delay = self._delay(error, wait, retry)
            log.warning("%s; retry %d of %d in %.2f s", error.message, retry + 1, budget, delay)
            self._sleep(delay)
            retry += 1

    def _delay(self, error: ProviderError, wait: float | None, retry: int) -> float:
        if wait is None:
            return self._backoff.delay(retry)
        if wait > MAX_RETRY_AFTER_SECONDS:
            amend(error, f"(the service asks to retry after {wait:.0f} s)")
            raise error
        return wait

    def _status_error(self, call: Call, response: httpx.Response) -> ProviderError:
        own = self._classify(self.provider, response) if self._classify else None
        if own is None:
            return status_error(self.provider, call.where, response, call.redact)
        amend(own, "", redact=call.redact)
        return own

    def _transport_error(self, call: Call, exc: httpx.TransportError) -> ProviderError:
        exc.args = tuple(call.redact(str(arg)) for arg in exc.args)  # the cause is logged too
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        error = ProviderUnavailableError(
            self.provider, f"{call.where} {what}: {type(exc).__name__}"
        )
        error.__cause__ = exc
        return error
