"""YouTubeTrendSource against a scripted local HTTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.test_http_client import jittered
from trendreel.errors import (
    ProviderAuthError,
    ProviderNotConfiguredError,
    ProviderQuotaExceededError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.models import Platform
from trendreel.providers.base import TrendSource, UsageLog
from trendreel.providers.trends.youtube import YouTubeTrendSource, parse_duration
from trendreel.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures" / "trends"
NOW = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)
KEY = "k-secret-4242"


def _settings(server: FixtureServer | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "youtube_api_key": KEY,
        "youtube_base_url": server.url if server else "http://127.0.0.1:9",
        "youtube_region": "US",
        "youtube_search_query": "#shorts",
        "http_timeout_seconds": 5.0,
        "http_max_retries": 2,
        "http_backoff_seconds": 0.5,
        **overrides,
    }
    return Settings(**values)


def _body(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _script_happy_path(server: FixtureServer) -> None:
    server.add(
        "GET",
        "/videos",
        Scripted.json(_body("youtube_chart.json")),
        Scripted.json(_body("youtube_shorts_videos.json")),
    )
    server.add("GET", "/search", Scripted.json(_body("youtube_search.json")))


def _source(server: FixtureServer, sleeps: list[float] | None = None) -> YouTubeTrendSource:
    return YouTubeTrendSource(
        _settings(server), sleep=sleeps.append if sleeps is not None else lambda s: None
    )


def test_satisfies_the_trend_source_protocol() -> None:
    source: TrendSource = YouTubeTrendSource(_settings(None))
    assert source.name == "youtube"


def test_merges_and_normalises_chart_and_shorts(http_fixture: FixtureServer) -> None:
    _script_happy_path(http_fixture)
    items = _source(http_fixture).collect(NOW, 10, UsageLog())

    # chart and shorts interleave; the halftime show is in both and kept once (chart first);
    # the chart video without publishedAt is skipped.
    assert [i.external_id for i in items] == ["Ks-_Mh1QhMc", "sH0rt1aaaaa", "Xy9_aB3cDeF"]
    assert {i.platform for i in items} == {Platform.YOUTUBE}
    assert {i.source for i in items} == {"youtube"}
    show, short, hidden_likes = items

    assert show.title == "Super Bowl LIX Halftime Show #SuperBowl"
    assert show.creator == "NFL"
    assert show.hashtags == ["superbowl", "halftime", "nfl", "music"]
    assert (show.views, show.likes, show.comments, show.shares) == (48213977, 1302211, 91234, 0)
    assert show.duration_seconds == 13 * 60 + 42
    assert show.posted_at == datetime(2025, 2, 10, 2, 0, tzinfo=UTC)
    assert show.url == "https://www.youtube.com/watch?v=Ks-_Mh1QhMc"
    assert show.thumbnail_url == "https://i.ytimg.com/vi/Ks-_Mh1QhMc/hqdefault.jpg"
    assert show.engagement_velocity(NOW) == pytest.approx((1302211 + 91234) / 10)

    assert short.url == "https://www.youtube.com/shorts/sH0rt1aaaaa"
    assert short.creator == "Daily Cats"
    assert short.hashtags == ["shorts", "cat"]
    assert short.duration_seconds == 59
    assert short.engagement_velocity(NOW) == pytest.approx((310000 + 1200) / 16)

    # likes hidden by the uploader count as 0; no "high" thumbnail, so "medium"
    assert (hidden_likes.views, hidden_likes.likes, hidden_likes.comments) == (120000, 0, 340)
    assert hidden_likes.hashtags == []
    assert hidden_likes.duration_seconds == 3723
    assert hidden_likes.thumbnail_url == "https://i.ytimg.com/vi/Xy9_aB3cDeF/mqdefault.jpg"
    assert hidden_likes.engagement_velocity(NOW) == pytest.approx(340 / 24)


def test_request_shape_and_quota_usage(http_fixture: FixtureServer) -> None:
    _script_happy_path(http_fixture)
    usage = UsageLog()
    _source(http_fixture).collect(NOW, 10, usage)

    chart, search, details = http_fixture.requests
    assert (chart.method, chart.path) == ("GET", "/videos")
    assert chart.query == {
        "part": ["snippet,statistics,contentDetails"],
        "chart": ["mostPopular"],
        "regionCode": ["US"],
        "maxResults": ["10"],
        "key": [KEY],
    }
    assert search.path == "/search"
    assert search.query["type"] == ["video"]
    assert search.query["videoDuration"] == ["short"]
    assert search.query["order"] == ["viewCount"]
    assert search.query["publishedAfter"] == ["2025-02-08T12:00:00Z"]
    assert search.query["q"] == ["#shorts"]
    assert search.query["key"] == [KEY]
    assert details.query["id"] == ["sH0rt1aaaaa,Ks-_Mh1QhMc"]
    assert details.query["part"] == ["snippet,statistics,contentDetails"]
    assert [(c.operation, c.units) for c in usage.calls] == [
        ("videos.list", 1),
        ("search.list", 100),
        ("videos.list", 1),
    ]
    assert {c.unit_name for c in usage.calls} == {"youtube_quota_units"}
    assert usage.total_cost() == 0.0


def test_honours_the_limit(http_fixture: FixtureServer) -> None:
    _script_happy_path(http_fixture)
    items = _source(http_fixture).collect(NOW, 2, UsageLog())

    assert [i.external_id for i in items] == ["Ks-_Mh1QhMc", "sH0rt1aaaaa"]
    assert http_fixture.requests[0].query["maxResults"] == ["2"]


def test_pages_through_the_chart_until_the_limit(http_fixture: FixtureServer) -> None:
    page_one = _body("youtube_chart.json")
    page_one["nextPageToken"] = "CAMQAA"
    page_two = {"items": [_body("youtube_shorts_videos.json")["items"][0]]}
    http_fixture.add("GET", "/videos", Scripted.json(page_one), Scripted.json(page_two))
    http_fixture.add("GET", "/search", Scripted.json({"items": []}))

    items = _source(http_fixture).collect(NOW, 5, UsageLog())

    assert [i.external_id for i in items] == ["Ks-_Mh1QhMc", "Xy9_aB3cDeF", "sH0rt1aaaaa"]
    assert http_fixture.requests[1].query["pageToken"] == ["CAMQAA"]
    # no search hits: no videos.list call for their details
    assert [r.path for r in http_fixture.requests] == ["/videos", "/videos", "/search"]


def test_401_is_an_auth_error_without_the_key(http_fixture: FixtureServer) -> None:
    body = {"error": {"code": 401, "message": "API key not valid. Please pass a valid API key."}}
    http_fixture.add("GET", "/videos", Scripted.json(body, status=401))

    with pytest.raises(ProviderAuthError, match="API key not valid") as caught:
        _source(http_fixture).collect(NOW, 10, UsageLog())

    assert http_fixture.requests[0].query["key"] == [KEY]
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)
    assert caught.value.provider == "youtube"


def _forbidden(reason: str, domain: str, message: str) -> Scripted:
    """YouTube's 403 body (https://developers.google.com/youtube/v3/docs/errors)."""
    errors = [{"message": message, "domain": domain, "reason": reason}]
    body = {"error": {"code": 403, "message": message, "errors": errors}}
    return Scripted.json(body, status=403)


def test_403_quota_exceeded_is_a_spent_quota_not_retried(http_fixture: FixtureServer) -> None:
    message = "The request cannot be completed because you have exceeded your quota."
    http_fixture.add("GET", "/videos", _forbidden("quotaExceeded", "youtube.quota", message))
    sleeps: list[float] = []

    with pytest.raises(ProviderQuotaExceededError, match="exceeded your quota") as caught:
        _source(http_fixture, sleeps).collect(NOW, 10, UsageLog())

    assert caught.value.retryable is False  # the units come back at midnight PT, not in 30 s
    assert caught.value.code == "quota_exceeded"
    assert "resets at midnight Pacific Time" in caught.value.message
    assert str(caught.value).startswith("youtube: GET /videos answered HTTP 403")
    assert KEY not in str(caught.value)
    assert (len(http_fixture.requests), sleeps) == (1, [])


def test_403_rate_limit_exceeded_is_retried_like_a_429(http_fixture: FixtureServer) -> None:
    limited = _forbidden("rateLimitExceeded", "usageLimits", "Rate Limit Exceeded")
    http_fixture.add("GET", "/videos", limited)
    sleeps: list[float] = []

    with pytest.raises(ProviderRateLimitError, match="Rate Limit Exceeded") as caught:
        _source(http_fixture, sleeps).collect(NOW, 10, UsageLog())

    assert caught.value.retryable is True
    assert len(http_fixture.requests) == 3
    assert jittered(sleeps, [0.5, 1.0])


def test_other_403s_are_auth_errors(http_fixture: FixtureServer) -> None:
    http_fixture.add("GET", "/videos", _forbidden("forbidden", "youtube.common", "Forbidden"))

    with pytest.raises(ProviderAuthError, match="HTTP 403: Forbidden"):
        _source(http_fixture).collect(NOW, 10, UsageLog())
    assert len(http_fixture.requests) == 1


def test_an_echoed_key_is_scrubbed_from_the_error(http_fixture: FixtureServer) -> None:
    body = {"error": {"code": 400, "message": f"Bad request for key {KEY}"}}
    http_fixture.add("GET", "/videos", Scripted.json(body, status=400))

    with pytest.raises(ProviderResponseError) as caught:
        _source(http_fixture).collect(NOW, 10, UsageLog())

    assert KEY not in str(caught.value)
    assert "Bad request for key ***" in str(caught.value)


def test_429_then_success_honours_retry_after(http_fixture: FixtureServer) -> None:
    limited = Scripted.json(
        {"error": {"message": "quota"}}, status=429, headers={"Retry-After": "7"}
    )
    http_fixture.add("GET", "/videos", limited)
    _script_happy_path(http_fixture)
    sleeps: list[float] = []

    items = _source(http_fixture, sleeps).collect(NOW, 10, UsageLog())

    assert sleeps == [7.0]
    assert len(items) == 3


def test_5xx_exhausted_is_retryable_unavailable(http_fixture: FixtureServer) -> None:
    http_fixture.add("GET", "/videos", Scripted.json({"error": "backend"}, status=503))
    sleeps: list[float] = []

    with pytest.raises(ProviderUnavailableError, match="503") as caught:
        _source(http_fixture, sleeps).collect(NOW, 10, UsageLog())

    assert caught.value.retryable is True
    assert jittered(sleeps, [0.5, 1.0])
    assert len(http_fixture.requests) == 3
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    "reply",
    [
        Scripted.text("<html>Service temporarily unavailable</html>", content_type="text/html"),
        Scripted.json({"items": "not a list"}),
    ],
)
def test_malformed_body_is_a_response_error(http_fixture: FixtureServer, reply: Scripted) -> None:
    http_fixture.add("GET", "/videos", reply)

    with pytest.raises(ProviderResponseError):
        _source(http_fixture).collect(NOW, 10, UsageLog())


@pytest.mark.parametrize("key", [None, ""])
def test_missing_key_names_the_setting(key: str | None) -> None:
    with pytest.raises(ProviderNotConfiguredError, match="TRENDREEL_YOUTUBE_API_KEY") as caught:
        YouTubeTrendSource(_settings(None, youtube_api_key=key))
    assert caught.value.setting == "TRENDREEL_YOUTUBE_API_KEY"


def test_repr_hides_the_key() -> None:
    source = YouTubeTrendSource(_settings(None))
    assert KEY not in repr(source)
    assert KEY not in str(vars(source))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1M5S", 65.0),
        ("PT59S", 59.0),
        ("PT1H2M3S", 3723.0),
        ("P1DT2H", 93600.0),
        ("P0D", 0.0),
        ("PT0.5S", 0.5),
        ("", None),
        ("PT", None),
        ("1:05", None),
        (None, None),
    ],
)
def test_parse_duration(text: str | None, seconds: float | None) -> None:
    assert parse_duration(text) == seconds
