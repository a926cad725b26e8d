"""TikTok trends through an Apify actor, run synchronously (``run-sync-get-dataset-items``).

The token goes in an ``Authorization: Bearer`` header, never in the URL. Dataset items are read
tolerantly: the Clockworks scrapers' shape (``authorMeta``, ``videoMeta``, ``diggCount``...) and
TikTok's own item shape (``author``, ``stats``, ``challenges``, ``video``) both work. Items
without an id or a creation time are skipped and counted in ``skipped``.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from trendreel.errors import ProviderNotConfiguredError, ProviderResponseError
from trendreel.models import Platform, TrendItem
from trendreel.providers.base import UsageLog
from trendreel.providers.http import ServiceClient
from trendreel.settings import Settings

NAME = "tiktok"
UNIT_NAME = "apify_results"
#: Estimated USD per dataset item, after Apify's pay-per-result TikTok scrapers ($0.30 / 1,000).
PRICE_PER_RESULT_USD = 0.0003
#: Apify ends a synchronous run after 300 s (HTTP 408), so wait that long whatever the setting.
SYNC_RUN_TIMEOUT_SECONDS = 300.0
TITLE_MAX_CHARS = 150

_HASHTAG = re.compile(r"#(\w+)")
_log = logging.getLogger(__name__)


def actor_input(limit: int) -> dict[str, Any]:
    """The actor's INPUT: ``resultsPerPage`` (Clockworks TikTok scrapers) asks for ``limit``
    videos; video and cover downloads stay off because only metadata is used."""
    return {"resultsPerPage": limit, "shouldDownloadVideos": False, "shouldDownloadCovers": False}


class ApifyTikTokSource:
    name: str = NAME

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        token = settings.apify_token
        if token is None or not token.get_secret_value():
            raise ProviderNotConfiguredError(NAME, "TRENDREEL_APIFY_TOKEN")
        self._token = token
        self._settings = settings
        self._sleep = sleep
        #: Dataset items dropped on the last collect for lacking an id or a creation time.
        self.skipped = 0

    def __repr__(self) -> str:
        return f"ApifyTikTokSource(actor={self._settings.apify_actor!r})"

    def collect(self, now: datetime, limit: int, usage: UsageLog) -> list[TrendItem]:
        if limit <= 0:
            return []
        s = self._settings
        actor = s.apify_actor.replace("/", "~")  # the API wants owner~name
        path = f"/acts/{actor}/run-sync-get-dataset-items"
        params = {"format": "json", "clean": "true", "maxItems": limit}
        with ServiceClient.from_settings(
            NAME,
            s.apify_base_url,
            s,
            timeout=max(s.http_timeout_seconds, SYNC_RUN_TIMEOUT_SECONDS),
            headers={"Authorization": f"Bearer {self._token.get_secret_value()}"},
            sleep=self._sleep,
        ) as client:
            body = client.post_json(path, actor_input(limit), params=params)
        if not isinstance(body, list):
            raise ProviderResponseError(NAME, "expected a JSON list of dataset items")
        usage.record(NAME, "actor_run", len(body), UNIT_NAME, len(body) * PRICE_PER_RESULT_USD)
        items, self.skipped = parse_items(body)
        if self.skipped:
            _log.warning("tiktok: skipped %d dataset item(s) without id or time", self.skipped)
        return items[:limit]


def parse_items(body: list[Any]) -> tuple[list[TrendItem], int]:
    """Normalised items, in dataset order, and how many were skipped."""
    items = [_to_item(raw) for raw in body]
    kept = [item for item in items if item is not None]
    return kept, len(items) - len(kept)


def _to_item(raw: object) -> TrendItem | None:
    if not isinstance(raw, dict):
        return None
    video_id = _text(raw.get("id"))
    posted_at = _posted_at(raw)
    if not video_id or posted_at is None:
        return None
    text = _text(raw.get("text") or raw.get("desc") or raw.get("title"))
    creator = _creator(raw)
    stats = {**_mapping(raw.get("stats")), **raw}
    meta = {**_mapping(raw.get("video")), **_mapping(raw.get("videoMeta"))}
    fallback_url = f"https://www.tiktok.com/@{creator}/video/{video_id}" if creator else ""
    try:
        return TrendItem(
            platform=Platform.TIKTOK,
            external_id=video_id,
            title=_title(text, creator, video_id),
            description=text,
            creator=creator,
            hashtags=_hashtags(raw, text),
            views=_count(stats.get("playCount")),
            likes=_count(stats.get("diggCount")),
            comments=_count(stats.get("commentCount")),
            shares=_count(stats.get("shareCount")),
            duration_seconds=_number(meta.get("duration")),
            posted_at=posted_at,
            url=_text(raw.get("webVideoUrl")) or fallback_url,
            thumbnail_url=_cover(meta, raw.get("covers")),
            source=NAME,
        )
    except ValidationError:
        return None


def _posted_at(raw: dict[str, Any]) -> datetime | None:
    """``createTimeISO``, else ``createTime`` (epoch seconds); naive times are taken as UTC."""
    try:
        parsed = datetime.fromisoformat(str(raw.get("createTimeISO")))
    except ValueError:
        return _epoch(raw.get("createTime"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _epoch(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(str(value)), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _creator(raw: dict[str, Any]) -> str:
    meta, author = _mapping(raw.get("authorMeta")), _mapping(raw.get("author"))
    return _text(meta.get("name") or author.get("uniqueId") or meta.get("nickName"))


def _hashtags(raw: dict[str, Any], text: str) -> list[str]:
    tags: list[str] = []
    for entry in [*_list(raw.get("hashtags")), *_list(raw.get("challenges"))]:
        value = _mapping(entry).get("name") or _mapping(entry).get("title") or entry
        if isinstance(value, str):
            tags.append(value)
    tags.extend(_HASHTAG.findall(text))
    normalised = (tag.strip().lstrip("#").lower() for tag in tags)
    return [tag for tag in dict.fromkeys(normalised) if tag]


def _cover(meta: dict[str, Any], covers: object) -> str:
    for key in ("coverUrl", "originalCoverUrl", "cover"):
        if isinstance(meta.get(key), str) and meta[key]:
            return str(meta[key])
    if isinstance(covers, dict):
        covers = list(covers.values())
    return next((c for c in _list(covers) if isinstance(c, str) and c), "")


def _title(text: str, creator: str, video_id: str) -> str:
    first_line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not first_line:
        return f"TikTok video by @{creator}" if creator else f"TikTok video {video_id}"
    return first_line[:TITLE_MAX_CHARS]


def _count(value: object) -> int:
    return int(_number(value) or 0)


def _number(value: object) -> float | None:
    """A finite number >= 0 (the scrapers send ints, floats or numeric strings), else None."""
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _text(value: object) -> str:
    return str(value).strip() if type(value) in (str, int) else ""  # not bool, not None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
