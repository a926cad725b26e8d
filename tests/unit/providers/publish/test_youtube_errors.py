"""How YouTubePublisher fails: token refresh, quotas with their reset, rate limits, scopes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.fakes.youtube_errors import rate_limited, upload_limit_exceeded
from tests.support.fakes.youtube_harness import (
    CHUNK,
    World,
    request_for,
    video_file,
    youtube_world,
)
from tests.support.fakes.youtube_tokens import RegistryTokens
from trendreel.errors import (
    ProviderAuthError,
    ProviderQuotaExceededError,
    ProviderRateLimitError,
)
from trendreel.providers.base import UsageLog

SIZE = CHUNK + 1000


@pytest.fixture
def world() -> Iterator[World]:
    with youtube_world() as world:
        yield world


def test_an_expired_access_token_is_refreshed_exactly_once(world: World, tmp_path: Path) -> None:
    stale = world.tokens.access_token()
    world.registry.expire_all()
    exchanges_before = world.registry.refreshes

    result = world.publisher().publish(
        request_for(video_file(tmp_path, SIZE)), None, world.record, world.usage
    )

    assert world.registry.refreshes == exchanges_before + 1
    assert world.tokens.invalidated == [stale]
    assert world.fake.videos_created == 1
    assert result.remote_id in world.fake.videos


def test_a_token_rejected_after_refreshing_asks_to_reconnect(tmp_path: Path) -> None:
    with youtube_world() as world:
        world.tokens = RegistryTokens.connect(world.registry, ttl_seconds=-1)  # born expired
        publisher = world.publisher()
        with pytest.raises(ProviderAuthError) as refused:
            publisher.publish(
                request_for(video_file(tmp_path, SIZE)), None, world.record, world.usage
            )

        assert world.registry.refreshes == 2  # the first token and one refresh, no more
        assert "trendreel accounts connect youtube" in refused.value.hint
        assert not refused.value.retryable
        assert world.recorded == []
        assert world.fake.sessions == {}
        for token in world.tokens.invalidated:
            assert token not in str(refused.value)
            assert token not in repr(publisher)


def test_a_spent_daily_quota_names_the_quota_and_when_it_resets(
    world: World, tmp_path: Path
) -> None:
    world.fake.exhaust_quota()

    with pytest.raises(ProviderQuotaExceededError) as spent:
        world.publisher().publish(
            request_for(video_file(tmp_path, SIZE)), None, world.record, world.usage
        )

    message = str(spent.value)
    assert "quotaExceeded" in message
    assert "videos.insert" in message
    # 2025-03-08 20:00 UTC is noon PST; the next midnight PT comes before DST starts.
    assert "midnight Pacific Time, 2025-03-09 00:00 PST (2025-03-09 08:00 UTC)" in message
    assert not spent.value.retryable
    assert spent.value.code == "quota_exceeded"
    assert world.recorded == []


def test_the_units_quota_of_other_calls_resets_on_pacific_daylight_time(world: World) -> None:
    world.now = datetime(2025, 7, 1, 6, 30, tzinfo=UTC)  # 23:30 PDT on June 30
    world.fake.exhaust_quota()

    with pytest.raises(ProviderQuotaExceededError) as spent:
        world.publisher().status("abc", None, UsageLog())

    message = str(spent.value)
    assert "10,000 units" in message
    assert "videos.list costs 1 unit" in message
    assert "2025-07-01 00:00 PDT (2025-07-01 07:00 UTC)" in message


def test_the_channel_upload_limit_is_a_quota_error_for_24_hours(
    world: World, tmp_path: Path
) -> None:
    world.fake.fail_next("videos.insert", upload_limit_exceeded())

    with pytest.raises(ProviderQuotaExceededError) as limited:
        world.publisher().publish(
            request_for(video_file(tmp_path, SIZE)), None, world.record, world.usage
        )

    assert "uploadLimitExceeded" in str(limited.value)
    assert "try again after 2025-03-09 20:00 UTC" in str(limited.value)
    assert world.fake.videos_created == 0


def test_a_rate_limit_is_waited_out_as_the_service_asks(world: World, tmp_path: Path) -> None:
    world.fake.fail_next("videos.insert", rate_limited(retry_after=3))

    world.publisher().publish(
        request_for(video_file(tmp_path, SIZE)), None, world.record, world.usage
    )

    assert world.sleeps[0] == 3.0
    assert world.fake.videos_created == 1
    assert len(world.recorded) == 1


def test_a_rate_limit_that_persists_is_retryable(world: World) -> None:
    world.fake.fail_next("videos.list", *(rate_limited(retry_after=1) for _ in range(3)))

    with pytest.raises(ProviderRateLimitError) as limited:
        world.publisher().status("abc", None, UsageLog())

    assert limited.value.retryable
    assert "rateLimitExceeded" in str(limited.value)


def test_an_account_connected_without_the_read_scope_is_told_to_reconnect(world: World) -> None:
    upload_only = frozenset({"https://www.googleapis.com/auth/youtube.upload"})
    world.tokens = RegistryTokens.connect(world.registry, scopes=upload_only)

    with pytest.raises(ProviderAuthError) as refused:
        world.publisher().status("abc", None, UsageLog())

    assert "insufficientPermissions" in str(refused.value)
    assert "youtube.readonly" in refused.value.hint
