"""The YouTube endpoints behind the outbound-call policy, called as the connected account.

Two ``ServiceClient``s share one classifier (``youtube_errors``): the upload endpoint (resumable
``videos.insert`` sessions, ``thumbnails.set``) and the Data API (``videos.list``). Every call
carries the account's bearer token. A 401 invalidates the token and repeats that one call once
with a fresh token; a second 401 is a ``ProviderAuthError`` telling the user to reconnect. Error
messages carry the method and path only, never the token or a session URI's query string.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from trendreel.errors import ProviderAuthError
from trendreel.providers.http import ServiceClient
from trendreel.providers.publish.base import AccessTokens, with_fresh_token
from trendreel.providers.publish.youtube_errors import (
    CONNECT_HINT,
    TokenRejectedError,
    make_classifier,
)
from trendreel.providers.publish.youtube_quota import NAME
from trendreel.settings import Settings

#: A request body: bytes, or a factory of byte blocks (called again if the call is repeated
#: after a token refresh, since a stream can be read only once).
Body = bytes | Callable[[], Iterator[bytes]]


class YouTubeHttp:
    def __init__(
        self,
        settings: Settings,
        tokens: AccessTokens,
        *,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime],
    ) -> None:
        classify = make_classifier(now)
        self.upload = ServiceClient.from_settings(
            NAME,
            settings.youtube_upload_base_url,
            settings,
            transport=transport,
            sleep=sleep,
            classify=classify,
        )
        self.data = ServiceClient.from_settings(
            NAME,
            settings.youtube_base_url,
            settings,
            transport=transport,
            sleep=sleep,
            classify=classify,
        )
        self._tokens = tokens

    def call(
        self,
        client: ServiceClient,
        method: str,
        path: str,
        *,
        body: Body | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One API call as the account; a rejected token is refreshed once."""
        try:
            return with_fresh_token(
                self._tokens,
                lambda token: self._send(client, method, path, token, body, headers, kwargs),
            )
        except TokenRejectedError as exc:  # the refreshed token was refused too
            message = f"{method} {path.split('?', 1)[0]} rejected a freshly refreshed access token"
            raise ProviderAuthError(NAME, message, hint=CONNECT_HINT) from exc

    def close(self) -> None:
        self.upload.close()
        self.data.close()

    def __enter__(self) -> YouTubeHttp:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @staticmethod
    def _send(
        client: ServiceClient,
        method: str,
        path: str,
        token: str,
        body: Body | None,
        headers: Mapping[str, str] | None,
        kwargs: dict[str, Any],
    ) -> httpx.Response:
        content = body() if callable(body) else body
        auth = {**(headers or {}), "Authorization": f"Bearer {token}"}
        return client.request(method, path, headers=auth, content=content, **kwargs)
