"""The TikTok publisher: Content Posting API Direct Post, posted exactly once.

Documentation this follows (each module cites the pages it relies on):

- Get started: https://developers.tiktok.com/doc/content-posting-api-get-started
- Direct Post: https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
- Query Creator Info: https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
- Media Transfer Guide: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
- Get Post Status: https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
- Content Sharing Guidelines: https://developers.tiktok.com/doc/content-sharing-guidelines
- Query Videos: https://developers.tiktok.com/doc/tiktok-api-v2-video-query
- Rate limits: https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit
- Error handling: https://developers.tiktok.com/doc/tiktok-api-v2-error-handling

The flow and its exactly-once rules are in tiktok_direct_post; opening a post (creator settings,
privacy, the unaudited-app case) in tiktok_open. The account needs the ``video.publish`` scope,
and ``video.list`` for metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import httpx

from trendreel.clock import utc_now
from trendreel.errors import ProviderResponseError
from trendreel.models.publishing import MetricReading, PublishPlatform, RemoteSession
from trendreel.providers.base import UsageLog
from trendreel.providers.publish.base import (
    AccessTokens,
    PublishRequest,
    PublishResult,
    RecordSession,
)
from trendreel.providers.publish.tiktok_api import VIDEO_QUERY, TikTokApi
from trendreel.providers.publish.tiktok_chunks import (
    DEFAULT_CHUNK_SIZE,
    TIKTOK_CHUNK_RULES,
    ChunkRules,
)
from trendreel.providers.publish.tiktok_direct_post import (
    DirectPost,
    Pacing,
    fetch_status,
    publish_id_of,
    result_of,
)
from trendreel.providers.publish.tiktok_errors import PROVIDER
from trendreel.providers.publish.tiktok_limits import SlidingWindowLimiter
from trendreel.providers.publish.tiktok_models import VideoList, VideoStats, parse
from trendreel.providers.publish.tiktok_open import Opener, creator_username
from trendreel.settings import Settings

#: status/fetch allows 30 calls a minute per token; one every 5 s leaves room for other posts.
POLL_INTERVAL_SECONDS = 5.0
METRIC_FIELDS = "id,view_count,like_count,comment_count"


class TikTokPublisher:
    platform: PublishPlatform = PublishPlatform.TIKTOK

    def __init__(
        self,
        settings: Settings,
        tokens: AccessTokens,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        chunk_rules: ChunkRules = TIKTOK_CHUNK_RULES,
        limiter: SlidingWindowLimiter | None = None,
        poll_interval: float = POLL_INTERVAL_SECONDS,
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._chunk_size = chunk_size
        self._rules = chunk_rules
        # Share one limiter between publishers of the same account to count all their calls.
        self._limiter = limiter or SlidingWindowLimiter(lambda: clock().timestamp(), sleep)
        self._poll_interval = poll_interval

    def __repr__(self) -> str:
        return f"TikTokPublisher(base_url={self._settings.tiktok_base_url!r})"

    def publish(
        self,
        request: PublishRequest,
        session: RemoteSession | None,
        record: RecordSession,
        usage: UsageLog,
    ) -> PublishResult:
        pacing = Pacing(
            self._clock, self._sleep, self._settings.publish_poll_seconds, self._poll_interval
        )
        with self._api(usage) as api:
            opener = Opener(api, request, self._clock, self._chunk_size, self._rules)
            return DirectPost(api, opener, request, pacing).run(session, record)

    def status(
        self, remote_id: str, session: RemoteSession | None, usage: UsageLog
    ) -> PublishResult:
        publish_id = publish_id_of(session) if session else remote_id
        if publish_id.isdigit():  # a post id: TikTok gives one only to a published post
            return PublishResult("published", remote_id=publish_id)
        with self._api(usage) as api:
            status = fetch_status(api, publish_id)
            return result_of(publish_id, status, None, lambda: creator_username(api))

    def metrics(
        self, remote_id: str, checkpoint: str, now: datetime, usage: UsageLog
    ) -> MetricReading:
        with self._api(usage) as api:
            video = _stats(api, _post_id(api, remote_id))
        return MetricReading.model_validate(
            {
                "checkpoint": checkpoint,
                "read_at": now,
                "views": video.view_count,
                "likes": video.like_count,
                "comments": video.comment_count,
            }
        )

    def _api(self, usage: UsageLog) -> TikTokApi:
        return TikTokApi(
            self._settings,
            self._tokens,
            self._limiter,
            usage,
            transport=self._transport,
            sleep=self._sleep,
        )


def _post_id(api: TikTokApi, remote_id: str) -> str:
    """The post id to read: ``remote_id`` itself, or, for a post recorded under its publish_id,
    the public post id TikTok has given it since (after moderation)."""
    if remote_id.isdigit():
        return remote_id
    ids = fetch_status(api, remote_id).post_ids
    if not ids:
        raise ProviderResponseError(
            PROVIDER,
            f"post {remote_id} has no public post id, so TikTok shows no numbers for it",
            hint="TikTok gives a post id only to a public post past moderation; a private post "
            "has no numbers to read, and one still in moderation will have them later.",
        )
    return ids[0]


def _stats(api: TikTokApi, post_id: str) -> VideoStats:
    body = {"filters": {"video_ids": [post_id]}}
    data = api.call(VIDEO_QUERY, body, params={"fields": METRIC_FIELDS})
    found = [v for v in parse(VideoList, data, VIDEO_QUERY.path).videos if v.id == post_id]
    if not found:
        raise ProviderResponseError(
            PROVIDER,
            f"video {post_id} is not among the connected account's videos",
            hint="It was deleted or made private, or another account is connected now.",
        )
    return found[0]
