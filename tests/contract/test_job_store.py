"""The JobStore contract: every adapter (SQLite, Firestore) must pass all of it.

Mutations here are pure (no side effects), because a backend may run one more than once when it
retries a transaction on contention.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import cache, partial

import pytest

from tests.support.concurrency import race
from trendreel import lifecycle
from trendreel.config import load_default_config
from trendreel.errors import (
    InvalidStateError,
    JobNotFoundError,
    LeaseHeldError,
    ProviderUnavailableError,
    StageError,
)
from trendreel.lifecycle import new_job_id
from trendreel.models import Job, JobStatus, Stage, ThemeConfig, Trigger
from trendreel.ports import JobStore

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
STAGE = Stage.TREND_COLLECTION
REPEATS = 3


@cache
def config() -> ThemeConfig:
    return load_default_config()


def make_job(
    at: datetime = NOW, *, key: str | None = None, job_id: str | None = None, **changes: object
) -> Job:
    """A new job created at ``at`` (its id sorts by that time), with ``changes`` applied."""
    job = lifecycle.new_job(
        job_id or new_job_id(at),
        config(),
        now=at,
        trigger=Trigger.CLIENT,
        idempotency_key=key,
    )
    return Job.model_validate({**job.model_dump(), **changes})


def set_fields(**changes: object) -> Callable[[Job], Job]:
    return lambda job: Job.model_validate({**job.model_dump(), **changes})


def add_sweep(job: Job) -> Job:
    return job.model_copy(update={"sweeps": job.sweeps + 1})


def split(results: list[object]) -> tuple[list[Job], list[Exception]]:
    jobs = [r for r in results if isinstance(r, Job)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(jobs) + len(errors) == len(results), results
    return jobs, errors


def stage_error() -> StageError:
    return StageError(STAGE.value, ProviderUnavailableError("fake-trends", "connection reset"))


# -- create / get ------------------------------------------------------------------------------


def full_job() -> Job:
    """Every optional part filled in, with times in more than one UTC offset."""
    plus_two = timezone(timedelta(hours=2))
    return make_job(
        key="client-key-1",
        config_path="themes/space.yaml",
        trigger=Trigger.CLI,
        status=JobStatus.RUNNING,
        stage=Stage.CONTENT_GENERATION.value,
        completed_stages=[Stage.TREND_COLLECTION, Stage.TREND_ANALYSIS],
        generation=3,
        sweeps=2,
        stages={
            Stage.TREND_COLLECTION: {
                "attempts": 1,
                "started_at": NOW,
                "finished_at": NOW + timedelta(seconds=30),
                "progress": 1.0,
                "message": "collected 12 trends",
            },
            Stage.CONTENT_GENERATION: {
                "attempts": 2,
                "started_at": NOW + timedelta(minutes=2),
                "progress": 0.25,
                "message": "writing script",
            },
        },
        artifacts={
            Stage.TREND_COLLECTION: {"trends": "jobs/x/trend_collection/trends.json"},
            Stage.TREND_ANALYSIS: {"analysis": "jobs/x/trend_analysis/analysis.json"},
        },
        error={
            "stage": "content_generation",
            "code": "provider_unavailable",
            "message": "fake-llm: timed out",
            "retryable": True,
            "attempt": 1,
            "provider": "fake-llm",
            "hint": "retry later",
        },
        error_message="content_generation: fake-llm: timed out",
        lease={
            "holder": "delivery-7",
            "stage": Stage.CONTENT_GENERATION,
            "expires_at": datetime(2024, 5, 1, 14, 15, 0, 123456, tzinfo=plus_two),
        },
        review={"status": "rejected", "reason": "too loud", "reviewed_at": NOW},
        updated_at=NOW + timedelta(minutes=3),
    )


def test_create_get_round_trip_preserves_every_field(job_store: JobStore) -> None:
    job = full_job()
    created, was_created = job_store.create(job)
    assert was_created
    assert created == job

    got = job_store.get(job.id)
    assert got == job
    assert got is not None
    assert got.model_dump(mode="json", exclude={"lease"}) == job.model_dump(
        mode="json", exclude={"lease"}
    )
    assert got.lease is not None
    assert got.lease.expires_at == job.lease.expires_at  # type: ignore[union-attr]
    assert got.lease.expires_at.utcoffset() is not None


def test_get_unknown_id_is_none(job_store: JobStore) -> None:
    job_store.create(make_job())
    assert job_store.get("no-such-job-0000") is None


def test_create_same_idempotency_key_returns_first_job(job_store: JobStore) -> None:
    first = make_job(NOW, key="same-key")
    second = make_job(NOW + timedelta(seconds=1), key="same-key")

    assert job_store.create(first) == (first, True)
    existing, created = job_store.create(second)

    assert created is False
    assert existing == first
    assert job_store.get(second.id) is None
    jobs, _ = job_store.list_jobs(status=None, limit=10, cursor=None)
    assert [j.id for j in jobs] == [first.id]


def test_create_different_keys_and_no_key_make_separate_jobs(job_store: JobStore) -> None:
    jobs = [
        make_job(NOW, key="key-a"),
        make_job(NOW + timedelta(seconds=1), key="key-b"),
        make_job(NOW + timedelta(seconds=2)),
        make_job(NOW + timedelta(seconds=3)),
    ]
    for job in jobs:
        assert job_store.create(job) == (job, True)
    listed, _ = job_store.list_jobs(status=None, limit=10, cursor=None)
    assert {j.id for j in listed} == {j.id for j in jobs}


def test_concurrent_creates_with_one_key_make_one_job(job_store: JobStore) -> None:
    for attempt in range(REPEATS):
        key = f"race-key-{attempt}"
        a = make_job(NOW + timedelta(minutes=attempt), key=key)
        b = make_job(NOW + timedelta(minutes=attempt, seconds=1), key=key)
        results = race(partial(job_store.create, a), partial(job_store.create, b))

        outcomes = [r for r in results if isinstance(r, tuple)]
        assert len(outcomes) == 2, results
        assert sorted(created for _, created in outcomes) == [False, True]
        assert outcomes[0][0].id == outcomes[1][0].id
        winner = outcomes[0][0].id
        loser = b.id if winner == a.id else a.id
        assert job_store.get(winner) is not None
        assert job_store.get(loser) is None


def test_create_existing_id_without_key_is_an_error(job_store: JobStore) -> None:
    job = make_job()
    job_store.create(job)
    with pytest.raises(ValueError, match=job.id):
        job_store.create(job.model_copy(update={"sweeps": 4}))
    assert job_store.get(job.id) == job


# -- update ------------------------------------------------------------------------------------


def test_update_applies_and_persists_the_mutation(job_store: JobStore) -> None:
    job = make_job()
    job_store.create(job)
    later = NOW + timedelta(minutes=5)

    updated = job_store.update(job.id, set_fields(sweeps=3, updated_at=later))

    assert updated.sweeps == 3
    assert updated.updated_at == later
    assert job_store.get(job.id) == updated


def test_update_persists_a_job_changed_in_place(job_store: JobStore) -> None:
    job = make_job()
    job_store.create(job)

    def in_place(j: Job) -> Job:
        j.sweeps = 7
        return j

    assert job_store.update(job.id, in_place).sweeps == 7
    stored = job_store.get(job.id)
    assert stored is not None
    assert stored.sweeps == 7


class AbortError(Exception):
    pass


def test_update_exception_in_mutate_leaves_job_unchanged(job_store: JobStore) -> None:
    job = make_job()
    job_store.create(job)
    error = AbortError("no thanks")

    def mutate(j: Job) -> Job:
        j.sweeps = 99  # even a change made before raising must not land
        raise error

    with pytest.raises(AbortError) as info:
        job_store.update(job.id, mutate)
    assert info.value is error
    assert job_store.get(job.id) == job
    # the store is still usable afterwards
    assert job_store.update(job.id, add_sweep).sweeps == 1


def test_update_lifecycle_error_propagates_unchanged(job_store: JobStore) -> None:
    job = make_job()
    job_store.create(job)
    with pytest.raises(InvalidStateError) as info:
        job_store.update(job.id, lambda j: lifecycle.retry(j, NOW))
    assert info.value.code == "job_not_failed"
    assert job_store.get(job.id) == job


def test_update_unknown_id_raises_job_not_found(job_store: JobStore) -> None:
    with pytest.raises(JobNotFoundError) as info:
        job_store.update("no-such-job-0000", add_sweep)
    assert info.value.job_id == "no-such-job-0000"
    assert job_store.get("no-such-job-0000") is None


# -- atomic transitions under contention -------------------------------------------------------


def test_two_claims_at_once_exactly_one_wins(job_store: JobStore) -> None:
    for attempt in range(REPEATS):
        job = make_job(NOW + timedelta(minutes=attempt))
        job_store.create(job)

        def claim(holder: str, job_id: str = job.id) -> Job:
            return job_store.update(
                job_id, lambda j: lifecycle.claim(j, STAGE, 1, holder, NOW, 30, 10)
            )

        results = race(lambda: claim("holder-a"), lambda: claim("holder-b"))

        won, lost = split(results)
        assert len(won) == 1, results
        assert len(lost) == 1
        assert isinstance(lost[0], LeaseHeldError), lost
        stored = job_store.get(job.id)
        assert stored is not None
        assert stored.lease is not None
        assert won[0].lease is not None
        assert stored.lease.holder == won[0].lease.holder
        assert stored.status == JobStatus.RUNNING
        assert stored.stages[STAGE].attempts == 1


def test_two_retries_at_once_exactly_one_wins(job_store: JobStore) -> None:
    for attempt in range(REPEATS):
        job = make_job(NOW + timedelta(minutes=attempt))
        job_store.create(job)
        job_store.update(job.id, lambda j: lifecycle.claim(j, STAGE, 1, "h", NOW, 30, 10))
        failed = job_store.update(job.id, lambda j: lifecycle.fail(j, STAGE, stage_error(), 1, NOW))
        assert failed.status == JobStatus.FAILED

        def retry(job_id: str = job.id) -> Job:
            return job_store.update(job_id, lambda j: lifecycle.retry(j, NOW))

        won, lost = split(race(retry, retry))

        assert len(won) == 1
        assert len(lost) == 1
        assert isinstance(lost[0], InvalidStateError), lost
        assert lost[0].code == "job_not_failed"
        stored = job_store.get(job.id)
        assert stored is not None
        assert stored.generation == failed.generation + 1 == 2
        assert stored.status == JobStatus.PENDING
        assert stored.error is None


def test_concurrent_updates_lose_no_write(job_store: JobStore) -> None:
    job = make_job()
    job_store.create(job)

    def bump_25() -> None:
        for _ in range(25):
            job_store.update(job.id, add_sweep)

    results = race(bump_25, bump_25, bump_25, bump_25)

    assert results == [None] * 4
    stored = job_store.get(job.id)
    assert stored is not None
    assert stored.sweeps == 100


# -- list_jobs ---------------------------------------------------------------------------------


def seed(job_store: JobStore, statuses: list[JobStatus]) -> list[Job]:
    """One job per status, a second apart, in that order; returned newest first."""
    jobs = []
    for i, status in enumerate(statuses):
        job = make_job(NOW + timedelta(seconds=i), status=status)
        job_store.create(job)
        jobs.append(job)
    return jobs[::-1]


def ids(jobs: list[Job]) -> list[str]:
    return [j.id for j in jobs]


def test_list_jobs_newest_first(job_store: JobStore) -> None:
    expected = seed(job_store, [JobStatus.PENDING] * 5)
    jobs, next_cursor = job_store.list_jobs(status=None, limit=10, cursor=None)
    assert ids(jobs) == ids(expected)
    assert ids(jobs) == sorted(ids(jobs), reverse=True)
    assert jobs == expected
    assert next_cursor is None


def test_list_jobs_status_filter(job_store: JobStore) -> None:
    p, r, f, c = JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.COMPLETED
    jobs = seed(job_store, [p, r, f, c, f, p, f])
    for status in JobStatus:
        listed, next_cursor = job_store.list_jobs(status=status, limit=10, cursor=None)
        assert ids(listed) == [j.id for j in jobs if j.status == status]
        assert next_cursor is None
    # exactly one full page left: still no cursor for an empty next page
    failed, next_cursor = job_store.list_jobs(status=JobStatus.FAILED, limit=3, cursor=None)
    assert len(failed) == 3
    assert next_cursor is None


def test_list_jobs_status_follows_updates(job_store: JobStore) -> None:
    job = make_job()
    job_store.create(job)
    job_store.update(job.id, lambda j: lifecycle.claim(j, STAGE, 1, "h", NOW, 30, 10))
    assert job_store.list_jobs(status=JobStatus.PENDING, limit=10, cursor=None) == ([], None)
    running, _ = job_store.list_jobs(status=JobStatus.RUNNING, limit=10, cursor=None)
    assert ids(running) == [job.id]


def collect_pages(
    job_store: JobStore, status: JobStatus | None, limit: int
) -> tuple[list[str], list[int]]:
    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    for _ in range(50):
        page, cursor = job_store.list_jobs(status=status, limit=limit, cursor=cursor)
        seen.extend(ids(page))
        sizes.append(len(page))
        if cursor is None:
            return seen, sizes
        assert page, "a page with a next cursor must not be empty"
    raise AssertionError("pagination did not end")


def test_list_jobs_pages_cover_every_job_once(job_store: JobStore) -> None:
    p, f = JobStatus.PENDING, JobStatus.FAILED
    jobs = seed(job_store, [p, f, p, p, f, p, p, f, p, p, f])

    seen, sizes = collect_pages(job_store, None, 3)
    assert seen == ids(jobs)
    assert sizes == [3, 3, 3, 2]

    seen, sizes = collect_pages(job_store, JobStatus.PENDING, 2)
    assert seen == [j.id for j in jobs if j.status == JobStatus.PENDING]
    assert sizes == [2, 2, 2, 1]

    seen, sizes = collect_pages(job_store, JobStatus.FAILED, 2)
    assert seen == [j.id for j in jobs if j.status == JobStatus.FAILED]
    assert sizes == [2, 2]


def test_list_jobs_limit_bounds(job_store: JobStore) -> None:
    seed(job_store, [JobStatus.PENDING] * 2)
    for bad in (0, -1, 101):
        with pytest.raises(ValueError, match="limit"):
            job_store.list_jobs(status=None, limit=bad, cursor=None)
    assert len(job_store.list_jobs(status=None, limit=1, cursor=None)[0]) == 1
    assert len(job_store.list_jobs(status=None, limit=100, cursor=None)[0]) == 2


def test_list_jobs_invalid_cursor(job_store: JobStore) -> None:
    seed(job_store, [JobStatus.PENDING] * 2)
    with pytest.raises(ValueError, match="cursor"):
        job_store.list_jobs(status=None, limit=10, cursor="%% not a cursor %%")


def test_list_jobs_empty_store(job_store: JobStore) -> None:
    assert job_store.list_jobs(status=None, limit=10, cursor=None) == ([], None)


# -- stuck -------------------------------------------------------------------------------------


def test_stuck_returns_old_pending_and_running_oldest_first(job_store: JobStore) -> None:
    plus_five = timezone(timedelta(hours=5))

    def add(created: datetime, status: JobStatus, updated: datetime) -> Job:
        job = make_job(created, status=status, updated_at=updated)
        job_store.create(job)
        return job

    old_running = add(NOW - timedelta(hours=3), JobStatus.RUNNING, NOW - timedelta(hours=2))
    # 90 minutes before the cutoff, written in a +05:00 offset (its local clock reads later)
    old_pending = add(
        NOW - timedelta(hours=4),
        JobStatus.PENDING,
        (NOW - timedelta(minutes=90)).astimezone(plus_five),
    )
    just_old = add(NOW - timedelta(hours=1), JobStatus.PENDING, NOW - timedelta(seconds=1))
    add(NOW - timedelta(hours=5), JobStatus.COMPLETED, NOW - timedelta(hours=4))
    add(NOW - timedelta(hours=6), JobStatus.FAILED, NOW - timedelta(hours=5))
    add(NOW - timedelta(minutes=10), JobStatus.RUNNING, NOW)  # not before the cutoff
    add(NOW - timedelta(minutes=9), JobStatus.PENDING, NOW + timedelta(minutes=1))

    stuck = job_store.stuck(updated_before=NOW, limit=10)
    assert ids(stuck) == [old_running.id, old_pending.id, just_old.id]
    assert ids(job_store.stuck(updated_before=NOW, limit=2)) == [old_running.id, old_pending.id]
    assert job_store.stuck(updated_before=NOW - timedelta(hours=3), limit=10) == []


def test_stuck_follows_updates(job_store: JobStore) -> None:
    job = make_job(NOW - timedelta(hours=1))
    job_store.create(job)
    assert ids(job_store.stuck(updated_before=NOW, limit=10)) == [job.id]

    job_store.update(job.id, lambda j: lifecycle.claim(j, STAGE, 1, "h", NOW, 30, 10))
    assert job_store.stuck(updated_before=NOW, limit=10) == []
    assert ids(job_store.stuck(updated_before=NOW + timedelta(seconds=1), limit=10)) == [job.id]

    job_store.update(job.id, lambda j: lifecycle.fail(j, STAGE, stage_error(), 1, NOW))
    assert job_store.stuck(updated_before=NOW + timedelta(hours=1), limit=10) == []


def test_ping(job_store: JobStore) -> None:
    job_store.ping()
