"""Where a posted video stands and what it earned: videos.list status and statistics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fakes.youtube_harness import NOW, World, request_for, video_file, youtube_world
from trendreel.errors import ProviderResponseError
from trendreel.providers.base import UsageLog
from trendreel.providers.publish.base import PublishResult


@pytest.fixture
def world() -> Iterator[World]:
    with youtube_world(processed_after=2) as world:
        world.settings = world.settings.model_copy(update={"publish_poll_seconds": 0.0})
        yield world


def _posted(world: World, tmp_path: Path) -> PublishResult:
    request = request_for(video_file(tmp_path, 300_000))
    return world.publisher().publish(request, None, world.record, world.usage)


def test_a_video_still_processing_is_handed_back_and_polled_later(
    world: World, tmp_path: Path
) -> None:
    posted = _posted(world, tmp_path)
    usage = UsageLog()

    first = world.publisher().status(posted.remote_id, world.recorded[0], usage)
    second = world.publisher().status(posted.remote_id, world.recorded[0], usage)

    assert posted.status == "processing"  # no waiting allowed: publish_poll_seconds is 0
    assert world.sleeps == []
    assert (first.status, second.status) == ("processing", "published")
    assert second.url == f"https://youtube.com/shorts/{posted.remote_id}"
    assert [(c.operation, c.units) for c in usage.calls] == [("videos.list", 1)] * 2


def test_a_rejected_video_fails_with_youtubes_reason(world: World, tmp_path: Path) -> None:
    posted = _posted(world, tmp_path)
    world.fake.reject(posted.remote_id, "duplicate")

    with pytest.raises(ProviderResponseError) as rejected:
        world.publisher().status(posted.remote_id, None, UsageLog())

    assert "rejected" in str(rejected.value)
    assert "duplicate" in str(rejected.value)
    assert not rejected.value.retryable
    assert "YouTube Studio" in rejected.value.hint


def test_a_video_missing_from_the_channel_is_an_error(world: World) -> None:
    with pytest.raises(ProviderResponseError) as missing:
        world.publisher().status("nosuchvideo", None, UsageLog())

    assert "nosuchvideo" in str(missing.value)


def test_metrics_read_the_counters_youtube_sends_as_strings(world: World, tmp_path: Path) -> None:
    posted = _posted(world, tmp_path)
    video = world.fake.videos[posted.remote_id]
    video.statistics = {"viewCount": 1234, "likeCount": 56, "commentCount": 7}

    reading = world.publisher().metrics(posted.remote_id, "24h", NOW, UsageLog())

    assert (reading.views, reading.likes, reading.comments) == (1234, 56, 7)
    assert reading.checkpoint == "24h"
    assert reading.read_at == NOW


def test_hidden_likes_count_as_zero(world: World, tmp_path: Path) -> None:
    posted = _posted(world, tmp_path)
    video = world.fake.videos[posted.remote_id]
    video.statistics, video.likes_hidden = {"viewCount": 90, "likeCount": 9}, True

    reading = world.publisher().metrics(posted.remote_id, "1h", NOW, UsageLog())

    assert (reading.views, reading.likes, reading.comments) == (90, 0, 0)
