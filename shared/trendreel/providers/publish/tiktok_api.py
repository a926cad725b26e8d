"""One connected TikTok account's calls, through the one outbound-call policy (ServiceClient).

Every API call carries the account's bearer token; a token TikTok rejects
(``access_token_invalid``) is invalidated and refreshed once, and the call repeated once. Each
call first waits for its endpoint's per-token limit (tiktok_limits), and its answer's error
envelope is read even on HTTP 200 (tiktok_errors). Chunk PUTs go to the upload URL without the
token (the URL carries its own) and are never retried here: after a failed chunk the recovery is
asking TikTok how far the upload got, not sending the same bytes blind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from trendreel.errors import ProviderResponseError
from trendreel.providers.base import UsageLog
from trendreel.providers.http import ServiceClient
from trendreel.providers.publish.base import AccessTokens, with_fresh_token
from trendreel.providers.publish.tiktok_chunks import ChunkPlan, read_span
from trendreel.providers.publish.tiktok_errors import (
    PROVIDER,
    classify,
    envelope_failure,
    to_error,
)
from trendreel.providers.publish.tiktok_limits import SlidingWindowLimiter
from trendreel.settings import Settings


@dataclass(frozen=True)
class Endpoint:
    path: str
    limit_key: str  # its entry in tiktok_limits.LIMITS_PER_MINUTE
    operation: str  # as the usage log names it


CREATOR_INFO = Endpoint("/v2/post/publish/creator_info/query/", "creator_info", "creator_info")
VIDEO_INIT = Endpoint("/v2/post/publish/video/init/", "video_init", "video_init")
STATUS_FETCH = Endpoint("/v2/post/publish/status/fetch/", "status_fetch", "status_fetch")
VIDEO_QUERY = Endpoint("/v2/video/query/", "video_query", "video_query")
_MIME = {".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm"}


class TikTokApi:
    def __init__(
        self,
        settings: Settings,
        tokens: AccessTokens,
        limiter: SlidingWindowLimiter,
        usage: UsageLog,
        *,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
    ) -> None:
        self._tokens = tokens
        self._limiter = limiter
        self._usage = usage
        self._client = ServiceClient.from_settings(
            PROVIDER,
            settings.tiktok_base_url,
            settings,
            transport=transport,
            sleep=sleep,
            classify=classify,
        )

    def __enter__(self) -> TikTokApi:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client.close()

    def call(
        self,
        endpoint: Endpoint,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST to ``endpoint``; TikTok's ``data`` object. Refreshes a rejected token once."""
        # A second rejection propagates: its hint says how to connect the account again.
        return with_fresh_token(
            self._tokens, lambda token: self._call_once(endpoint, token, body, params)
        )

    def put_chunk(self, upload_url: str, plan: ChunkPlan, index: int, video: Path) -> int:
        """Sends chunk ``index`` of ``video``, streamed from disk; TikTok's HTTP status."""
        first, length = plan.span(index)
        headers = {
            "Content-Type": _MIME.get(video.suffix.lower(), "video/mp4"),
            "Content-Length": str(length),
            "Content-Range": f"bytes {first}-{first + length - 1}/{plan.video_size}",
        }
        response = self._client.request(
            "PUT", upload_url, retries=0, content=read_span(video, first, length), headers=headers
        )
        self._usage.record(PROVIDER, "upload_chunk", length, "bytes")
        return response.status_code

    def _call_once(
        self,
        endpoint: Endpoint,
        token: str,
        body: dict[str, Any] | None,
        params: dict[str, str] | None,
    ) -> dict[str, Any]:
        self._limiter.acquire(endpoint.limit_key)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json; charset=UTF-8",
        }
        response = self._client.request(
            "POST", endpoint.path, params=params, json=body, headers=headers
        )
        self._usage.record(PROVIDER, endpoint.operation, 1, "requests")
        return _data(response, f"POST {endpoint.path}")


def _data(response: httpx.Response, where: str) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProviderResponseError(PROVIDER, f"{where} answered a body that is not JSON") from exc
    failure = envelope_failure(body)
    if failure is not None:
        raise to_error(failure, response.status_code, where)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ProviderResponseError(PROVIDER, f"{where} answered without a data object")
    return data
