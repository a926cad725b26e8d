"""TikTokPublisher posts a video through the fake TikTok: chunks, privacy, label, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fakes.tiktok import CREATOR_INFO, UPLOAD, VIDEO_INIT, VIDEO_QUERY
from tests.support.fakes.tiktok_harness import KIB, Recorder, TikTokHarness, sha256
from tests.support.fakes.tiktok_rules import ChunkLimits
from trendreel.errors import ProviderResponseError
from trendreel.models.publishing import Privacy, PublishPlatform
from trendreel.providers.base import UsageLog
from trendreel.providers.publish.base import Publisher
from trendreel.providers.publish.tiktok_chunks import DEFAULT_CHUNK_SIZE, MIB, TIKTOK_CHUNK_RULES


@pytest.fixture
def tiktok(tmp_path: Path) -> Iterator[TikTokHarness]:
    harness = TikTokHarness.start(tmp_path)
    try:
        yield harness
    finally:
        harness.stop()


def test_is_a_publisher_for_tiktok(tiktok: TikTokHarness) -> None:
    publisher: Publisher = tiktok.publisher()
    assert publisher.platform is PublishPlatform.TIKTOK


def test_a_multi_chunk_video_is_posted_once_labelled_ai_and_public(tiktok: TikTokHarness) -> None:
    request = tiktok.video(45 * KIB + 123)
    bytes_up_when_recorded: list[int] = []
    recorder = Recorder()

    def record(session: object) -> None:
        bytes_up_when_recorded.append(len(tiktok.fake.calls(UPLOAD)))
        recorder(session)  # type: ignore[arg-type]

    usage = UsageLog()
    started = tiktok.time.now()
    result = tiktok.publisher().publish(request, None, record, usage)

    [post] = tiktok.fake.posts
    assert result.status == "published"
    assert result.remote_id == post.post_id
    assert result.url == f"https://www.tiktok.com/@trendreel.fan/video/{post.post_id}"
    assert result.privacy_note is None
    assert post.sha256 == sha256(request.video_path)
    assert post.post_info["is_aigc"] is True
    assert post.post_info["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert post.post_info["title"].startswith("Solar kites light up the beach\n\n")
    assert post.post_info["title"].endswith("#solarkite #beach")
    [init] = tiktok.fake.calls(VIDEO_INIT)
    assert init.body["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": 45 * KIB + 123,
        "chunk_size": 10 * KIB,
        "total_chunk_count": 4,
    }
    puts = tiktok.fake.calls(UPLOAD)
    assert [p.headers["content-range"] for p in puts] == [
        f"bytes 0-{10 * KIB - 1}/{45 * KIB + 123}",
        f"bytes {10 * KIB}-{20 * KIB - 1}/{45 * KIB + 123}",
        f"bytes {20 * KIB}-{30 * KIB - 1}/{45 * KIB + 123}",
        f"bytes {30 * KIB}-{45 * KIB + 122}/{45 * KIB + 123}",
    ]
    assert [p.status for p in puts] == [206, 206, 206, 201]
    assert all(p.headers["content-type"] == "video/mp4" for p in puts)
    assert "authorization" not in puts[0].headers  # the upload URL carries its own token
    # The session was saved before the first byte went up, and only once.
    assert bytes_up_when_recorded == [0]
    [session] = recorder.sessions
    assert session.kind == "tiktok_direct_post"
    assert session.publish_id == init_publish_id(tiktok)
    assert (session.size, session.chunk_size) == (45 * KIB + 123, 10 * KIB)
    assert session.opened_at == started
    assert tiktok.time.slept == [5.0]  # one poll while TikTok processed it
    assert {c.operation for c in usage.calls} >= {"creator_info", "video_init", "upload_chunk"}


def init_publish_id(tiktok: TikTokHarness) -> str:
    [upload] = tiktok.fake.account.uploads.values()
    return upload.publish_id


def test_a_video_under_the_minimum_chunk_goes_up_whole(tiktok: TikTokHarness) -> None:
    request = tiktok.video(4 * KIB)

    result = tiktok.publisher().publish(request, None, Recorder(), UsageLog())

    assert result.status == "published"
    [init] = tiktok.fake.calls(VIDEO_INIT)
    assert init.body["source_info"]["chunk_size"] == 4 * KIB
    assert init.body["source_info"]["total_chunk_count"] == 1
    assert [(p.size, p.status) for p in tiktok.fake.calls(UPLOAD)] == [(4 * KIB, 201)]


def test_documented_sizes_two_chunks_of_5_mib_with_the_tail_in_the_last(
    tiktok: TikTokHarness,
) -> None:
    tiktok.fake.account.limits = ChunkLimits()  # TikTok's own 5 MB / 64 MB / 128 MB
    request = tiktok.video(10 * MIB + 123)
    publisher = tiktok.publisher(chunk_size=5 * MIB, chunk_rules=TIKTOK_CHUNK_RULES)

    result = publisher.publish(request, None, Recorder(), UsageLog())

    assert result.status == "published"
    assert [p.size for p in tiktok.fake.calls(UPLOAD)] == [5 * MIB, 5 * MIB + 123]
    assert tiktok.fake.posts[0].sha256 == sha256(request.video_path)


def test_the_default_chunk_size_under_the_documented_rules(tiktok: TikTokHarness) -> None:
    """The chunk size users get (10 MiB), not the tests' small one: the tail joins the last."""
    tiktok.fake.account.limits = ChunkLimits()  # TikTok's own 5 MB / 64 MB / 128 MB
    request = tiktok.video(2 * DEFAULT_CHUNK_SIZE + 123)
    publisher = tiktok.publisher(chunk_size=DEFAULT_CHUNK_SIZE, chunk_rules=TIKTOK_CHUNK_RULES)

    result = publisher.publish(request, None, Recorder(), UsageLog())

    assert result.status == "published"
    sizes = [p.size for p in tiktok.fake.calls(UPLOAD)]
    assert sizes == [DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_SIZE + 123]
    assert tiktok.fake.posts[0].sha256 == sha256(request.video_path)


def test_a_private_account_gets_the_most_private_option_and_a_note(
    tiktok: TikTokHarness,
) -> None:
    creator = tiktok.fake.account.creator
    creator.private_account = True
    creator.comment_disabled = True
    request = tiktok.video(12 * KIB, privacy=Privacy.PUBLIC)

    result = tiktok.publisher().publish(request, None, Recorder(), UsageLog())

    [post] = tiktok.fake.posts
    assert post.post_info["privacy_level"] == "SELF_ONLY"
    # What the creator turned off stays off; a private account has no duets or stitches.
    assert post.post_info["disable_comment"] is True
    assert post.post_info["disable_duet"] is True
    assert post.post_info["disable_stitch"] is True
    assert result.privacy_note is not None
    assert "PUBLIC_TO_EVERYONE" in result.privacy_note
    assert "SELF_ONLY" in result.privacy_note
    # No public post id for a private post: the publish id stands in, and there is no URL.
    assert result.remote_id == post.publish_id
    assert result.url is None


def test_unlisted_is_posted_for_mutual_friends_with_a_note(tiktok: TikTokHarness) -> None:
    request = tiktok.video(12 * KIB, privacy=Privacy.UNLISTED)

    result = tiktok.publisher().publish(request, None, Recorder(), UsageLog())

    assert tiktok.fake.posts[0].post_info["privacy_level"] == "MUTUAL_FOLLOW_FRIENDS"
    assert result.privacy_note is not None
    assert "unlisted" in result.privacy_note


def test_a_video_longer_than_the_creator_may_post_is_refused_before_init(
    tiktok: TikTokHarness,
) -> None:
    tiktok.fake.account.creator.max_video_post_duration_sec = 60
    request = tiktok.video(12 * KIB, duration_seconds=61.5)
    recorder = Recorder()

    with pytest.raises(ProviderResponseError) as caught:
        tiktok.publisher().publish(request, None, recorder, UsageLog())

    assert "tiktok" in str(caught.value)
    assert "at most 60 s" in str(caught.value)
    assert "61.5 s" in str(caught.value)
    assert "60 s" in caught.value.hint
    assert not caught.value.retryable
    assert len(tiktok.fake.calls(CREATOR_INFO)) == 1
    assert tiktok.fake.calls(VIDEO_INIT) == []
    assert recorder.sessions == []


def test_a_caption_over_2200_utf16_units_is_cut_without_splitting_an_emoji(
    tiktok: TikTokHarness,
) -> None:
    request = tiktok.video(6 * KIB, title="🚀" * 1000, description="x" * 500)

    tiktok.publisher().publish(request, None, Recorder(), UsageLog())

    title = tiktok.fake.posts[0].post_info["title"]
    assert len(title.encode("utf-16-le")) // 2 <= 2200
    assert title == "🚀" * 1000 + "\n\n" + "x" * 198


def test_metrics_read_views_likes_and_comments(tiktok: TikTokHarness) -> None:
    result = tiktok.publisher().publish(tiktok.video(6 * KIB), None, Recorder(), UsageLog())
    post = tiktok.fake.posts[0]
    post.views, post.likes, post.comments = 1200, 87, 9

    reading = tiktok.publisher().metrics(result.remote_id, "24h", tiktok.time.now(), UsageLog())

    assert (reading.views, reading.likes, reading.comments) == (1200, 87, 9)
    assert reading.checkpoint == "24h"
    assert reading.read_at == tiktok.time.now()
    [query] = tiktok.fake.calls(VIDEO_QUERY)
    assert query.status == 200
    assert query.body == {"filters": {"video_ids": [post.post_id]}}


def test_metrics_of_a_post_recorded_by_its_publish_id_use_its_public_id(
    tiktok: TikTokHarness,
) -> None:
    tiktok.fake.account.processing_polls = 1000
    publisher = tiktok.publisher(tiktok.settings(publish_poll_seconds=0))
    processing = publisher.publish(tiktok.video(6 * KIB), None, Recorder(), UsageLog())
    tiktok.fake.account.processing_polls = 0
    post = tiktok.fake.posts[0]
    post.views = 31

    reading = publisher.metrics(processing.remote_id, "1h", tiktok.time.now(), UsageLog())

    assert processing.remote_id == post.publish_id
    assert reading.views == 31
    assert tiktok.fake.calls(VIDEO_QUERY)[0].body == {"filters": {"video_ids": [post.post_id]}}


def test_metrics_of_a_private_post_say_why_there_are_none(tiktok: TikTokHarness) -> None:
    request = tiktok.video(6 * KIB, privacy=Privacy.PRIVATE)
    result = tiktok.publisher().publish(request, None, Recorder(), UsageLog())

    with pytest.raises(ProviderResponseError) as caught:
        tiktok.publisher().metrics(result.remote_id, "1h", tiktok.time.now(), UsageLog())

    assert "no public post id" in str(caught.value)
    assert "private post" in caught.value.hint
    assert tiktok.fake.calls(VIDEO_QUERY) == []


def test_metrics_of_a_video_the_account_does_not_have(tiktok: TikTokHarness) -> None:
    with pytest.raises(ProviderResponseError, match="not among the connected account's videos"):
        tiktok.publisher().metrics("7400000000000000999", "7d", tiktok.time.now(), UsageLog())
