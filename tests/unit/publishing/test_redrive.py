"""Nothing is lost: a post asked for whose task was never created (the enqueue after approval
failed) gets its task from the sweeper once ``REDRIVE_AFTER`` has passed; a post the delivery
protocol has claimed is never re-driven."""

from __future__ import annotations

from tests.unit.api.fakes import FakeTaskQueue
from tests.unit.publishing.conftest import JOB, YT, deliver
from tests.unit.publishing.fakes import FakePublisher
from tests.unit.test_runner import Clock
from trendreel import services
from trendreel.bootstrap import Runtime
from trendreel.errors import TaskNotQueuedError
from trendreel.models.publishing import Privacy, PublicationStatus, PublishTask
from trendreel.publishing.transitions import REDRIVE_AFTER
from trendreel.tasks import task_name


def lost_enqueue(rt: Runtime) -> FakeTaskQueue:
    queue = rt.queue
    assert isinstance(queue, FakeTaskQueue)
    queue.fail = True
    try:
        services.publish_video(rt, JOB, services.PublishAsk([YT], Privacy.PRIVATE))
    except TaskNotQueuedError:
        pass
    else:
        raise AssertionError("the enqueue was meant to fail")
    queue.fail = False
    return queue


def publish_tasks(queue: FakeTaskQueue) -> list[PublishTask]:
    return [t for t in queue.tasks.values() if isinstance(t, PublishTask)]


def test_a_post_whose_task_was_lost_is_queued_again_by_the_sweeper(
    rt: Runtime, publisher: FakePublisher
) -> None:
    queue = lost_enqueue(rt)
    assert rt.store.get(JOB).publications[YT].status == PublicationStatus.QUEUED  # type: ignore[union-attr]
    assert services.sweep(rt)["publications"] == []  # not yet: its task may just be slow

    clock = rt.clock
    assert isinstance(clock, Clock)
    clock.advance(REDRIVE_AFTER.total_seconds() + 1)
    assert services.sweep(rt)["publications"] == [f"{JOB}/youtube"]
    (task,) = publish_tasks(queue)
    assert task_name(task) == task_name(PublishTask(job_id=JOB, platform=YT, generation=1))

    assert deliver(rt, task) == 200
    assert publisher.uploads == 1
    assert rt.store.get(JOB).publications[YT].status == PublicationStatus.PUBLISHED  # type: ignore[union-attr]


def test_a_claimed_post_is_never_redriven(rt: Runtime, publisher: FakePublisher) -> None:
    queue = lost_enqueue(rt)
    services.publish_video(rt, JOB, services.PublishAsk([YT], Privacy.PRIVATE))  # asked again
    (task,) = publish_tasks(queue)
    assert deliver(rt, task) == 200

    clock = rt.clock
    assert isinstance(clock, Clock)
    clock.advance(REDRIVE_AFTER.total_seconds() * 3)
    assert services.sweep(rt)["publications"] == []
    assert len(publish_tasks(queue)) == 1
    assert publisher.uploads == 1
