"""YouTube Data API v3 trend source: the most-popular chart plus recent popular Shorts.

``videos.list`` ``chart=mostPopular`` (paged, 1 quota unit a page) and ``search.list`` for short
videos of the last 48 h by view count (100 units) followed by ``videos.list`` by id (1 unit) are
interleaved (chart, short, chart, ...) so both kinds survive the ``limit``. The API key travels
as the ``key`` query parameter; the outbound-call policy scrubs it from every message. Errors
follow https://developers.google.com/youtube/v3/docs/errors: a 403 ``quotaExceeded`` (or the
older ``dailyLimitExceeded``) means the project's daily units are spent until midnight Pacific
Time, a 403 ``rateLimitExceeded``/``userRateLimitExceeded`` is a short-lived rate limit.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr, ValidationError

from trendreel.errors import (
    ProviderError,
    ProviderNotConfiguredError,
    ProviderQuotaExceededError,
    ProviderRateLimitError,
    ProviderResponseError,
)
from trendreel.models import Platform, TrendItem
from trendreel.providers.base import UsageLog
from trendreel.providers.http import ServiceClient, answered, google_reasons
from trendreel.settings import Settings

NAME = "youtube"
UNIT_NAME = "youtube_quota_units"
QUOTA_COST = {"videos.list": 1, "search.list": 100}  # units per call, from the API's quota table
PAGE_SIZE = 50  # the API's largest maxResults
MAX_CHART_PAGES = 4  # the mostPopular chart holds at most 200 videos
SHORTS_WINDOW = timedelta(hours=48)
VIDEO_PARTS = "snippet,statistics,contentDetails"
CHART_PARAMS = {"part": VIDEO_PARTS, "chart": "mostPopular"}
SEARCH_PARAMS = {"part": "id", "type": "video", "videoDuration": "short", "order": "viewCount"}
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_HASHTAG = re.compile(r"#(\w+)")
_log = logging.getLogger(__name__)


class YouTubeTrendSource:
    name: str = NAME

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        key = settings.youtube_api_key
        if key is None or not key.get_secret_value():
            raise ProviderNotConfiguredError(NAME, "TRENDREEL_YOUTUBE_API_KEY")
        self._key: SecretStr = key
        self._settings = settings
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"YouTubeTrendSource(region={self._settings.youtube_region!r})"

    def collect(self, now: datetime, limit: int, usage: UsageLog) -> list[TrendItem]:
        if limit <= 0:
            return []
        s = self._settings
        with ServiceClient.from_settings(
            NAME, s.youtube_base_url, s, sleep=self._sleep, classify=classify, secrets=[self._key]
        ) as client:
            chart = self._chart(client, limit, usage)
            shorts = self._shorts(client, now, limit, usage)
        return merge(chart, shorts, limit)

    def _chart(self, client: ServiceClient, limit: int, usage: UsageLog) -> list[TrendItem]:
        items: list[TrendItem] = []
        region, size = self._settings.youtube_region, min(PAGE_SIZE, limit)
        params = {**CHART_PARAMS, "regionCode": region, "maxResults": size}
        for _ in range(MAX_CHART_PAGES):
            body = self._call(client, "videos.list", params, usage)
            items.extend(_parse_videos(body["items"], shorts=False))
            token = body.get("nextPageToken")
            if len(items) >= limit or not isinstance(token, str) or not token:
                break
            params = {**params, "pageToken": token}
        return items[:limit]

    def _shorts(
        self, client: ServiceClient, now: datetime, limit: int, usage: UsageLog
    ) -> list[TrendItem]:
        params = {
            **SEARCH_PARAMS,
            "publishedAfter": (now - SHORTS_WINDOW).astimezone(UTC).strftime(RFC3339),
            "q": self._settings.youtube_search_query,
            "regionCode": self._settings.youtube_region,
            "maxResults": min(PAGE_SIZE, limit),
        }
        hits = self._call(client, "search.list", params, usage)["items"]
        found = (_mapping(_mapping(hit).get("id")).get("videoId") for hit in hits)
        ids = list(dict.fromkeys(i for i in found if isinstance(i, str) and i))
        if not ids:
            return []
        details = {"part": VIDEO_PARTS, "id": ",".join(ids)}
        body = self._call(client, "videos.list", details, usage)
        by_id = {item.external_id: item for item in _parse_videos(body["items"], shorts=True)}
        return [by_id[i] for i in ids if i in by_id]

    def _call(
        self, client: ServiceClient, operation: str, params: dict[str, Any], usage: UsageLog
    ) -> dict[str, Any]:
        """GET /videos or /search (from the operation name) with the key; usage recorded."""
        path = "/" + operation.split(".", 1)[0]
        body = client.get_json(path, {**params, "key": self._key.get_secret_value()})
        usage.record(NAME, operation, QUOTA_COST[operation], UNIT_NAME, 0.0)
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            raise ProviderResponseError(NAME, f"{operation} answered without an items list")
        return {**body, "items": body.get("items", [])}


def classify(provider: str, response: httpx.Response) -> ProviderError | None:
    """YouTube's 403s that are not about the key: a spent daily quota (not worth retrying
    before it resets) and a short-lived rate limit (retried like a 429)."""
    if response.status_code != 403:
        return None
    reasons = google_reasons(response)
    if reasons & QUOTA_REASONS:
        resets = "(the daily quota resets at midnight Pacific Time)"
        return ProviderQuotaExceededError(provider, f"{answered(response)} {resets}")
    if reasons & RATE_LIMIT_REASONS:
        return ProviderRateLimitError(provider, answered(response))
    return None


def merge(chart: list[TrendItem], shorts: list[TrendItem], limit: int) -> list[TrendItem]:
    """Interleave the two lists, keeping the first occurrence of each video id."""
    merged: dict[str, TrendItem] = {}
    for item in itertools.chain.from_iterable(itertools.zip_longest(chart, shorts)):
        if item is not None:
            merged.setdefault(item.external_id, item)
    return list(merged.values())[:limit]


def parse_duration(value: object) -> float | None:
    """Seconds in an ISO-8601 duration such as ``PT1M5S`` or ``P1DT2H``; None if unparseable."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def _parse_videos(raw_items: list[Any], *, shorts: bool) -> list[TrendItem]:
    items = [_to_item(raw, shorts=shorts) for raw in raw_items]
    kept = [item for item in items if item is not None]
    if len(kept) < len(items):
        _log.warning("youtube: skipped %d malformed video(s)", len(items) - len(kept))
    return kept


def _to_item(raw: Any, *, shorts: bool) -> TrendItem | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    video_id: str = raw["id"]
    snippet, stats = _mapping(raw.get("snippet")), _mapping(raw.get("statistics"))
    if (posted_at := _parse_time(snippet.get("publishedAt"))) is None:
        return None
    title = str(snippet.get("title") or "").strip()
    description = str(snippet.get("description") or "")
    url_path = f"shorts/{video_id}" if shorts else f"watch?v={video_id}"
    try:
        return TrendItem(
            platform=Platform.YOUTUBE,
            external_id=video_id,
            title=title,
            description=description,
            creator=str(snippet.get("channelTitle") or ""),
            hashtags=_hashtags(snippet.get("tags"), title, description),
            views=_count(stats.get("viewCount")),
            likes=_count(stats.get("likeCount")),
            comments=_count(stats.get("commentCount")),
            duration_seconds=parse_duration(_mapping(raw.get("contentDetails")).get("duration")),
            posted_at=posted_at,
            url=f"https://www.youtube.com/{url_path}",
            thumbnail_url=_thumbnail(_mapping(snippet.get("thumbnails"))),
            source=NAME,
        )
    except ValidationError:
        return None


def _hashtags(tags: object, *texts: str) -> list[str]:
    found = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    for text in texts:
        found.extend(_HASHTAG.findall(text))
    return [t for t in dict.fromkeys(re.sub(r"[\s#]+", "", t).lower() for t in found) if t]


def _thumbnail(thumbnails: dict[str, Any]) -> str:
    urls = (_mapping(thumbnails.get(size)).get("url") for size in ("high", "medium", "default"))
    return next((url for url in urls if isinstance(url, str) and url), "")


def _count(value: object) -> int:
    """A statistics counter (the API sends strings); hidden or missing counters are 0."""
    try:
        return max(int(str(value)), 0)
    except ValueError:
        return 0


def _parse_time(value: object) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
