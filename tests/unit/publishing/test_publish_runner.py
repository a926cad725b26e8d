"""The publish function's delivery protocol on a real SQLite job store: one upload per
publication whatever the deliveries do, failures recorded with their platform and cause, and
nothing published without approval."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.unit.api.fakes import FakeTaskQueue, finished_job
from tests.unit.publishing.conftest import JOB, YT, ask, deliver
from tests.unit.publishing.fakes import FakePublisher, quota
from trendreel import services
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.adapters.sqlite_jobs import SqliteJobStore
from trendreel.bootstrap import Runtime
from trendreel.errors import InvalidStateError, ProviderUnavailableError
from trendreel.models import ReviewStatus
from trendreel.models.publishing import Privacy, PublicationStatus, PublishTask
from trendreel.settings import Settings


def test_an_approved_video_is_uploaded_once_and_recorded(
    rt: Runtime, publisher: FakePublisher
) -> None:
    task = ask(rt)
    assert deliver(rt, task) == 200
    assert deliver(rt, task) == 200  # Cloud Tasks delivered it twice

    pub = rt.store.get(JOB).publications[YT]  # type: ignore[union-attr]
    assert (pub.status, pub.remote_id, publisher.uploads) == (
        PublicationStatus.PUBLISHED,
        "vid-1",
        1,
    )
    assert pub.session is not None
    assert pub.published_at is not None
    assert pub.metrics_due_at is not None


def test_two_concurrent_deliveries_make_one_upload(rt: Runtime, publisher: FakePublisher) -> None:
    task = ask(rt)
    publisher.hold = threading.Event()
    first = threading.Thread(target=deliver, args=(rt, task))
    first.start()
    assert publisher.entered.wait(10)
    assert deliver(rt, task) == 200  # meets the live lease: deferred, no upload
    publisher.hold.set()
    first.join(10)

    assert publisher.uploads == 1
    queue = rt.queue
    assert isinstance(queue, FakeTaskQueue)
    assert any(isinstance(t, PublishTask) and t.defer == 1 for t in queue.tasks.values())


def test_a_crash_after_the_upload_finished_uploads_nothing_on_retry(
    rt: Runtime, publisher: FakePublisher
) -> None:
    task = ask(rt)
    publisher.crash_after_upload = True
    assert deliver(rt, task) == 503  # retryable: the queue comes back
    assert rt.store.get(JOB).publications[YT].status == PublicationStatus.UPLOADING  # type: ignore[union-attr]
    assert deliver(rt, task, retry_count=1) == 200

    assert publisher.uploads == 1
    assert publisher.seen[-1] is not None  # the retry asked the recorded session
    assert rt.store.get(JOB).publications[YT].status == PublicationStatus.PUBLISHED  # type: ignore[union-attr]


def test_a_quota_error_fails_the_publication_naming_platform_and_quota(
    rt: Runtime, publisher: FakePublisher
) -> None:
    task = ask(rt)
    publisher.fail_with.append(quota())
    assert deliver(rt, task) == 200  # not retryable: the queue stops

    pub = rt.store.get(JOB).publications[YT]  # type: ignore[union-attr]
    assert pub.status == PublicationStatus.FAILED
    assert pub.error is not None
    assert pub.error.code == "quota_exceeded"
    assert pub.error.platform == YT
    assert pub.error.message.startswith("youtube:")
    assert "daily" in pub.error.message
    assert pub.error.hint


def test_the_last_attempt_records_a_transient_failure(
    rt: Runtime, publisher: FakePublisher
) -> None:
    task = ask(rt)
    publisher.fail_with.append(ProviderUnavailableError("youtube", "HTTP 503"))
    last = rt.settings.task_max_attempts - 1
    assert deliver(rt, task, retry_count=last) == 200
    assert rt.store.get(JOB).publications[YT].status == PublicationStatus.FAILED  # type: ignore[union-attr]


def test_asking_again_after_a_failure_resumes_the_same_session(
    rt: Runtime, publisher: FakePublisher
) -> None:
    task = ask(rt)
    publisher.crash_after_upload = True
    deliver(rt, task, retry_count=rt.settings.task_max_attempts - 1)  # failed for good
    again = ask(rt)
    assert again.generation == 2
    deliver(rt, again)
    assert publisher.uploads == 1  # the new generation kept the session: no second upload
    assert rt.store.get(JOB).publications[YT].status == PublicationStatus.PUBLISHED  # type: ignore[union-attr]


def test_processing_is_asked_again_later_not_uploaded_again(
    rt: Runtime, publisher: FakePublisher
) -> None:
    publisher.processing_polls = 1
    task = ask(rt)
    deliver(rt, task)
    assert rt.store.get(JOB).publications[YT].status == PublicationStatus.PROCESSING  # type: ignore[union-attr]
    queue = rt.queue
    assert isinstance(queue, FakeTaskQueue)
    follow = [t for t in queue.tasks.values() if isinstance(t, PublishTask) and t.defer == 1]
    deliver(rt, follow[0])
    assert publisher.uploads == 1
    pub = rt.store.get(JOB).publications[YT]  # type: ignore[union-attr]
    assert pub.status == PublicationStatus.PUBLISHED
    assert pub.url == "https://v.example/vid-1"


@pytest.mark.parametrize("review", [ReviewStatus.GENERATED, ReviewStatus.REJECTED])
def test_nothing_is_published_without_approval(tmp_path: Path, review: ReviewStatus) -> None:
    rt = Runtime(
        settings=Settings(home=tmp_path),
        store=SqliteJobStore(tmp_path / "jobs.sqlite3"),
        queue=FakeTaskQueue(),
        blobs=LocalBlobStore(tmp_path / "blobs"),
    )
    rt.store.create(finished_job(JOB, review))
    with pytest.raises(InvalidStateError) as raised:
        services.publish_video(rt, JOB, services.PublishAsk([YT], Privacy.PUBLIC))
    assert raised.value.code == "video_not_approved"
    assert rt.store.get(JOB).publications == {}  # type: ignore[union-attr]
    queue = rt.queue
    assert isinstance(queue, FakeTaskQueue)
    assert queue.tasks == {}
