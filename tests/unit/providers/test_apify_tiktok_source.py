"""ApifyTikTokSource against a scripted local HTTP server."""

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
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.models import Platform
from trendreel.providers.base import TrendSource, UsageLog
from trendreel.providers.trends.apify_tiktok import (
    PRICE_PER_RESULT_USD,
    ApifyTikTokSource,
    actor_input,
    parse_items,
)
from trendreel.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures" / "trends"
NOW = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)
TOKEN = "apify_api_s3cr3tT0k3n"
ACTOR = "clockworks~tiktok-trends-scraper"
RUN_PATH = f"/acts/{ACTOR}/run-sync-get-dataset-items"


def _settings(server: FixtureServer | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "apify_token": TOKEN,
        "apify_actor": ACTOR,
        "apify_base_url": server.url if server else "http://127.0.0.1:9",
        "http_timeout_seconds": 5.0,
        "http_max_retries": 2,
        "http_backoff_seconds": 0.5,
        **overrides,
    }
    return Settings(**values)


def _dataset() -> list[Any]:
    data: list[Any] = json.loads((FIXTURES / "apify_tiktok_items.json").read_text())
    return data


def _source(server: FixtureServer, sleeps: list[float] | None = None) -> ApifyTikTokSource:
    return ApifyTikTokSource(
        _settings(server), sleep=sleeps.append if sleeps is not None else lambda s: None
    )


def test_satisfies_the_trend_source_protocol() -> None:
    source: TrendSource = ApifyTikTokSource(_settings(None))
    assert source.name == "tiktok"


def test_normalises_dataset_items_of_both_shapes(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", RUN_PATH, Scripted.json(_dataset(), status=201))
    source = _source(http_fixture)
    usage = UsageLog()

    items = source.collect(NOW, 10, usage)

    assert [i.external_id for i in items] == [
        "7469123456789012345",
        "7469000000000000001",
        "7469000000000000003",
    ]
    assert source.skipped == 2  # no id; no time
    assert {i.platform for i in items} == {Platform.TIKTOK}
    assert {i.source for i in items} == {"tiktok"}
    cat, pasta, dance = items

    assert cat.title == "POV: your cat hears the treat bag 😹 #cat #fyp #CatsOfTikTok"
    assert cat.creator == "whiskers.daily"
    assert cat.hashtags == ["cat", "fyp", "catsoftiktok"]
    assert (cat.views, cat.likes, cat.comments, cat.shares) == (3400000, 512000, 4100, 28000)
    assert cat.duration_seconds == 14
    assert cat.posted_at == datetime(2025, 2, 10, 8, 0, tzinfo=UTC)
    assert cat.url == "https://www.tiktok.com/@whiskers.daily/video/7469123456789012345"
    assert cat.thumbnail_url == "https://p16-sign.tiktokcdn-us.com/obj/cat-cover.jpeg"
    assert cat.engagement_velocity(NOW) == pytest.approx((512000 + 4100 + 28000) / 4)

    # TikTok's own item shape: desc, author.uniqueId, stats{}, challenges, video{}
    assert pasta.title == "Trying the viral #PastaChips recipe"
    assert pasta.creator == "chef.lu"
    assert pasta.hashtags == ["pastachips", "recipe"]
    assert (pasta.views, pasta.likes, pasta.comments, pasta.shares) == (410000, 20000, 800, 1500)
    assert pasta.duration_seconds == 32
    assert pasta.posted_at == datetime(2025, 2, 10, 4, 0, tzinfo=UTC)
    assert pasta.url == "https://www.tiktok.com/@chef.lu/video/7469000000000000001"
    assert pasta.thumbnail_url == "https://p16-sign.tiktokcdn-us.com/obj/pasta-cover.jpeg"
    assert pasta.engagement_velocity(NOW) == pytest.approx((20000 + 800 + 1500) / 8)

    # no caption and no counters
    assert dance.title == "TikTok video by @dance.crew"
    assert (dance.views, dance.likes, dance.duration_seconds) == (0, 0, None)
    assert dance.thumbnail_url == "https://p16-sign.tiktokcdn-us.com/obj/dance-cover.jpeg"

    (call,) = usage.calls
    assert (call.provider, call.units, call.unit_name) == ("tiktok", 5, "apify_results")
    assert call.estimated_cost_usd == pytest.approx(5 * PRICE_PER_RESULT_USD)


def test_request_shape_keeps_the_token_out_of_the_url(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", RUN_PATH, Scripted.json(_dataset()))
    # the slash form of an actor id is sent in the tilde form the API expects
    settings = _settings(http_fixture, apify_actor="clockworks/tiktok-trends-scraper")

    items = ApifyTikTokSource(settings, sleep=lambda s: None).collect(NOW, 2, UsageLog())

    assert len(items) == 2
    (request,) = http_fixture.requests
    assert (request.method, request.path) == ("POST", RUN_PATH)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == actor_input(2)
    assert request.json()["resultsPerPage"] == 2
    assert request.query["maxItems"] == ["2"]
    assert TOKEN not in request.path
    assert TOKEN not in json.dumps(request.query)


def test_401_is_an_auth_error_without_the_token(http_fixture: FixtureServer) -> None:
    body = {
        "error": {
            "type": "user-or-token-not-found",
            "message": "User was not found or authentication token is not valid",
        }
    }
    http_fixture.add("POST", RUN_PATH, Scripted.json(body, status=401))

    with pytest.raises(ProviderAuthError, match="token is not valid") as caught:
        _source(http_fixture).collect(NOW, 10, UsageLog())

    assert http_fixture.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(caught.value)
    assert caught.value.provider == "tiktok"


def test_429_then_success_honours_retry_after(http_fixture: FixtureServer) -> None:
    limited = Scripted.json({"error": {"message": "rate limit"}}, status=429)
    limited.headers["Retry-After"] = "2"
    http_fixture.add("POST", RUN_PATH, limited, Scripted.json(_dataset()))
    sleeps: list[float] = []

    items = _source(http_fixture, sleeps).collect(NOW, 10, UsageLog())

    assert sleeps == [2.0]
    assert len(items) == 3
    assert len(http_fixture.requests) == 2


def test_5xx_exhausted_is_retryable_unavailable(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", RUN_PATH, Scripted.json({"error": "bad gateway"}, status=502))
    sleeps: list[float] = []

    with pytest.raises(ProviderUnavailableError) as caught:
        _source(http_fixture, sleeps).collect(NOW, 10, UsageLog())

    assert caught.value.retryable is True
    assert jittered(sleeps, [0.5, 1.0])
    assert len(http_fixture.requests) == 3
    assert TOKEN not in str(caught.value)


def test_a_body_that_is_not_a_list_is_a_response_error(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", RUN_PATH, Scripted.json({"data": {"items": []}}))
    usage = UsageLog()

    with pytest.raises(ProviderResponseError, match="JSON list"):
        _source(http_fixture).collect(NOW, 10, usage)
    assert usage.calls == []


def test_a_body_that_is_not_json_is_a_response_error(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", RUN_PATH, Scripted.text("<html>Bad gateway</html>"))

    with pytest.raises(ProviderResponseError, match="malformed"):
        _source(http_fixture).collect(NOW, 10, UsageLog())


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token_names_the_setting(token: str | None) -> None:
    with pytest.raises(ProviderNotConfiguredError, match="TRENDREEL_APIFY_TOKEN") as caught:
        ApifyTikTokSource(_settings(None, apify_token=token))
    assert caught.value.setting == "TRENDREEL_APIFY_TOKEN"


def test_repr_hides_the_token() -> None:
    source = ApifyTikTokSource(_settings(None))
    assert TOKEN not in repr(source)
    assert TOKEN not in str(vars(source))


@pytest.mark.parametrize(
    "raw",
    [
        "not an object",
        {"id": "1", "createTime": "yesterday"},
        {"id": "", "createTime": 1739160000},
        {"id": True, "createTime": 1739160000},
        {"id": "1", "createTimeISO": "garbage", "createTime": None},
    ],
)
def test_unusable_items_are_skipped_and_counted(raw: Any) -> None:
    assert parse_items([raw]) == ([], 1)


def test_naive_iso_time_is_utc_and_numeric_id_is_kept() -> None:
    raw = {"id": 7469, "text": "x", "createTimeISO": "2025-02-10T08:00:00", "playCount": "12"}
    (item,), skipped = parse_items([raw])
    assert skipped == 0
    assert item.external_id == "7469"
    assert item.posted_at == datetime(2025, 2, 10, 8, 0, tzinfo=UTC)
    assert item.views == 12
