"""Emitting events: one stored event per deterministic id, one queued task per endpoint that
wants it, whatever the number of emissions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.webhooks.support import NOW, Clock, finished_job
from trendreel.adapters.local_queue import LocalTaskQueue
from trendreel.adapters.sqlite_webhooks import SqliteWebhookStore
from trendreel.models.publishing import (
    Publication,
    PublicationError,
    PublicationStatus,
    PublishPlatform,
)
from trendreel.models.webhooks import WebhookTask
from trendreel.settings import Settings
from trendreel.tasks import task_name
from trendreel.webhooks.events import emit, job_data, job_event, notify
from trendreel.webhooks.models import Endpoint, EventType, config_endpoint, event_id, new_secret


@pytest.fixture
def queue(settings: Settings) -> Iterator[LocalTaskQueue]:
    with LocalTaskQueue(settings.home / "queue.sqlite3", settings=settings, auth_token=None) as q:
        yield q


def register(store: SqliteWebhookStore, endpoint_id: str, *events: EventType) -> Endpoint:
    return store.put_endpoint(
        Endpoint(
            id=endpoint_id,
            url=f"https://hooks.example.com/{endpoint_id}",
            events=list(events) or ["job.completed", "job.failed"],
            created_at=NOW,
            secret=new_secret(),
        )
    )


def queued(queue: LocalTaskQueue, event: str, *endpoint_ids: str) -> bool:
    """Whether the queue holds exactly one task per endpoint for ``event``, and nothing else."""
    names = [task_name(WebhookTask(event_id=event, endpoint_id=e)) for e in endpoint_ids]
    records = [queue.task(name) for name in names]
    return queue.counts()["queued"] == len(names) and all(
        r is not None and r.payload == {"event_id": event, "endpoint_id": e, "defer": 0}
        for r, e in zip(records, endpoint_ids, strict=True)
    )


def test_the_same_event_emitted_twice_is_one_event_and_one_task_per_endpoint(
    store: SqliteWebhookStore, queue: LocalTaskQueue, clock: Clock
) -> None:
    register(store, "wh_first_endpoint")
    register(store, "wh_second_endpoint")
    job = finished_job()
    identity, data = job_event(job, "job.completed")

    emitted_at = clock()
    first = emit(store, queue, clock, "job.completed", identity, data)
    clock.advance(90)  # a redelivered stage task emits it again, later
    second = emit(store, queue, clock, "job.completed", identity, data)

    assert (first, second) == (2, 2)
    assert queued(queue, identity, "wh_first_endpoint", "wh_second_endpoint")
    stored = store.get_event(identity)
    assert stored is not None
    assert stored.created_at == emitted_at  # the first emission's, kept


def test_only_endpoints_subscribed_to_the_type_get_it(
    store: SqliteWebhookStore, queue: LocalTaskQueue, clock: Clock
) -> None:
    register(store, "wh_completions", "job.completed")
    register(store, "wh_publications", "video.published", "publication.failed")
    register(store, "wh_deleted", "job.failed")
    store.delete_endpoint("wh_deleted")
    job = finished_job(failed=True)

    identity, data = job_event(job, "job.failed")

    assert emit(store, queue, clock, "job.failed", identity, data) == 0
    assert queued(queue, identity)
    assert store.get_event(identity) is not None  # kept all the same


def test_a_theme_config_url_gets_its_jobs_events_under_a_deterministic_endpoint(
    store: SqliteWebhookStore, queue: LocalTaskQueue, clock: Clock
) -> None:
    register(store, "wh_everything")
    url = "https://theme.example.com/hook"
    job = finished_job()

    assert notify(store, queue, clock, job, "job.completed", webhook_url=url) == 2
    assert notify(store, queue, clock, job, "job.completed", webhook_url=url) == 2

    derived = config_endpoint(url, NOW)
    assert queued(queue, job_event(job, "job.completed")[0], "wh_everything", derived.id)
    stored = store.get_endpoint(derived.id)
    assert stored is not None
    assert stored.kind == "theme_config"
    assert stored.secret is None
    assert [e.id for e in store.list_endpoints()] == ["wh_everything"]  # not a subscriber
    # Another job's events do not go to this job's config URL.
    other = finished_job("job-webhook-0002")
    assert notify(store, queue, clock, other, "job.completed") == 1


def test_event_ids_are_deterministic_and_fit_a_task() -> None:
    a = event_id("job-1", "job.failed", 1)

    assert a == event_id("job-1", "job.failed", 1)
    assert len({a, event_id("job-1", "job.failed", 2), event_id("job-2", "job.failed", 1)}) == 3
    assert event_id("j", "video.published", 1, "youtube") != event_id(
        "j", "video.published", 1, "tiktok"
    )
    WebhookTask(event_id=a, endpoint_id=config_endpoint("https://x.example/h", NOW).id)


def test_a_failed_jobs_event_names_stage_and_code_but_no_server_path() -> None:
    data = job_data(finished_job(failed=True))

    assert data.status == "failed"
    assert data.stage == "composition"
    assert data.error is not None
    assert data.error.code == "media_error"
    assert data.error.stage == "composition"
    assert data.error.retryable is False
    assert "/home/someone" not in data.model_dump_json()
    assert "audio.wav" in data.error.message
    assert data.video_id is None


def test_a_publication_event_carries_the_post_and_belongs_to_its_request() -> None:
    job = finished_job()
    published = Publication(
        platform=PublishPlatform.YOUTUBE,
        status=PublicationStatus.PUBLISHED,
        generation=2,
        requested_at=NOW,
        updated_at=NOW,
        remote_id="dQw4w9WgXcQ",
        url="https://www.youtube.com/shorts/dQw4w9WgXcQ",
    )
    failed = Publication(
        platform=PublishPlatform.TIKTOK,
        status=PublicationStatus.FAILED,
        requested_at=NOW,
        updated_at=NOW,
        error=PublicationError(
            platform=PublishPlatform.TIKTOK,
            code="spam_risk_too_many_posts",
            message="tiktok: the account posted too often today",
            hint="Post again tomorrow.",
            retryable=False,
        ),
    )
    job = job.model_copy(update={"publications": {p.platform: p for p in (published, failed)}})

    yt_id, yt = job_event(job, "video.published", PublishPlatform.YOUTUBE)
    tt_id, tt = job_event(job, "publication.failed", PublishPlatform.TIKTOK)

    assert yt_id == event_id(job.id, "video.published", 2, "youtube")
    assert yt.publication is not None
    assert yt.publication.url == published.url
    assert yt.video_id == job.id
    assert tt_id == event_id(job.id, "publication.failed", 1, "tiktok")
    assert tt.publication is not None
    assert tt.publication.error is not None
    assert tt.publication.error.code == "spam_risk_too_many_posts"
    with pytest.raises(ValueError, match="needs a platform"):
        job_event(finished_job(), "video.published", PublishPlatform.YOUTUBE)
