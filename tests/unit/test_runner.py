"""The delivery protocol on a real SQLite job store: short leases kept alive by a heartbeat,
deliveries that meet a live lease deferred without spending attempts, stages whose function keeps
dying failed instead of looped, and a lost lease stopping the stage that lost it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.api.fakes import FakeTaskQueue
from tests.unit.stages.fakes import providers
from trendreel import lifecycle, pipeline, services
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.adapters.sqlite_jobs import SqliteJobStore
from trendreel.bootstrap import Runtime
from trendreel.config import load_default_config
from trendreel.delivery import Delivery
from trendreel.models import Job, JobSpec, JobStatus, Stage, StageResult, TaskPayload, Trigger
from trendreel.runner import StageRunner
from trendreel.settings import Settings
from trendreel.stages.context import StageContext
from trendreel.tasks import task_name

STAGE = Stage.TREND_ANALYSIS


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue() -> FakeTaskQueue:
    return FakeTaskQueue()


def runtime(
    tmp_path: Path, queue: FakeTaskQueue, clock: Callable[[], datetime], **settings: object
) -> Runtime:
    rt = Runtime(
        settings=Settings(home=tmp_path / "home", **settings),  # type: ignore[arg-type]
        store=SqliteJobStore(tmp_path / "home" / "jobs.sqlite3"),
        queue=queue,
        blobs=LocalBlobStore(tmp_path / "blobs"),
        clock=clock,
    )
    rt._providers = providers()
    return rt


@pytest.fixture
def rt(tmp_path: Path, queue: FakeTaskQueue, clock: Clock) -> Runtime:
    return runtime(tmp_path, queue, clock)  # default settings: the lease users get


def new_job(rt: Runtime, completed: list[Stage]) -> Job:
    now = rt.clock()
    job = lifecycle.new_job(
        lifecycle.new_job_id(now), load_default_config(), now=now, trigger=Trigger.CLI
    )
    rt.store.create(job)
    for stage in completed:
        complete_earlier(rt, job, stage, now)
    found = rt.store.get(job.id)
    assert found is not None
    return found


def complete_earlier(rt: Runtime, job: Job, stage: Stage, now: datetime) -> None:
    """Claim and complete ``stage`` as an earlier delivery would have."""
    rt.store.update(job.id, lambda j: lifecycle.claim(j, stage, 1, "setup", now, 30, 10))
    rt.store.update(job.id, lambda j: lifecycle.complete(j, stage, "setup", {}, now))


def delivery(job: Job, stage: Stage = STAGE, retry_count: int = 0, defer: int = 0) -> Delivery:
    payload = TaskPayload(job_id=job.id, stage=stage, generation=job.generation, defer=defer)
    return Delivery(payload=payload, task_name=task_name(payload), retry_count=retry_count)


@pytest.fixture
def stage_fn(monkeypatch: pytest.MonkeyPatch) -> list[StageContext]:
    """Replace the stage with one that records its context and returns at once."""
    seen: list[StageContext] = []

    def run(job: JobSpec, ctx: StageContext) -> StageResult:
        seen.append(ctx)
        now = ctx.clock()
        return StageResult(stage=STAGE, outputs={}, started_at=now, finished_at=now, seconds=0)

    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, STAGE, run)
    return seen


def test_the_claim_is_a_short_lease_not_the_stage_timeout(
    rt: Runtime, stage_fn: list[StageContext]
) -> None:
    job = new_job(rt, [Stage.TREND_COLLECTION])
    held = rt.store.update(
        job.id,
        lambda j: lifecycle.claim(j, STAGE, 1, "other", rt.clock(), rt.settings.lease_seconds, 10),
    )
    assert held.lease is not None
    lease = (held.lease.expires_at - rt.clock()).total_seconds()
    assert lease == rt.settings.lease_seconds <= 60  # tens of seconds, by default
    assert lifecycle.stage_timeout(STAGE) >= 5 * lease


def test_a_delivery_that_meets_a_live_lease_is_deferred_not_retried(
    rt: Runtime, queue: FakeTaskQueue, clock: Clock, stage_fn: list[StageContext]
) -> None:
    job = new_job(rt, [Stage.TREND_COLLECTION])
    now = clock()
    rt.store.update(job.id, lambda j: lifecycle.claim(j, STAGE, 1, "alive", now, 30, 10))
    clock.advance(12)

    first = StageRunner(rt).handle(delivery(job, retry_count=3))
    again = StageRunner(rt).handle(delivery(job, retry_count=3))  # a duplicate of it

    # 2xx: Cloud Tasks forgets the task instead of counting another attempt against it...
    assert (first.status, first.body["result"]) == (200, "deferred")
    assert (again.status, again.body["result"]) == (200, "deferred")
    # ...and one follow-up (both duplicates name the same one) is due when the lease lapses.
    follow = TaskPayload(job_id=job.id, stage=STAGE, generation=1, defer=1)
    assert first.body["next_task"] == again.body["next_task"] == f"tasks/{task_name(follow)}"
    assert list(queue.tasks) == [task_name(follow)]
    assert queue.delays[task_name(follow)] == pytest.approx(30 - 12 + 1, abs=1)
    assert stage_fn == []
    stored = rt.store.get(job.id)
    assert stored is not None
    assert stored.stages[STAGE].attempts == 1  # the holder's claim only

    # The follow-up finds the holder gone (its lease lapsed): it runs the stage.
    clock.advance(19)
    done = StageRunner(rt).handle(delivery(job, defer=1))
    assert (done.status, done.body["result"]) == (200, "completed")
    assert len(stage_fn) == 1


def test_a_follow_up_after_the_holder_finished_only_advances(
    rt: Runtime, queue: FakeTaskQueue, stage_fn: list[StageContext]
) -> None:
    job = new_job(rt, [Stage.TREND_COLLECTION, STAGE])
    outcome = StageRunner(rt).handle(delivery(job, defer=1))
    assert (outcome.status, outcome.body["result"]) == (200, "already completed")
    assert stage_fn == []
    nxt = TaskPayload(job_id=job.id, stage=Stage.CONTENT_GENERATION, generation=1)
    assert list(queue.tasks) == [task_name(nxt)]


def test_a_stage_whose_function_keeps_dying_is_failed_after_its_attempts(
    tmp_path: Path, queue: FakeTaskQueue, clock: Clock, stage_fn: list[StageContext]
) -> None:
    rt = runtime(tmp_path, queue, clock)
    job = new_job(rt, [Stage.TREND_COLLECTION])
    tries = rt.settings.task_max_attempts
    for n in range(tries):  # each claim's function dies: its lease lapses uncompleted
        at = clock()

        def dying_claim(j: Job, n: int = n, at: datetime = at) -> Job:
            return lifecycle.claim(j, STAGE, 1, f"d{n}", at, 30, tries)

        rt.store.update(job.id, dying_claim)
        clock.advance(31)

    outcome = StageRunner(rt).handle(delivery(job))

    assert (outcome.status, outcome.body["result"]) == (200, "failed")
    stored = rt.store.get(job.id)
    assert stored is not None
    assert stored.status == JobStatus.FAILED
    assert stored.error is not None
    assert (stored.error.stage, stored.error.code) == (STAGE.value, "attempts_exhausted")
    assert stage_fn == []


def test_the_heartbeat_keeps_a_long_stage_leased(
    tmp_path: Path, queue: FakeTaskQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wall-clock time: a stage that runs for more than two leases. The lease is shortened to
    # its minimum to keep this test short; the crash tests in tests/e2e run on the default.
    rt = runtime(tmp_path, queue, lambda: datetime.now(UTC), lease_seconds=5)
    job = new_job(rt, [Stage.TREND_COLLECTION])
    intruders: list[str] = []

    def slow(spec: JobSpec, ctx: StageContext) -> StageResult:
        start = ctx.clock()
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            ctx.progress(0.5, "working")
            other = StageRunner(rt).handle(delivery(job, defer=len(intruders) + 1))
            intruders.append(str(other.body["result"]))
            time.sleep(2)
        return StageResult(
            stage=STAGE, outputs={}, started_at=start, finished_at=ctx.clock(), seconds=12
        )

    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, STAGE, slow)
    outcome = StageRunner(rt).handle(delivery(job))

    assert (outcome.status, outcome.body["result"]) == (200, "completed")
    assert intruders
    assert set(intruders) == {"deferred"}  # never took over a live stage
    stored = rt.store.get(job.id)
    assert stored is not None
    assert stored.stages[STAGE].attempts == 1


def test_a_stage_that_lost_its_lease_stops_and_leaves_the_job_to_the_new_holder(
    tmp_path: Path, queue: FakeTaskQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = runtime(tmp_path, queue, lambda: datetime.now(UTC), lease_seconds=5)
    job = new_job(rt, [Stage.TREND_COLLECTION])
    taken = threading.Event()

    def stalled(spec: JobSpec, ctx: StageContext) -> StageResult:
        # As if this process stalled past its lease: another delivery takes the stage over.
        later = datetime.now(UTC) + timedelta(seconds=60)
        rt.store.update(job.id, lambda j: lifecycle.claim(j, STAGE, 1, "new", later, 60, 10))
        taken.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ctx.progress(0.5, "still rendering")  # the heartbeat noticed: this raises
            time.sleep(0.2)
        raise AssertionError("the stage was not stopped")

    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, STAGE, stalled)
    outcome = StageRunner(rt).handle(delivery(job))

    assert taken.is_set()
    assert (outcome.status, outcome.body["result"]) == (200, "superseded")
    stored = rt.store.get(job.id)
    assert stored is not None
    assert stored.status == JobStatus.RUNNING  # not failed: the new holder owns the stage
    assert stored.lease is not None
    assert stored.lease.holder == "new"


def test_a_job_swept_once_is_not_swept_again_while_its_next_task_waits(
    rt: Runtime, queue: FakeTaskQueue, clock: Clock, stage_fn: list[StageContext]
) -> None:
    job = new_job(rt, [Stage.TREND_COLLECTION])
    grace = rt.settings.sweeper_grace_seconds
    # The stage's task is lost: the sweeper re-drives it once (sweep 1).
    clock.advance(grace + 1)
    assert services.sweep(rt)["requeued"] == [job.id]
    swept = rt.store.get(job.id)
    assert swept is not None
    assert swept.sweeps == 1
    payload = services.current_task(swept)
    assert payload is not None
    assert payload.sweep == 1

    # That delivery completes the stage and queues the next one, which then waits in a busy
    # (or paused) queue for longer than the grace period.
    done = StageRunner(rt).handle(Delivery(payload=payload, task_name=task_name(payload)))
    assert done.body["result"] == "completed"
    clock.advance(grace * 3)

    report = services.sweep(rt)

    assert report == {**report, "requeued": [], "failed": []}
    stored = rt.store.get(job.id)
    assert stored is not None
    assert (stored.status, stored.sweeps) == (JobStatus.RUNNING, 0)
    nxt = TaskPayload(job_id=job.id, stage=Stage.CONTENT_GENERATION, generation=1)
    assert [n for n in queue.tasks if "content_generation" in n] == [task_name(nxt)]
