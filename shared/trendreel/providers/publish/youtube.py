"""The YouTube Shorts publisher: YouTube Data API v3, as the connected account.

``publish`` uploads the finished video with a resumable ``videos.insert`` that is recorded before
its first byte and asked before any retry (``youtube_upload``), so a video is posted exactly
once; then sets the custom thumbnail (best effort, ``youtube_thumbnail``) and waits up to
``publish_poll_seconds`` for YouTube to finish processing. There is no "Short" flag: YouTube
files a vertical video of three minutes or less under Shorts by itself.

``status`` and ``metrics`` read ``videos.list`` (status and processingDetails; statistics).
Uploads from an API project that has not passed YouTube's compliance audit are restricted to
private (https://developers.google.com/youtube/v3/docs/videos/insert): the result's
``privacy_note`` says so when YouTube kept a video more private than asked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import ValidationError

from trendreel.clock import utc_now
from trendreel.errors import InvalidStateError, ProviderResponseError
from trendreel.models.publishing import MetricReading, Privacy, PublishPlatform, RemoteSession
from trendreel.providers.base import UsageLog
from trendreel.providers.publish.base import (
    AccessTokens,
    PublishRequest,
    PublishResult,
    RecordSession,
)
from trendreel.providers.publish.youtube_http import YouTubeHttp
from trendreel.providers.publish.youtube_quota import COST, NAME
from trendreel.providers.publish.youtube_resource import count, mapping, settled, video_id
from trendreel.providers.publish.youtube_thumbnail import set_thumbnail
from trendreel.providers.publish.youtube_upload import ResumableUpload, check_chunk_size
from trendreel.settings import Settings

DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024  # 32 x 256 KiB
POLL_INTERVAL_SECONDS = 10.0
UNAUDITED_NOTE = (
    "YouTube kept the video private: uploads from an API project that has not passed YouTube's "
    "API compliance audit are restricted to private viewing"
)


class YouTubePublisher:
    """Each call opens its own connections and closes them before it returns."""

    platform: PublishPlatform = PublishPlatform.YOUTUBE

    def __init__(
        self,
        settings: Settings,
        tokens: AccessTokens,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        check_chunk_size(chunk_size)
        self._settings = settings
        self._tokens = tokens
        self._transport = transport
        self._sleep = sleep
        self._chunk_size = chunk_size
        self._now = now

    def __repr__(self) -> str:
        return f"YouTubePublisher(chunk_size={self._chunk_size})"

    def publish(
        self,
        request: PublishRequest,
        session: RemoteSession | None,
        record: RecordSession,
        usage: UsageLog,
    ) -> PublishResult:
        if session is not None and session.kind != "youtube_resumable":
            raise InvalidStateError(f"youtube: the recorded session is a {session.kind} session")
        with self._connect() as http:
            upload = ResumableUpload(http, chunk_size=self._chunk_size, now=self._now)
            video = upload.run(request, session, record, usage)
            remote_id = video_id(video)
            if request.thumbnail_path is not None:
                set_thumbnail(http, remote_id, request.thumbnail_path, usage)
            state = self._settle(http, remote_id, settled(video), usage)
        return PublishResult(
            status=state,
            remote_id=remote_id,
            url=shorts_url(remote_id),
            privacy_note=_privacy_note(request, video),
        )

    def status(
        self, remote_id: str, session: RemoteSession | None, usage: UsageLog
    ) -> PublishResult:
        with self._connect() as http:
            video = read_video(http, remote_id, "status,processingDetails", usage)
        return PublishResult(status=settled(video), remote_id=remote_id, url=shorts_url(remote_id))

    def metrics(
        self, remote_id: str, checkpoint: str, now: datetime, usage: UsageLog
    ) -> MetricReading:
        with self._connect() as http:
            stats = mapping(read_video(http, remote_id, "statistics", usage).get("statistics"))
        reading = {
            "checkpoint": checkpoint,
            "read_at": now,
            "views": count(stats.get("viewCount")),
            "likes": count(stats.get("likeCount")),  # absent while the likes are hidden
            "comments": count(stats.get("commentCount")),
        }
        try:
            return MetricReading.model_validate(reading)
        except ValidationError as exc:
            raise ProviderResponseError(NAME, f"unusable statistics for {remote_id}") from exc

    def _connect(self) -> YouTubeHttp:
        return YouTubeHttp(
            self._settings,
            self._tokens,
            transport=self._transport,
            sleep=self._sleep,
            now=self._now,
        )

    def _settle(
        self,
        http: YouTubeHttp,
        remote_id: str,
        state: Literal["processing", "published"],
        usage: UsageLog,
    ) -> Literal["processing", "published"]:
        """Polls processing for up to ``publish_poll_seconds``; what is left is the queue's."""
        waited, limit = 0.0, self._settings.publish_poll_seconds
        while state == "processing" and waited < limit:
            pause = min(POLL_INTERVAL_SECONDS, limit - waited)
            self._sleep(pause)
            waited += pause
            state = settled(read_video(http, remote_id, "status,processingDetails", usage))
        return state


def read_video(http: YouTubeHttp, remote_id: str, parts: str, usage: UsageLog) -> dict[str, Any]:
    """``videos.list`` for one video of the connected channel."""
    params = {"part": parts, "id": remote_id}
    response = http.call(http.data, "GET", "/videos", params=params)
    usage.record(NAME, "videos.list", *COST["videos.list"])
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProviderResponseError(NAME, "videos.list answered with malformed JSON") from exc
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ProviderResponseError(NAME, "videos.list answered without an items list")
    if not items or not isinstance(items[0], dict):
        raise ProviderResponseError(
            NAME, f"video {remote_id} is not on the connected channel (deleted, or another account)"
        )
    return items[0]


def shorts_url(remote_id: str) -> str:
    return f"https://youtube.com/shorts/{remote_id}"


def _privacy_note(request: PublishRequest, video: dict[str, Any]) -> str | None:
    if request.publish_at is not None:
        when = request.publish_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"private until {when}, when YouTube publishes it (scheduled publishing)"
    actual = mapping(video.get("status")).get("privacyStatus")
    if actual == Privacy.PRIVATE.value and request.privacy is not Privacy.PRIVATE:
        return UNAUDITED_NOTE
    return None
