"""Exactly once: a recorded publish_id is asked about, resumed or waited for, never re-opened
(unless its upload URL expired with bytes missing, when it can never post)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fakes.tiktok import STATUS_FETCH, UPLOAD, VIDEO_INIT
from tests.support.fakes.tiktok_harness import KIB, Recorder, TikTokHarness, sha256
from trendreel.errors import ProviderResponseError, ProviderUnavailableError
from trendreel.providers.base import UsageLog

SIZE = 45 * KIB + 123  # four chunks of 10 KiB, the last one 15 KiB + 123 bytes


@pytest.fixture
def tiktok(tmp_path: Path) -> Iterator[TikTokHarness]:
    harness = TikTokHarness.start(tmp_path)
    try:
        yield harness
    finally:
        harness.stop()


def _first_bytes(tiktok: TikTokHarness) -> list[int]:
    return [
        int(p.headers["content-range"].split()[1].split("-")[0]) for p in tiktok.fake.calls(UPLOAD)
    ]


def test_an_interrupted_upload_resumes_from_the_acknowledged_chunk(tiktok: TikTokHarness) -> None:
    request = tiktok.video(SIZE)
    recorder = Recorder()
    tiktok.fake.account.interrupt_after_chunks = 2

    with pytest.raises(ProviderUnavailableError) as caught:
        tiktok.publisher().publish(request, None, recorder, UsageLog())
    assert caught.value.retryable
    assert [p.status for p in tiktok.fake.calls(UPLOAD)] == [206, 206, 0]
    [session] = recorder.sessions

    result = tiktok.publisher().publish(request, session, recorder, UsageLog())

    assert result.status == "published"
    assert _first_bytes(tiktok) == [0, 10 * KIB, 20 * KIB, 20 * KIB, 30 * KIB]
    assert [p.status for p in tiktok.fake.calls(UPLOAD)] == [206, 206, 0, 206, 201]
    assert len(tiktok.fake.calls(VIDEO_INIT)) == 1
    assert recorder.sessions == [session]
    [post] = tiktok.fake.posts
    assert post.sha256 == sha256(request.video_path)


def test_with_a_recorded_session_it_only_asks_and_ends_with_one_post(
    tiktok: TikTokHarness,
) -> None:
    request = tiktok.video(SIZE)
    recorder = Recorder()
    tiktok.fake.account.processing_polls = 1000
    publisher = tiktok.publisher(tiktok.settings(publish_poll_seconds=20))

    first = publisher.publish(request, None, recorder, UsageLog())
    # Still processing after the delivery's 20 s: handed back as processing, not failed.
    [session] = recorder.sessions
    assert (first.status, first.remote_id) == ("processing", session.publish_id)
    assert sum(tiktok.time.slept) == pytest.approx(20.0)
    uploads_before = len(tiktok.fake.calls(UPLOAD))

    tiktok.fake.account.processing_polls = 0
    result = publisher.publish(request, session, recorder, UsageLog())
    again = publisher.publish(request, session, recorder, UsageLog())  # a duplicate delivery

    assert result.status == again.status == "published"
    assert result.remote_id == again.remote_id == tiktok.fake.posts[0].post_id
    assert len(tiktok.fake.calls(VIDEO_INIT)) == 1
    assert len(tiktok.fake.calls(UPLOAD)) == uploads_before == 4
    assert len(tiktok.fake.posts) == 1
    assert recorder.sessions == [session]


def test_an_expired_upload_url_with_bytes_missing_is_replaced_and_posted_once(
    tiktok: TikTokHarness,
) -> None:
    request = tiktok.video(SIZE)
    recorder = Recorder()
    tiktok.fake.account.interrupt_after_chunks = 1
    with pytest.raises(ProviderUnavailableError):
        tiktok.publisher().publish(request, None, recorder, UsageLog())
    tiktok.time.advance(3601)  # the queue came back after the URL's hour
    came_back = tiktok.time.now()

    result = tiktok.publisher().publish(request, recorder.sessions[0], recorder, UsageLog())

    assert result.status == "published"
    first, second = recorder.sessions
    assert first.publish_id != second.publish_id
    assert second.opened_at == came_back
    # The old URL was not tried: the clock said it had expired. The new upload starts at 0.
    assert _first_bytes(tiktok) == [0, 10 * KIB, 0, 10 * KIB, 20 * KIB, 30 * KIB]
    assert len(tiktok.fake.calls(VIDEO_INIT)) == 2
    [post] = tiktok.fake.posts
    assert post.publish_id == second.publish_id
    assert post.sha256 == sha256(request.video_path)


def test_an_upload_url_tiktok_expired_early_is_replaced_after_its_403(
    tiktok: TikTokHarness,
) -> None:
    request = tiktok.video(SIZE)
    recorder = Recorder()
    tiktok.fake.account.upload_url_ttl = 100.0
    tiktok.fake.account.interrupt_after_chunks = 1
    with pytest.raises(ProviderUnavailableError):
        tiktok.publisher().publish(request, None, recorder, UsageLog())
    tiktok.time.advance(200)

    result = tiktok.publisher().publish(request, recorder.sessions[0], recorder, UsageLog())

    assert result.status == "published"
    assert [p.status for p in tiktok.fake.calls(UPLOAD)] == [206, 0, 403, 206, 206, 206, 201]
    assert len(recorder.sessions) == 2
    assert len(tiktok.fake.posts) == 1


def test_a_failed_post_carries_tiktoks_reason_and_the_same_file_is_not_sent_again(
    tiktok: TikTokHarness,
) -> None:
    request = tiktok.video(SIZE)
    recorder = Recorder()
    tiktok.fake.account.fail_reason = "picture_size_check_failed"

    with pytest.raises(ProviderResponseError) as caught:
        tiktok.publisher().publish(request, None, recorder, UsageLog())

    assert "picture_size_check_failed" in str(caught.value)
    assert "360 to 4096 pixels" in caught.value.hint
    assert not caught.value.retryable
    assert tiktok.fake.posts == []
    # Asked again with its session: a reason against the video itself fails the same way at
    # once, without a second upload of the same file.
    with pytest.raises(ProviderResponseError, match="picture_size_check_failed"):
        tiktok.publisher().publish(request, recorder.sessions[0], recorder, UsageLog())
    assert len(tiktok.fake.calls(VIDEO_INIT)) == 1
    assert len(recorder.sessions) == 1


def test_publishing_again_after_a_failure_replaces_the_dead_publish_id(
    tiktok: TikTokHarness,
) -> None:
    request = tiktok.video(SIZE)
    recorder = Recorder()
    tiktok.fake.account.fail_reason = "internal"
    with pytest.raises(ProviderResponseError, match="internal"):
        tiktok.publisher().publish(request, None, recorder, UsageLog())
    tiktok.fake.account.fail_reason = None

    # A person asks again: the publication keeps its recorded (FAILED) session.
    result = tiktok.publisher().publish(request, recorder.sessions[0], recorder, UsageLog())

    assert result.status == "published"
    first, second = recorder.sessions
    assert first.publish_id != second.publish_id
    assert len(tiktok.fake.calls(VIDEO_INIT)) == 2
    [post] = tiktok.fake.posts
    assert post.publish_id == second.publish_id


def test_status_reports_processing_then_published(tiktok: TikTokHarness) -> None:
    request = tiktok.video(SIZE)
    recorder = Recorder()
    tiktok.fake.account.processing_polls = 1000
    publisher = tiktok.publisher(tiktok.settings(publish_poll_seconds=0))
    assert publisher.publish(request, None, recorder, UsageLog()).status == "processing"
    session = recorder.sessions[0]
    assert session.publish_id is not None

    processing = publisher.status(session.publish_id, session, UsageLog())
    tiktok.fake.account.processing_polls = 0
    published = publisher.status(session.publish_id, session, UsageLog())

    assert (processing.status, processing.remote_id) == ("processing", session.publish_id)
    assert published.status == "published"
    assert published.remote_id == tiktok.fake.posts[0].post_id
    assert published.url == f"https://www.tiktok.com/@trendreel.fan/video/{published.remote_id}"
    assert tiktok.fake.calls(STATUS_FETCH)[-1].body == {"publish_id": session.publish_id}
    assert len(tiktok.fake.calls(VIDEO_INIT)) == 1


def test_status_of_a_failed_post_raises_its_reason(tiktok: TikTokHarness) -> None:
    recorder = Recorder()
    tiktok.fake.account.processing_polls = 1000
    tiktok.fake.account.fail_reason = "spam_risk_text"
    publisher = tiktok.publisher(tiktok.settings(publish_poll_seconds=0))
    publisher.publish(tiktok.video(SIZE), None, recorder, UsageLog())
    tiktok.fake.account.processing_polls = 0

    with pytest.raises(ProviderResponseError, match="spam_risk_text") as caught:
        publisher.status("ignored", recorder.sessions[0], UsageLog())

    assert "caption" in caught.value.hint
