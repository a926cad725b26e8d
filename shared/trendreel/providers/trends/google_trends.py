"""Google Trends daily trending searches, read from the public RSS feed.

Google Trends items rank by views: the feed only gives an approximate search traffic
(``ht:approx_traffic``, e.g. ``200,000+`` or ``2K+``), which goes into ``views``. Likes, comments
and shares are 0, so their engagement velocity is 0 and the analyzer ranks them by views.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

from pydantic import ValidationError

from trendreel.errors import ProviderResponseError
from trendreel.models import Platform, TrendItem
from trendreel.providers.base import UsageLog
from trendreel.providers.http import ServiceClient
from trendreel.settings import Settings

NAME = "google_trends"
#: The ``ht`` namespace of the current feed, then the one older feeds used.
HT_NAMESPACES = (
    "https://trends.google.com/trending/rss",
    "https://trends.google.com/trends/trendingsearches/daily",
)
_TRAFFIC = re.compile(r"^([\d.,\s]+?)\s*([KMB]?)\+?$", re.IGNORECASE)
_MULTIPLIER = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_log = logging.getLogger(__name__)


class GoogleTrendsSource:
    name: str = NAME

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings = settings
        self._sleep = sleep
        #: Feed items dropped on the last collect for lacking a title or a parseable pubDate.
        self.skipped = 0

    def collect(self, now: datetime, limit: int, usage: UsageLog) -> list[TrendItem]:
        if limit <= 0:
            return []
        s = self._settings
        with ServiceClient.from_settings(
            NAME, s.google_trends_rss_url, s, sleep=self._sleep
        ) as client:
            response = client.request(
                "GET", s.google_trends_rss_url, params={"geo": s.google_trends_geo}
            )
        usage.record(NAME, "daily_rss", 1, "requests", 0.0)
        items, self.skipped = parse_feed(response.content, s.google_trends_geo)
        if self.skipped:
            _log.warning("google_trends: skipped %d feed item(s)", self.skipped)
        return items[:limit]


def parse_feed(body: bytes, geo: str) -> tuple[list[TrendItem], int]:
    """The feed's items, in feed order, and how many were skipped as unusable."""
    channel = _channel(body)
    items: list[TrendItem] = []
    skipped = 0
    for element in channel.findall("item"):
        item = _to_item(element, geo)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    return items, skipped


def parse_traffic(text: str) -> int:
    """``200,000+`` → 200000, ``2K+`` → 2000, ``1.5M+`` → 1500000; 0 if unreadable."""
    match = _TRAFFIC.match(text.strip())
    if match is None:
        return 0
    digits, suffix = match.group(1), match.group(2).upper()
    # Before K/M/B a comma is a decimal mark; without a suffix, separators are thousands.
    digits = digits.replace(",", ".") if suffix else re.sub(r"[.,\s]", "", digits)
    try:
        return int(float(digits.replace(" ", "")) * _MULTIPLIER[suffix])
    except ValueError:
        return 0


def hashtag_for(title: str) -> str:
    """The title's words lowercased and joined: ``Super Bowl`` → ``superbowl``."""
    return re.sub(r"\W+", "", title.casefold())


def _channel(body: bytes) -> ET.Element:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProviderResponseError(NAME, "RSS feed is not UTF-8") from exc
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ProviderResponseError(NAME, "refusing an RSS feed with DOCTYPE/ENTITY declarations")
    try:
        # Safe: DTDs and entity declarations were refused above, so no entity expansion.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise ProviderResponseError(NAME, f"malformed RSS XML: {exc}") from exc
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ProviderResponseError(NAME, f"expected an RSS <channel>, got <{root.tag}>")
    return channel


def _to_item(element: ET.Element, geo: str) -> TrendItem | None:
    title = (element.findtext("title") or "").strip()
    posted_at = _parse_date(element.findtext("pubDate") or "")
    if not title or posted_at is None:
        return None
    news = _ht_all(element, "news_item")
    urls = [u for u in (_ht(n, "news_item_url") for n in news) if u]
    sources = [s for s in (_ht(n, "news_item_source") for n in news) if s]
    tag = hashtag_for(title)
    try:
        return TrendItem(
            platform=Platform.GOOGLE_TRENDS,
            external_id=_stable_id(geo, title, posted_at),
            title=title,
            description="; ".join(t for t in (_ht(n, "news_item_title") for n in news) if t),
            creator=sources[0] if sources else "",
            hashtags=[tag] if tag else [],
            views=parse_traffic(_ht(element, "approx_traffic")),
            posted_at=posted_at,
            url=urls[0] if urls else _explore_url(title, geo),
            thumbnail_url=_ht(element, "picture"),
            source=NAME,
        )
    except ValidationError:
        return None


def _ht(element: ET.Element, tag: str) -> str:
    for namespace in HT_NAMESPACES:
        child = element.find(f"{{{namespace}}}{tag}")
        if child is not None:
            return (child.text or "").strip()
    return ""


def _ht_all(element: ET.Element, tag: str) -> list[ET.Element]:
    return [c for ns in HT_NAMESPACES for c in element.findall(f"{{{ns}}}{tag}")]


def _parse_date(text: str) -> datetime | None:
    """An RFC 822 date; one without a zone (``-0000``) is taken as UTC."""
    try:
        parsed = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _stable_id(geo: str, title: str, posted_at: datetime) -> str:
    day = posted_at.astimezone(UTC).date().isoformat()
    digest = hashlib.sha256(f"{geo.upper()}|{title.casefold()}|{day}".encode())
    return digest.hexdigest()[:16]


def _explore_url(title: str, geo: str) -> str:
    return "https://trends.google.com/trends/explore?" + urlencode({"q": title, "geo": geo})
