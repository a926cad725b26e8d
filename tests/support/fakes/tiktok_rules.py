"""What the fake TikTok checks and answers, written down from TikTok's documentation (see the
docstring of tests/support/fakes/tiktok.py for the pages), independently of trendreel's publisher
so that the fake catches the publisher's misreadings instead of sharing them."""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MIB = 1024 * 1024
#: Per user access token per minute: Direct Post, Query Creator Info, Get Post Status, and the
#: v2 rate-limit page for video/query.
RATE_LIMITS = {
    "/v2/post/publish/creator_info/query/": 20,
    "/v2/post/publish/video/init/": 6,
    "/v2/post/publish/status/fetch/": 30,
    "/v2/video/query/": 600,
}
SCOPES = {
    "/v2/post/publish/creator_info/query/": ("video.publish",),
    "/v2/post/publish/video/init/": ("video.publish",),
    "/v2/post/publish/status/fetch/": ("video.publish", "video.upload"),
    "/v2/video/query/": ("video.list",),
}
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
UPLOAD_TYPES = ("video/mp4", "video/quicktime", "video/webm")


@dataclass(frozen=True)
class ChunkLimits:
    """Media Transfer Guide: chunks of 5-64 MB, the final one up to 128 MB, whole under 5 MB,
    several over 64 MB, 1-1000 chunks, count = floor(size / chunk); videos up to 4 GB."""

    min_chunk: int = 5 * MIB
    max_chunk: int = 64 * MIB
    max_final: int = 128 * MIB
    max_chunks: int = 1000
    max_video: int = 4 * 1024 * MIB


def chunk_problem(size: Any, chunk: Any, count: Any, limits: ChunkLimits) -> str | None:
    """Why a FILE_UPLOAD ``source_info`` breaks the chunk rules, or None if it keeps them."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (size, chunk, count)):
        return "video_size, chunk_size and total_chunk_count must be integers"
    if not 0 < size <= limits.max_video:
        return "The video size is invalid"
    if size < limits.min_chunk:
        whole = chunk == size and count == 1
        return None if whole else "A video under 5 MB must be uploaded whole"
    if not limits.min_chunk <= chunk <= min(limits.max_chunk, size):
        return "The chunk size is invalid"
    if count != size // chunk or not 1 <= count <= limits.max_chunks:
        return "The total chunk count is invalid"
    if size > limits.max_chunk and count < 2:
        return "A video over 64 MB must be uploaded in multiple chunks"
    if size - (count - 1) * chunk > limits.max_final:
        return "The final chunk is larger than 128 MB"
    return None


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Creator:
    """The connected TikTok account, as creator_info/query describes it."""

    username: str = "trendreel.fan"
    nickname: str = "Trendreel Fan"
    private_account: bool = False
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    max_video_post_duration_sec: int = 600

    def privacy_level_options(self) -> list[str]:
        # Query Creator Info lists these two sets, for public and for private accounts.
        if self.private_account:
            return ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
        return ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]

    def info(self) -> dict[str, Any]:
        return {
            "creator_avatar_url": "https://p16.tiktokcdn.example/avatar.jpeg",
            "creator_username": self.username,
            "creator_nickname": self.nickname,
            "privacy_level_options": self.privacy_level_options(),
            "comment_disabled": self.comment_disabled,
            # "true if the creator account is private or they set ... to No one"
            "duet_disabled": self.duet_disabled or self.private_account,
            "stitch_disabled": self.stitch_disabled or self.private_account,
            "max_video_post_duration_sec": self.max_video_post_duration_sec,
        }


class SlidingWindows:
    """TikTok's "one minute sliding window" per token and endpoint. A throttled request is not
    counted (it was not served)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._sent: dict[tuple[str, str], deque[float]] = {}

    def admit(self, key: tuple[str, str], limit: int) -> bool:
        now = self._clock()
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - 60.0:
            sent.popleft()
        if len(sent) >= limit:
            return False
        sent.append(now)
        return True


def log_id() -> str:
    """TikTok's shape: a timestamp and hex, e.g. 202210112248442CB9319E1FB30C1073F3."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(10).upper()


def ok_body(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"data": {}, "error": {"code": code, "message": message, "log_id": log_id()}}
