"""The WebhookStore contract: SQLite (always) and Firestore (on the emulator, marked
``emulator``) must both pass all of it.

The fixture follows ``conftest.py``'s ``job_store``: the Firestore variant comes from
``gcp_fixtures`` (imported lazily; it skips, or fails with TRENDREEL_REQUIRE_EMULATORS=1, when
the emulator cannot start) and gets a collection prefix no other test uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.support.concurrency import race
from trendreel.adapters.sqlite_webhooks import SqliteWebhookStore
from trendreel.webhooks.models import (
    DeliveryRecord,
    DeliveryStatus,
    Endpoint,
    Event,
    EventData,
    config_endpoint,
    event_id,
)
from trendreel.webhooks.ports import WebhookStore

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
SECRET = "whsec_contract-3f9a1c"


def _firestore_store(request: pytest.FixtureRequest) -> WebhookStore:
    from tests.contract import gcp_fixtures
    from trendreel.adapters.firestore_webhooks import FirestoreWebhookStore

    emulator = gcp_fixtures.firestore_emulator(request)
    return FirestoreWebhookStore(emulator.client, f"webhooks_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite", pytest.param("firestore", marks=pytest.mark.emulator)])
def webhook_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WebhookStore]:
    if request.param == "sqlite":
        yield SqliteWebhookStore(tmp_path / "webhooks.sqlite3")
    else:
        yield _firestore_store(request)


def endpoint(
    endpoint_id: str = "wh_contract_0001", *, at: datetime = NOW, **changes: object
) -> Endpoint:
    fields: dict[str, object] = {
        "id": endpoint_id,
        "url": f"https://hooks.example.com/{endpoint_id}",
        "created_at": at,
        "secret": SecretStr(SECRET),
        "events": ["job.completed", "video.published"],
        "description": "contract",
    }
    return Endpoint.model_validate({**fields, **changes})


def event(job_id: str = "job-contract-1", *, at: datetime = NOW) -> Event:
    data = EventData(job_id=job_id, status="completed", stage="review", video_id=job_id)
    return Event(
        id=event_id(job_id, "job.completed", 1), type="job.completed", created_at=at, data=data
    )


def record(status: DeliveryStatus, attempts: int, last_status: int | None = 500) -> DeliveryRecord:
    return DeliveryRecord(
        event_id=event().id,
        endpoint_id="wh_contract_0001",
        status=status,
        attempts=attempts,
        last_status=last_status,
        reason=f"attempt {attempts}",
        at=NOW + timedelta(seconds=attempts),
    )


def test_an_endpoint_round_trips_with_its_secret(webhook_store: WebhookStore) -> None:
    stored = webhook_store.put_endpoint(endpoint())
    fetched = webhook_store.get_endpoint("wh_contract_0001")

    assert stored == fetched == endpoint()
    assert fetched is not None
    assert fetched.secret is not None
    assert fetched.secret.get_secret_value() == SECRET
    assert SECRET not in repr(fetched) + repr(webhook_store)


def test_putting_an_existing_endpoint_keeps_the_first(webhook_store: WebhookStore) -> None:
    webhook_store.put_endpoint(endpoint())

    again = webhook_store.put_endpoint(endpoint(url="https://elsewhere.example.com/x"))

    assert again == endpoint()
    assert webhook_store.get_endpoint("wh_contract_0001") == endpoint()


def test_a_theme_config_endpoint_keeps_no_secret_and_is_not_listed(
    webhook_store: WebhookStore,
) -> None:
    derived = config_endpoint("https://theme.example.com/hook", NOW)

    assert webhook_store.put_endpoint(derived) == derived
    assert webhook_store.get_endpoint(derived.id) == derived
    assert webhook_store.list_endpoints() == []


def test_registered_endpoints_are_listed_oldest_first(webhook_store: WebhookStore) -> None:
    for n, minutes in enumerate([5, 0, 10]):
        webhook_store.put_endpoint(
            endpoint(f"wh_listed_000{n}", at=NOW + timedelta(minutes=minutes))
        )

    listed = webhook_store.list_endpoints()

    assert [e.id for e in listed] == ["wh_listed_0001", "wh_listed_0000", "wh_listed_0002"]
    assert all(e.secret is not None for e in listed)


def test_delete_removes_once(webhook_store: WebhookStore) -> None:
    webhook_store.put_endpoint(endpoint())

    assert webhook_store.delete_endpoint("wh_contract_0001") is True
    assert webhook_store.delete_endpoint("wh_contract_0001") is False
    assert webhook_store.get_endpoint("wh_contract_0001") is None
    assert webhook_store.list_endpoints() == []
    assert webhook_store.delete_endpoint("wh_never_there") is False


def test_ids_a_backend_reserves_are_simply_absent(webhook_store: WebhookStore) -> None:
    assert webhook_store.get_endpoint("__reserved__") is None
    assert webhook_store.delete_endpoint("__reserved__") is False
    assert webhook_store.get_event("__reserved__") is None
    assert webhook_store.get_delivery("__reserved__", "__reserved__") is None


def test_two_concurrent_deletes_delete_once(webhook_store: WebhookStore) -> None:
    webhook_store.put_endpoint(endpoint())

    results = race(
        lambda: webhook_store.delete_endpoint("wh_contract_0001"),
        lambda: webhook_store.delete_endpoint("wh_contract_0001"),
    )

    assert sorted(results, key=str) == [False, True]


def test_an_event_is_stored_once_and_the_first_one_wins(webhook_store: WebhookStore) -> None:
    first = webhook_store.put_event(event())
    later = webhook_store.put_event(event(at=NOW + timedelta(minutes=3)))

    assert first == later == event()
    assert webhook_store.get_event(event().id) == event()
    assert webhook_store.get_event("evt_unknown_000") is None


def test_concurrent_emissions_of_one_event_store_one(webhook_store: WebhookStore) -> None:
    results = race(
        lambda: webhook_store.put_event(event(at=NOW)),
        lambda: webhook_store.put_event(event(at=NOW + timedelta(seconds=1))),
        lambda: webhook_store.put_event(event(at=NOW + timedelta(seconds=2))),
    )

    stored = webhook_store.get_event(event().id)
    assert stored is not None
    assert results == [stored, stored, stored]


def test_the_latest_delivery_record_wins(webhook_store: WebhookStore) -> None:
    assert webhook_store.get_delivery(event().id, "wh_contract_0001") is None

    webhook_store.record_delivery(record("undeliverable", 1))
    webhook_store.record_delivery(record("undeliverable", 2))

    assert webhook_store.get_delivery(event().id, "wh_contract_0001") == record("undeliverable", 2)


def test_delivered_is_final(webhook_store: WebhookStore) -> None:
    webhook_store.record_delivery(record("undeliverable", 1))
    webhook_store.record_delivery(record("delivered", 2, 200))
    webhook_store.record_delivery(record("undeliverable", 3))  # a duplicate delivery that failed

    assert webhook_store.get_delivery(event().id, "wh_contract_0001") == record("delivered", 2, 200)


def test_delivery_records_are_per_endpoint(webhook_store: WebhookStore) -> None:
    webhook_store.record_delivery(record("delivered", 1, 204))

    assert webhook_store.get_delivery(event().id, "wh_other_00001") is None


def test_ping_answers(webhook_store: WebhookStore) -> None:
    webhook_store.ping()
