"""JobStore.publications_due: jobs whose publications need a look (a reading, a re-drive),
on every adapter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.contract.test_job_store import make_job
from trendreel.models import Job
from trendreel.ports import JobStore
from trendreel.publishing import transitions
from trendreel.publishing.transitions import CHECKPOINTS

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _due_at(job: Job, when: datetime | None) -> Job:
    return job.model_copy(update={"publications_due_at": when})


def set_due(when: datetime | None) -> Callable[[Job], Job]:
    return lambda job: _due_at(job, when)


def test_only_jobs_due_by_then_come_back_earliest_first(job_store: JobStore) -> None:
    late, early, later, none = (
        make_job(job_id=f"2026120{i}T000000-aaaa000{i}") for i in range(1, 5)
    )
    for job, when in ((late, NOW - timedelta(minutes=5)), (early, NOW - timedelta(hours=2)),
                      (later, NOW + timedelta(hours=1)), (none, None)):  # fmt: skip
        job_store.create(job)
        job_store.update(job.id, set_due(when))
    due = job_store.publications_due(due_before=NOW, limit=10)
    assert [j.id for j in due] == [early.id, late.id]
    assert [j.id for j in job_store.publications_due(due_before=NOW, limit=1)] == [early.id]


def test_a_reading_moves_the_job_to_its_next_checkpoint(job_store: JobStore) -> None:
    assert CHECKPOINTS[0][0] == "1h"
    job = make_job(job_id="20261201T000000-bbbb0001")
    job_store.create(job)
    job_store.update(job.id, lambda j: _due_at(j, NOW - timedelta(seconds=1)))
    job_store.update(job.id, lambda j: _due_at(j, NOW + timedelta(hours=23)))
    assert job_store.publications_due(due_before=NOW, limit=10) == []
    job_store.update(job.id, lambda j: _due_at(j, None))
    assert job_store.publications_due(due_before=NOW + timedelta(days=30), limit=10) == []
    assert transitions.next_due(NOW, {"1h", "24h", "7d"}) is None
