"""GoogleTrendsSource against a scripted local HTTP server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.test_http_client import jittered
from trendreel.errors import ProviderAuthError, ProviderResponseError, ProviderUnavailableError
from trendreel.models import Platform
from trendreel.providers.base import TrendSource, UsageLog
from trendreel.providers.trends.google_trends import (
    GoogleTrendsSource,
    hashtag_for,
    parse_feed,
    parse_traffic,
)
from trendreel.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures" / "trends"
NOW = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)
RSS_PATH = "/trending/rss"


def _settings(server: FixtureServer | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "google_trends_rss_url": f"{server.url if server else 'http://127.0.0.1:9'}{RSS_PATH}",
        "google_trends_geo": "US",
        "http_timeout_seconds": 5.0,
        "http_max_retries": 2,
        "http_backoff_seconds": 0.5,
        **overrides,
    }
    return Settings(**values)


def _feed(name: str) -> Scripted:
    body = (FIXTURES / name).read_text()
    return Scripted.text(body, content_type="application/rss+xml; charset=UTF-8")


def _source(server: FixtureServer, sleeps: list[float] | None = None) -> GoogleTrendsSource:
    return GoogleTrendsSource(
        _settings(server), sleep=sleeps.append if sleeps is not None else lambda s: None
    )


def test_satisfies_the_trend_source_protocol() -> None:
    source: TrendSource = GoogleTrendsSource(_settings(None))
    assert source.name == "google_trends"


def test_normalises_the_daily_feed(http_fixture: FixtureServer) -> None:
    http_fixture.add("GET", RSS_PATH, _feed("google_trends_daily.xml"))
    source = _source(http_fixture)
    usage = UsageLog()

    items = source.collect(NOW, 10, usage)

    assert [i.title for i in items] == ["super bowl", "Taylor Swift", "Grammys 2025"]
    assert source.skipped == 1  # the item without a pubDate
    bowl, swift, grammys = items
    assert bowl.platform is Platform.GOOGLE_TRENDS
    assert bowl.source == "google_trends"
    assert bowl.views == 2_000_000
    assert (bowl.likes, bowl.comments, bowl.shares) == (0, 0, 0)
    assert bowl.engagement_velocity(NOW) == 0.0  # ranks by views instead
    assert bowl.hashtags == ["superbowl"]
    assert bowl.posted_at == datetime(2025, 2, 10, 2, 0, tzinfo=UTC)
    assert bowl.description == (
        "Eagles rout Chiefs to win Super Bowl LIX; Kendrick Lamar headlines halftime show"
    )
    assert bowl.creator == "ESPN"
    assert bowl.url == "https://www.espn.com/nfl/story/super-bowl-lix-recap"
    assert bowl.thumbnail_url == "https://encrypted-tbn1.gstatic.com/images?q=tbn:superbowl"
    assert len(bowl.external_id) == 16

    assert swift.views == 200_000
    assert swift.hashtags == ["taylorswift"]

    # no news items: the Trends explore page; "-0000" is taken as UTC
    assert grammys.views == 50_000
    assert grammys.url == "https://trends.google.com/trends/explore?q=Grammys+2025&geo=US"
    assert grammys.posted_at == datetime(2025, 2, 10, 3, 0, tzinfo=UTC)
    assert grammys.description == ""

    (request,) = http_fixture.requests
    assert (request.method, request.path, request.query) == ("GET", RSS_PATH, {"geo": ["US"]})
    assert [(c.provider, c.units) for c in usage.calls] == [("google_trends", 1)]
    assert usage.total_cost() == 0.0

    # the limit keeps the feed's order
    assert [i.title for i in source.collect(NOW, 2, UsageLog())] == ["super bowl", "Taylor Swift"]


def test_external_ids_are_stable_and_depend_on_geo() -> None:
    body = (FIXTURES / "google_trends_daily.xml").read_bytes()
    first, _ = parse_feed(body, "US")
    again, _ = parse_feed(body, "US")
    elsewhere, _ = parse_feed(body, "GB")

    assert [i.external_id for i in first] == [i.external_id for i in again]
    assert len({i.external_id for i in first}) == 3
    assert first[0].external_id != elsewhere[0].external_id


def test_reads_the_legacy_namespace(http_fixture: FixtureServer) -> None:
    http_fixture.add("GET", RSS_PATH, _feed("google_trends_legacy.xml"))

    (item,) = _source(http_fixture).collect(NOW, 10, UsageLog())

    assert item.title == "Lunar New Year"
    assert item.views == 100_000
    assert item.hashtags == ["lunarnewyear"]
    assert item.url == "https://www.nytimes.com/lunar-new-year-2025"
    assert item.thumbnail_url == "https://t2.gstatic.com/images?q=tbn:lny"


def test_401_is_an_auth_error(http_fixture: FixtureServer) -> None:
    http_fixture.add("GET", RSS_PATH, Scripted.text("denied", status=401))

    with pytest.raises(ProviderAuthError, match="401"):
        _source(http_fixture).collect(NOW, 10, UsageLog())


def test_429_then_success_honours_retry_after(http_fixture: FixtureServer) -> None:
    limited = Scripted(status=429, body=b"slow down", headers={"Retry-After": "3"})
    http_fixture.add("GET", RSS_PATH, limited, _feed("google_trends_daily.xml"))
    sleeps: list[float] = []

    items = _source(http_fixture, sleeps).collect(NOW, 10, UsageLog())

    assert sleeps == [3.0]
    assert len(items) == 3


def test_5xx_exhausted_is_retryable_unavailable(http_fixture: FixtureServer) -> None:
    http_fixture.add("GET", RSS_PATH, Scripted.text("oops", status=502))
    sleeps: list[float] = []

    with pytest.raises(ProviderUnavailableError) as caught:
        _source(http_fixture, sleeps).collect(NOW, 10, UsageLog())

    assert caught.value.retryable is True
    assert jittered(sleeps, [0.5, 1.0])
    assert len(http_fixture.requests) == 3


def test_malformed_xml_is_a_response_error(http_fixture: FixtureServer) -> None:
    http_fixture.add("GET", RSS_PATH, Scripted.text("<rss><channel><item><title>x</channel>"))

    with pytest.raises(ProviderResponseError, match="malformed RSS"):
        _source(http_fixture).collect(NOW, 10, UsageLog())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
            b"<rss><channel><item><title>&lol;</title></item></channel></rss>",
            "DOCTYPE",
        ),
        (b"<html><body>Sign in</body></html>", "expected an RSS"),
        ("<rss><channel/></rss>".encode("utf-16"), "not UTF-8"),
    ],
)
def test_refuses_unsafe_or_foreign_documents(body: bytes, message: str) -> None:
    with pytest.raises(ProviderResponseError, match=message):
        parse_feed(body, "US")


def test_an_empty_feed_is_empty() -> None:
    assert parse_feed(b"<rss><channel><title>t</title></channel></rss>", "US") == ([], 0)


@pytest.mark.parametrize(
    ("text", "views"),
    [
        ("200,000+", 200_000),
        ("2K+", 2_000),
        ("1.5M+", 1_500_000),
        ("20k+", 20_000),
        ("500+", 500),
        ("1B+", 1_000_000_000),
        ("", 0),
        ("lots", 0),
    ],
)
def test_parse_traffic(text: str, views: int) -> None:
    assert parse_traffic(text) == views


@pytest.mark.parametrize(
    ("title", "tag"),
    [("super bowl", "superbowl"), ("Taylor Swift", "taylorswift"), ("AT&T outage!", "attoutage")],
)
def test_hashtag_for(title: str, tag: str) -> None:
    assert hashtag_for(title) == tag
