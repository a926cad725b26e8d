"""YouTubePublisher posts through the fake YouTube exactly once: chunks, resume, lost answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.fakes.youtube_errors import backend_error
from tests.support.fakes.youtube_harness import (
    CHUNK,
    PNG,
    World,
    open_session_directly,
    request_for,
    video_file,
    youtube_world,
)
from trendreel.errors import ConfigError, ProviderUnavailableError
from trendreel.models.publishing import Privacy, PublishPlatform
from trendreel.providers.publish.base import Publisher
from trendreel.providers.publish.youtube import DEFAULT_CHUNK_SIZE, UNAUDITED_NOTE

SIZE = 2 * CHUNK + 180_000  # three chunks, the last one short


@pytest.fixture
def world() -> Iterator[World]:
    with youtube_world() as world:
        yield world


def test_is_a_publisher_for_youtube(world: World) -> None:
    publisher: Publisher = world.publisher()
    assert publisher.platform is PublishPlatform.YOUTUBE


def test_a_video_goes_up_in_chunks_once_with_its_metadata(world: World, tmp_path: Path) -> None:
    video = video_file(tmp_path, SIZE)
    thumbnail = tmp_path / "cover.png"
    thumbnail.write_bytes(PNG)
    request = request_for(video, thumbnail_path=thumbnail, made_for_kids=False)

    result = world.publisher().publish(request, None, world.record, world.usage)

    assert world.fake.videos_created == 1
    [posted] = world.fake.videos.values()
    assert result.remote_id == posted.id
    assert result.url == f"https://youtube.com/shorts/{posted.id}"
    assert result.status == "published"  # processed on the second poll, within the wait
    assert world.sleeps == [10.0, 10.0]
    assert posted.content == video.read_bytes()
    assert [put.first_byte for put in world.fake.chunk_puts()] == [0, CHUNK, 2 * CHUNK]
    assert posted.snippet["title"] == "Five facts about octopuses"
    assert posted.snippet["tags"] == ["octopus", "ocean facts", "shorts"]
    assert posted.snippet["categoryId"] == "22"
    assert posted.status["privacyStatus"] == "unlisted"
    assert posted.status["selfDeclaredMadeForKids"] is False
    assert posted.status["containsSyntheticMedia"] is True
    assert posted.thumbnail == PNG
    assert world.puts_when_recorded == [0]  # recorded before the first byte went up
    assert world.recorded[0].upload_url.startswith(world.fake.upload_base)
    assert world.operations() == ["videos.insert", "thumbnails.set", "videos.list", "videos.list"]
    assert [c.units for c in world.usage.calls[:2]] == [1, 50]


def test_an_interrupted_chunk_resumes_from_the_acknowledged_byte(
    world: World, tmp_path: Path
) -> None:
    video = video_file(tmp_path, SIZE)
    world.fake.interrupt_after(CHUNK + 40_000)  # the connection drops inside the second chunk

    result = world.publisher().publish(request_for(video), None, world.record, world.usage)

    starts = [put.first_byte for put in world.fake.chunk_puts()]
    # The second PUT was cut after 40,000 of its bytes; the next one starts exactly there.
    assert starts == [0, CHUNK, CHUNK + 40_000, 2 * CHUNK + 40_000]
    assert world.fake.chunk_puts()[1].size == 40_000
    assert any(r.content_range == f"bytes */{SIZE}" for r in world.fake.requests)
    assert world.fake.stored_file(result.remote_id) == video.read_bytes()
    assert world.fake.videos_created == 1
    assert len(world.recorded) == 1


def test_a_lost_completion_answer_is_recovered_by_asking(world: World, tmp_path: Path) -> None:
    video = video_file(tmp_path, SIZE)
    world.fake.lose_completion()

    result = world.publisher().publish(request_for(video), None, world.record, world.usage)

    assert world.fake.videos_created == 1
    assert result.remote_id in world.fake.videos
    assert len(world.fake.chunk_puts()) == 3  # the last chunk was not sent again


def test_killed_after_the_upload_finished_the_retry_uploads_nothing(
    world: World, tmp_path: Path
) -> None:
    video = video_file(tmp_path, SIZE)
    world.fake.lose_completion(then=10)  # neither the 201 nor any status query gets through

    with pytest.raises(ProviderUnavailableError) as failed:
        world.publisher().publish(request_for(video), None, world.record, world.usage)
    assert failed.value.retryable
    [session] = world.recorded
    assert session.upload_url.split("upload_id=")[1].split("&")[0] not in str(failed.value)
    assert world.fake.videos_created == 1  # it did finish on YouTube
    world.fake.lose_answers(0)
    puts_before, posts_before = len(world.fake.chunk_puts()), _opened(world)

    result = world.publisher().publish(request_for(video), session, world.record, world.usage)

    [posted] = world.fake.videos.values()
    assert result.remote_id == posted.id
    assert len(world.fake.chunk_puts()) == puts_before
    assert _opened(world) == posts_before
    assert world.recorded == [session]
    assert world.fake.videos_created == 1


def test_a_recorded_session_resumes_where_an_earlier_process_stopped(
    world: World, tmp_path: Path
) -> None:
    video = video_file(tmp_path, SIZE)
    session = open_session_directly(world, video, send=CHUNK)

    result = world.publisher().publish(request_for(video), session, world.record, world.usage)

    assert [p.first_byte for p in world.fake.chunk_puts()] == [0, CHUNK, 2 * CHUNK]
    assert world.recorded == []  # no second session
    assert world.fake.stored_file(result.remote_id) == video.read_bytes()
    assert world.fake.videos_created == 1


def test_a_recorded_session_without_bytes_uploads_from_the_start(
    world: World, tmp_path: Path
) -> None:
    video = video_file(tmp_path, SIZE)
    session = open_session_directly(world, video)

    result = world.publisher().publish(request_for(video), session, world.record, world.usage)

    assert [p.first_byte for p in world.fake.chunk_puts()] == [0, CHUNK, 2 * CHUNK]
    assert world.recorded == []
    assert world.fake.stored_file(result.remote_id) == video.read_bytes()


def test_an_expired_session_is_replaced_by_a_new_recorded_one(world: World, tmp_path: Path) -> None:
    video = video_file(tmp_path, SIZE)
    stale = open_session_directly(world, video, send=CHUNK)
    world.fake.expire_sessions()

    result = world.publisher().publish(request_for(video), stale, world.record, world.usage)

    [fresh] = world.recorded
    assert fresh.upload_url != stale.upload_url
    assert world.puts_when_recorded == [1]  # only the dead session's chunk came before
    assert world.fake.videos_created == 1
    assert world.fake.stored_file(result.remote_id) == video.read_bytes()


def test_a_transient_thumbnail_failure_is_retried_without_uploading_again(
    world: World, tmp_path: Path
) -> None:
    video = video_file(tmp_path, SIZE)
    (tmp_path / "cover.png").write_bytes(PNG)
    request = request_for(video, thumbnail_path=tmp_path / "cover.png")
    world.fake.fail_next("thumbnails.set", backend_error(), backend_error(), backend_error())

    with pytest.raises(ProviderUnavailableError):
        world.publisher().publish(request, None, world.record, world.usage)
    puts = len(world.fake.chunk_puts())
    result = world.publisher().publish(request, world.recorded[0], world.record, world.usage)

    assert world.fake.videos_created == 1
    assert len(world.fake.chunk_puts()) == puts
    assert world.fake.videos[result.remote_id].thumbnail == PNG


def test_a_channel_without_custom_thumbnails_still_publishes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "cover.png").write_bytes(PNG)
    video = video_file(tmp_path, SIZE)
    with youtube_world(channel_verified=False) as world:
        request = request_for(video, thumbnail_path=tmp_path / "cover.png")
        result = world.publisher().publish(request, None, world.record, world.usage)

        assert result.status == "published"
        assert world.fake.videos[result.remote_id].thumbnail is None
        assert "thumbnails.set" not in world.operations()
    assert "https://www.youtube.com/verify" in caplog.text


def test_an_unaudited_project_gets_a_private_video_and_says_so(tmp_path: Path) -> None:
    video = video_file(tmp_path, SIZE)
    with youtube_world(audited=False) as world:
        request = request_for(video, privacy=Privacy.PUBLIC)
        result = world.publisher().publish(request, None, world.record, world.usage)

        assert world.fake.videos[result.remote_id].status["privacyStatus"] == "private"
    assert result.privacy_note == UNAUDITED_NOTE


def test_a_scheduled_video_is_private_until_its_publish_time(world: World, tmp_path: Path) -> None:
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    request = request_for(video_file(tmp_path, SIZE), privacy=Privacy.PUBLIC, publish_at=when)

    result = world.publisher().publish(request, None, world.record, world.usage)

    status = world.fake.videos[result.remote_id].status
    assert status["privacyStatus"] == "private"
    assert status["publishAt"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert result.privacy_note is not None
    assert "private until" in result.privacy_note


def test_scheduling_a_video_that_should_stay_private_is_refused(
    world: World, tmp_path: Path
) -> None:
    when = datetime.now(UTC) + timedelta(days=2)
    request = request_for(video_file(tmp_path, SIZE), privacy=Privacy.PRIVATE, publish_at=when)

    with pytest.raises(ConfigError) as refused:
        world.publisher().publish(request, None, world.record, world.usage)

    assert refused.value.field == "publish_at"
    assert world.fake.sessions == {}
    assert world.recorded == []


def test_a_title_too_long_for_youtube_is_cut_to_fit(world: World, tmp_path: Path) -> None:
    title = "Why <octopuses> " + "really " * 30 + "have three hearts"
    tags = [f"tag number {i}" for i in range(60)]
    request = request_for(video_file(tmp_path, SIZE), title=title, tags=tags)

    result = world.publisher().publish(request, None, world.record, world.usage)

    snippet = world.fake.videos[result.remote_id].snippet
    assert len(snippet["title"]) <= 100
    assert snippet["title"].startswith("Why octopuses really")
    assert 0 < len(snippet["tags"]) < 60  # as many as the 500-character budget holds


def _opened(world: World) -> int:
    return sum(1 for r in world.fake.requests if r.method == "POST" and r.path.endswith("/videos"))


def test_the_default_chunk_size_takes_a_video_of_several_chunks(
    world: World, tmp_path: Path
) -> None:
    """The chunk size users get (8 MiB), not the tests' small one, on a 17 MiB video."""
    video = video_file(tmp_path, 2 * DEFAULT_CHUNK_SIZE + 180_000)
    publisher = world.publisher(chunk_size=DEFAULT_CHUNK_SIZE)

    result = publisher.publish(request_for(video), None, world.record, world.usage)

    assert world.fake.videos_created == 1
    [posted] = world.fake.videos.values()
    assert result.remote_id == posted.id
    assert posted.content == video.read_bytes()
    starts = [put.first_byte for put in world.fake.chunk_puts()]
    assert starts == [0, DEFAULT_CHUNK_SIZE, 2 * DEFAULT_CHUNK_SIZE]
