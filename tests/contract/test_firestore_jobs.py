"""FirestoreJobStore beyond the shared JobStore contract, on the Firestore emulator.

The contract suite races threads on one store, which its in-process lock serializes; here two
stores (as two Cloud Run instances would be) race, so only the Firestore transaction decides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.contract import gcp_fixtures
from tests.support.concurrency import race
from trendreel import lifecycle
from trendreel.adapters.firestore_jobs import FirestoreJobStore
from trendreel.config import load_default_config
from trendreel.errors import JobNotFoundError, LeaseHeldError
from trendreel.lifecycle import new_job_id
from trendreel.models import Job, JobStatus, Stage, Trigger

pytestmark = pytest.mark.emulator

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def make_job(at: datetime = NOW, key: str | None = None) -> Job:
    config = load_default_config()
    return lifecycle.new_job(
        new_job_id(at), config, now=at, trigger=Trigger.CLIENT, idempotency_key=key
    )


@pytest.fixture
def stores(request: pytest.FixtureRequest) -> tuple[FirestoreJobStore, FirestoreJobStore]:
    """Two stores on one collection, sharing nothing but Firestore."""
    first = gcp_fixtures.firestore_job_store(request)
    assert isinstance(first, FirestoreJobStore)
    return first, FirestoreJobStore(first.client, first.collection)


def test_claims_from_two_instances_exactly_one_wins(
    stores: tuple[FirestoreJobStore, FirestoreJobStore],
) -> None:
    a, b = stores
    job = make_job()
    a.create(job)

    def claim(store: FirestoreJobStore, holder: str) -> Callable[[], object]:
        stage = Stage.TREND_COLLECTION
        return lambda: store.update(
            job.id, lambda j: lifecycle.claim(j, stage, 1, holder, NOW, 30, 10)
        )

    results = race(claim(a, "holder-a"), claim(b, "holder-b"))

    won = [r for r in results if isinstance(r, Job)]
    lost = [r for r in results if isinstance(r, LeaseHeldError)]
    assert (len(won), len(lost)) == (1, 1), results
    stored = b.get(job.id)
    assert stored is not None
    assert stored.lease is not None
    assert won[0].lease is not None
    assert stored.lease.holder == won[0].lease.holder
    assert stored.stages[Stage.TREND_COLLECTION].attempts == 1


def test_creates_from_two_instances_with_one_key_make_one_job(
    stores: tuple[FirestoreJobStore, FirestoreJobStore],
) -> None:
    a, b = stores
    first, second = make_job(NOW, "k-1"), make_job(NOW + timedelta(seconds=1), "k-1")

    results = race(lambda: a.create(first), lambda: b.create(second))

    outcomes = [r for r in results if isinstance(r, tuple)]
    assert sorted(created for _, created in outcomes) == [False, True], results
    assert outcomes[0][0].id == outcomes[1][0].id
    assert len(a.list_jobs(status=None, limit=10, cursor=None)[0]) == 1


def test_document_layout(stores: tuple[FirestoreJobStore, FirestoreJobStore]) -> None:
    store, _ = stores
    job = make_job(key="client-key/with slashes")
    store.create(job)

    doc = store.client.collection(store.collection).document(job.id).get().to_dict()
    assert doc is not None
    assert doc["id"] == job.id
    assert doc["status"] == JobStatus.PENDING.value
    assert isinstance(doc["updated_at"], datetime)  # a Firestore timestamp, for range queries
    assert doc["updated_at"] == job.updated_at
    assert doc["job"] == job.model_dump(mode="json")

    key_id = hashlib.sha256(b"client-key/with slashes").hexdigest()
    key_doc = store.client.collection(f"{store.collection}_idempotency").document(key_id).get()
    assert key_doc.exists
    assert key_doc.get("job_id") == job.id


def test_update_that_changes_nothing_does_not_write(
    stores: tuple[FirestoreJobStore, FirestoreJobStore],
) -> None:
    store, _ = stores
    job = make_job()
    store.create(job)
    ref = store.client.collection(store.collection).document(job.id)
    before = ref.get().update_time

    assert store.update(job.id, lambda j: j) == job
    assert ref.get().update_time == before


def test_invalid_ids_are_not_found(stores: tuple[FirestoreJobStore, FirestoreJobStore]) -> None:
    store, _ = stores
    assert store.get("a/b/c/d-000") is None
    assert store.get("__reserved__") is None
    with pytest.raises(JobNotFoundError):
        store.update("__reserved__", lambda j: j)
