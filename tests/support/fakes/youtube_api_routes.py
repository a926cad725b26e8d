"""The fake's Data API routes: ``videos.list`` and ``thumbnails.set``
(https://developers.google.com/youtube/v3/docs/videos/list,
https://developers.google.com/youtube/v3/docs/thumbnails/set)."""

from __future__ import annotations

from tests.support.fakes.youtube_errors import (
    Answer,
    bad_request,
    thumbnail_forbidden,
    video_not_found,
)
from tests.support.fakes.youtube_videos import FakeVideo
from tests.support.fakes.youtube_wire import Exchange

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "application/octet-stream"})
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def list_videos(videos: dict[str, FakeVideo], exchange: Exchange) -> Answer:
    parts = {p for p in (exchange.param("part") or "").split(",") if p}
    if not parts:
        message = "No part parameter selected."
        return bad_request("missingRequiredParameter", message, "youtube.parameter")
    ids = (exchange.param("id") or "").split(",")
    items = [videos[i].item(parts) for i in ids if i in videos]  # unknown ids are left out
    page = {"totalResults": len(items), "resultsPerPage": len(items)}
    body = {"kind": "youtube#videoListResponse", "etag": "list", "pageInfo": page, "items": items}
    return Answer.json(200, body)


def set_thumbnail(
    videos: dict[str, FakeVideo], exchange: Exchange, body: bytes, *, verified: bool
) -> Answer:
    video = videos.get(exchange.param("videoId") or "")
    if video is None:
        return video_not_found()
    if not verified:
        return thumbnail_forbidden()
    if not body:
        message = "The request does not include the image content."
        return bad_request("mediaBodyRequired", message, "youtube.thumbnail")
    kind = exchange.headers.get("content-type", "").split(";")[0].strip()
    if kind not in IMAGE_TYPES or not body.startswith(IMAGE_MAGIC):
        message = "The provided image content is invalid."
        return bad_request("invalidImage", message, "youtube.thumbnail")
    video.thumbnail = body
    url = f"https://i.ytimg.com/vi/{video.id}/default.jpg"
    items = [{"default": {"url": url, "width": 120, "height": 90}}]
    return Answer.json(
        200, {"kind": "youtube#thumbnailSetResponse", "etag": "thumb", "items": items}
    )
