"""The fake channel's videos and the project's daily quota, as the reference describes them.

- ``videos.insert`` checks the metadata with the reasons of its error table
  (https://developers.google.com/youtube/v3/docs/videos/insert#errors): title 1-100 characters
  without ``<``/``>``, description at most 5000 bytes, tags at most 500 characters (commas and
  the quotes around a tag with a space count), a known category, ``publishAt`` only while
  private and in the future.
- a video resource (https://developers.google.com/youtube/v3/docs/videos) says ``uploaded``
  until YouTube has processed it, then ``processed``; here processing finishes on the
  ``processed_after``-th ``videos.list`` poll. Statistics counts are strings; ``likeCount`` is
  absent while the owner hides likes.
- quota (https://developers.google.com/youtube/v3/determine_quota_cost): 100 ``videos.insert``
  calls a day in their own bucket, 10,000 units for the rest (``videos.list`` 1,
  ``thumbnails.set`` 50); every request costs, invalid ones included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.support.fakes.youtube_errors import Answer, bad_request

CATEGORIES = frozenset({"1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26"})
PRIVACY = frozenset({"private", "unlisted", "public"})
COST = {"videos.insert": 1, "videos.list": 1, "thumbnails.set": 50}
_ANGLES = re.compile(r"[<>]")


@dataclass
class Quota:
    inserts: int = 0
    units: int = 0
    daily_inserts: int = 100
    daily_units: int = 10_000

    def charge(self, operation: str) -> bool:
        """Spends what ``operation`` costs; False if its bucket cannot pay."""
        if operation == "videos.insert":
            if self.inserts + COST[operation] > self.daily_inserts:
                return False
            self.inserts += COST[operation]
            return True
        if self.units + COST[operation] > self.daily_units:
            return False
        self.units += COST[operation]
        return True

    def exhaust(self) -> None:
        self.inserts, self.units = self.daily_inserts, self.daily_units


@dataclass
class FakeVideo:
    id: str
    snippet: dict[str, Any]
    status: dict[str, Any]
    content: bytes
    published_at: str
    processed_after: int
    polls: int = 0
    rejection: str | None = None
    thumbnail: bytes | None = None
    statistics: dict[str, int] = field(default_factory=dict)
    likes_hidden: bool = False

    def item(self, parts: set[str], *, poll: bool = True) -> dict[str, Any]:
        """The resource with the requested parts; a status poll advances processing."""
        if poll and parts & {"status", "processingDetails"}:
            self.polls += 1
        item: dict[str, Any] = {"kind": "youtube#video", "etag": f"etag-{self.id}", "id": self.id}
        if "snippet" in parts:
            item["snippet"] = {**self.snippet, "publishedAt": self.published_at}
        if "status" in parts:
            item["status"] = self._status()
        if "processingDetails" in parts:
            item["processingDetails"] = {"processingStatus": self._processing()}
        if "statistics" in parts:
            item["statistics"] = self._statistics()
        return item

    def _status(self) -> dict[str, Any]:
        made_for_kids = bool(self.status.get("selfDeclaredMadeForKids", False))
        status = {**self.status, "license": "youtube", "embeddable": True}
        status |= {"publicStatsViewable": True, "madeForKids": made_for_kids}
        if self.rejection is not None:
            return status | {"uploadStatus": "rejected", "rejectionReason": self.rejection}
        done = self.polls >= self.processed_after
        return status | {"uploadStatus": "processed" if done else "uploaded"}

    def _processing(self) -> str:
        if self.rejection is not None:
            return "terminated"
        return "succeeded" if self.polls >= self.processed_after else "processing"

    def _statistics(self) -> dict[str, str]:
        shown = {k: str(v) for k, v in self.statistics.items()}
        if self.likes_hidden:
            shown.pop("likeCount", None)
        return {"viewCount": "0", "favoriteCount": "0", "commentCount": "0", **shown}


def check_insert(resource: Any, now: datetime) -> Answer | None:
    """The 400 a ``videos.insert`` body deserves, or None."""
    if not isinstance(resource, dict):
        return bad_request("invalidVideoMetadata", "The request metadata is invalid.")
    snippet, status = resource.get("snippet") or {}, resource.get("status") or {}
    title, description = snippet.get("title"), snippet.get("description", "")
    if not isinstance(title, str) or not title.strip() or len(title) > 100 or _ANGLES.search(title):
        return bad_request(
            "invalidTitle", "The request metadata specifies an invalid or empty video title."
        )
    if len(str(description).encode()) > 5000 or _ANGLES.search(str(description)):
        return bad_request(
            "invalidDescription", "The request metadata specifies an invalid video description."
        )
    if tags_length(snippet.get("tags", [])) > 500:
        return bad_request("invalidTags", "The request metadata specifies invalid video keywords.")
    if snippet.get("categoryId", "22") not in CATEGORIES:
        return bad_request(
            "invalidCategoryId", "The snippet.categoryId property specifies an invalid category ID."
        )
    if status.get("privacyStatus", "public") not in PRIVACY:
        return bad_request(
            "forbiddenPrivacySetting",
            "The request attempts to set an invalid privacy setting for the video.",
        )
    return _check_publish_at(status, now)


def tags_length(tags: list[str]) -> int:
    """The API's count: each tag, 2 quotes around one with a space, a comma between tags."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)


def _check_publish_at(status: dict[str, Any], now: datetime) -> Answer | None:
    if "publishAt" not in status:
        return None
    invalid = bad_request(
        "invalidPublishAt", "The request metadata specifies an invalid scheduled publishing time."
    )
    try:
        when = datetime.fromisoformat(str(status["publishAt"]).replace("Z", "+00:00"))
    except ValueError:
        return invalid
    if status.get("privacyStatus") != "private" or when.tzinfo is None or when <= now:
        return invalid
    return None
