"""At least once, acted on once: the real local queue (Cloud Tasks' retry and backoff rules)
delivers WebhookTasks over HTTP to the webhooks function, served from its main.py on 127.0.0.1,
which POSTs signed events to a receiver that verifies every one and de-duplicates by id."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.fakes.webhook_receiver import WebhookReceiver
from tests.unit.webhooks.support import NOW, TOKEN, Clock, HostedFunction, finished_job
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.adapters.local_queue import LocalTaskQueue
from trendreel.adapters.sqlite_jobs import SqliteJobStore
from trendreel.adapters.sqlite_webhooks import SqliteWebhookStore
from trendreel.bootstrap import Runtime
from trendreel.clock import utc_now
from trendreel.models.webhooks import WebhookTask
from trendreel.settings import Settings
from trendreel.tasks import task_name
from trendreel.webhooks.events import job_event, notify
from trendreel.webhooks.models import Endpoint, EventType, new_secret


@dataclass
class Stack:
    settings: Settings
    queue: LocalTaskQueue
    store: SqliteWebhookStore
    receiver: WebhookReceiver
    queue_clock: Clock


@contextmanager
def stack(
    tmp_path: Path,
    receiver: WebhookReceiver,
    *,
    real_time: bool = False,
    **overrides: Any,
) -> Iterator[Stack]:
    """The function on a free port, a queue that delivers to it, an endpoint for the receiver.
    The queue runs on ``queue_clock`` (moved by the test past each backoff) unless
    ``real_time``."""
    with HostedFunction() as hosted:
        settings = Settings(
            home=tmp_path / "home",
            api_token=TOKEN,
            function_urls={"webhooks": hosted.url},
            **overrides,
        )
        queue_clock = Clock()
        queue = LocalTaskQueue(
            settings.home / "queue.sqlite3",
            settings=settings,
            auth_token=TOKEN.get_secret_value(),
            clock=utc_now if real_time else queue_clock,
        )
        # The function signs with real time: the receiver checks signatures against it.
        rt = Runtime(
            settings=settings,
            store=SqliteJobStore(tmp_path / "jobs.sqlite3"),
            queue=queue,
            blobs=LocalBlobStore(tmp_path / "blobs"),
        )
        hosted.serve(rt)
        store = SqliteWebhookStore(settings.home / "webhooks.sqlite3")
        endpoint = store.put_endpoint(
            Endpoint(id="wh_receiver_0001", url=receiver.url, created_at=NOW, secret=new_secret())
        )
        assert endpoint.secret is not None
        receiver.secret = endpoint.secret.get_secret_value()
        try:
            yield Stack(settings, queue, store, receiver, queue_clock)
        finally:
            queue.close()


@pytest.fixture
def fast(tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Stack]:
    with stack(tmp_path, receiver) as running:
        yield running


def test_a_receiver_failing_its_first_three_deliveries_still_gets_the_event_once(
    fast: Stack,
) -> None:
    fast.receiver.fail_first = 3
    job = finished_job()
    notify(fast.store, fast.queue, utc_now, job, "job.completed")
    notify(fast.store, fast.queue, utc_now, job, "job.completed")  # emitted twice: one task
    identity = job_event(job, "job.completed")[0]

    dispatched = []
    for _ in range(6):  # the queue's clock jumps past each backoff instead of waiting it out
        dispatched.append(fast.queue.dispatch_once())
        fast.queue_clock.advance(300)

    assert dispatched == [1, 1, 1, 1, 0, 0]
    assert fast.receiver.rejected == 0
    assert fast.receiver.failed == 3
    assert fast.receiver.attempts == {identity: 4}
    assert list(fast.receiver.acted) == [identity]
    assert fast.receiver.duplicates == 0
    task = fast.queue.task(
        task_name(WebhookTask(event_id=identity, endpoint_id="wh_receiver_0001"))
    )
    assert task is not None
    assert (task.state, task.attempts) == ("done", 4)
    record = fast.store.get_delivery(identity, "wh_receiver_0001")
    assert record is not None
    assert (record.status, record.attempts) == ("delivered", 4)


def test_a_delivery_whose_answer_came_too_late_is_sent_again_and_acted_on_once(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    receiver.slow_first = 2.0  # acts, then answers after trendreel stopped waiting
    with stack(tmp_path, receiver, http_timeout_seconds=0.5) as s:
        job = finished_job(failed=True)
        notify(s.store, s.queue, utc_now, job, "job.failed")
        identity = job_event(job, "job.failed")[0]

        s.queue.dispatch_once()
        s.queue_clock.advance(300)
        s.queue.dispatch_once()

        assert s.receiver.attempts == {identity: 2}
        assert list(s.receiver.acted) == [identity]
        assert s.receiver.duplicates == 1
        assert s.receiver.rejected == 0


def test_every_event_reaches_a_receiver_that_fails_often_acted_on_once_each(fast: Stack) -> None:
    fast.receiver.fail_first = 5  # spread over three events' first attempts
    events = []
    kinds: list[EventType] = ["job.completed", "job.failed", "video.approved"]
    for n, kind in enumerate(kinds):
        job = finished_job(f"job-webhook-000{n}", failed=kind == "job.failed")
        notify(fast.store, fast.queue, utc_now, job, kind)
        events.append(job_event(job, kind)[0])

    for _ in range(8):
        fast.queue.dispatch_once()
        fast.queue_clock.advance(300)

    assert set(fast.receiver.acted) == set(events)
    assert sum(fast.receiver.attempts.values()) == len(events) + 5
    assert fast.receiver.duplicates == 0
    assert fast.receiver.rejected == 0


@pytest.mark.slow
def test_with_the_queues_default_backoff_the_fourth_attempt_gets_through(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    # Cloud Tasks' (and the local queue's) default waits: 10, 20, 40 s: about 70 s in all.
    receiver.fail_first = 3
    with stack(tmp_path, receiver, real_time=True) as s:
        job = finished_job()
        notify(s.store, s.queue, utc_now, job, "job.completed")
        identity = job_event(job, "job.completed")[0]
        s.queue.start()

        assert s.receiver.wait_until(lambda r: identity in r.acted, timeout=85)

        arrivals = [r.at for r in s.receiver.received]
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        assert len(gaps) == 3
        for gap, wait in zip(gaps, (10, 20, 40), strict=True):
            assert wait - 0.5 <= gap <= wait + 3, gaps  # the dispatcher polls every 0.2 s
        assert s.receiver.attempts == {identity: 4}
        assert s.receiver.duplicates == 0
