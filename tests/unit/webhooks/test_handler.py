"""The webhooks function (functions/webhooks/main.py, as deployed) against a real receiver on
127.0.0.1: what it sends, what it answers the queue, and what it records."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr

from tests.support.fakes.webhook_receiver import WebhookReceiver
from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.webhooks.support import AUTH, NOW, TOKEN, Clock, finished_job, function_app
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.adapters.local_queue import LocalTaskQueue
from trendreel.adapters.sqlite_jobs import SqliteJobStore
from trendreel.adapters.sqlite_webhooks import SqliteWebhookStore
from trendreel.bootstrap import Runtime
from trendreel.delivery import TaskDelivery
from trendreel.http import RUNTIME_KEY
from trendreel.models.webhooks import WebhookTask
from trendreel.settings import Settings
from trendreel.webhooks.deliver import Deliverer
from trendreel.webhooks.events import job_event
from trendreel.webhooks.models import Endpoint, Event, config_endpoint, new_secret
from trendreel.webhooks.signing import SIGNATURE_HEADER, verify

ENDPOINT = "wh_receiver_0001"


class SettingsWithSecret(Settings):
    """Settings with the field the lead adds (``webhook_secret``), for the theme-config path."""

    webhook_secret: SecretStr | None = None


@pytest.fixture(scope="module")
def app() -> Flask:
    flask_app: Flask = function_app()
    return flask_app


@contextmanager
def runtime(settings: Settings, clock: Clock, tmp_path: Path) -> Iterator[Runtime]:
    """A local runtime (its queue is not dispatching: these tests play the queue)."""
    with LocalTaskQueue(tmp_path / "queue.sqlite3", settings=settings, auth_token=None) as queue:
        yield Runtime(
            settings=settings,
            store=SqliteJobStore(tmp_path / "jobs.sqlite3"),
            queue=queue,
            blobs=LocalBlobStore(tmp_path / "blobs"),
            clock=clock,
        )


@pytest.fixture
def rt(settings: Settings, clock: Clock, tmp_path: Path) -> Iterator[Runtime]:
    with runtime(settings, clock, tmp_path) as built:
        yield built


def client_for(app: Flask, rt: Runtime) -> FlaskClient:
    client = app.test_client()
    environ: dict[str, Any] = client.environ_base
    environ[RUNTIME_KEY] = rt
    return client


@pytest.fixture
def client(app: Flask, rt: Runtime) -> FlaskClient:
    return client_for(app, rt)


def stored_event(store: SqliteWebhookStore) -> Event:
    identity, data = job_event(finished_job(), "job.completed")
    return store.put_event(Event(id=identity, type="job.completed", created_at=NOW, data=data))


def endpoint_for(store: SqliteWebhookStore, receiver: WebhookReceiver, url: str = "") -> Endpoint:
    endpoint = store.put_endpoint(
        Endpoint(id=ENDPOINT, url=url or receiver.url, created_at=NOW, secret=new_secret())
    )
    assert endpoint.secret is not None
    receiver.secret = endpoint.secret.get_secret_value()
    return endpoint


def deliver(
    client: FlaskClient, event: Event, *, retry_count: int = 0, endpoint: str = ENDPOINT
) -> Any:
    task = WebhookTask(event_id=event.id, endpoint_id=endpoint)
    headers = {**AUTH, "X-CloudTasks-TaskRetryCount": str(retry_count)}
    return client.post("/", data=task.model_dump_json(), headers=headers)


def test_a_2xx_from_the_receiver_is_a_200_and_the_delivery_is_recorded(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver
) -> None:
    event = stored_event(store)
    endpoint_for(store, receiver)

    response = deliver(client, event)

    assert response.status_code == 200
    assert response.get_json() == {"result": "delivered", "receiver_status": 200}
    assert list(receiver.acted) == [event.id]
    assert receiver.rejected == 0
    got = receiver.received[0]
    assert got.body == event.model_dump_json().encode()
    assert got.headers["trendreel-event-type"] == "job.completed"
    assert got.headers["content-type"] == "application/json"
    record = store.get_delivery(event.id, ENDPOINT)
    assert record is not None
    assert (record.status, record.last_status) == ("delivered", 200)


def test_a_failing_receiver_is_a_503_with_its_status_and_without_its_body(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver
) -> None:
    event = stored_event(store)
    endpoint_for(store, receiver)
    receiver.fail_first, receiver.retry_after = 1, "120"

    response = deliver(client, event)

    assert response.status_code == 503
    assert response.get_json() == {
        "result": "retry",
        "reason": "webhooks: the receiver answered HTTP 500",
        "receiver_status": 500,
    }
    assert response.headers["Retry-After"] == "120"  # the local queue waits at least that
    assert store.get_delivery(event.id, ENDPOINT) is None
    assert receiver.acted == {}


def test_the_queues_last_attempt_records_the_event_undeliverable_and_answers_200(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver, settings: Settings
) -> None:
    event = stored_event(store)
    endpoint_for(store, receiver)
    receiver.fail_first = 99
    last = settings.task_max_attempts - 1

    before_last = deliver(client, event, retry_count=last - 1)
    final = deliver(client, event, retry_count=last)

    assert before_last.status_code == 503
    assert final.status_code == 200
    assert final.get_json()["result"] == "undeliverable"
    record = store.get_delivery(event.id, ENDPOINT)
    assert record is not None
    assert (record.status, record.attempts, record.last_status) == (
        "undeliverable",
        settings.task_max_attempts,
        500,
    )


def test_every_attempt_is_signed_anew_over_the_same_body(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver, clock: Clock
) -> None:
    event = stored_event(store)
    endpoint_for(store, receiver)
    receiver.fail_first = 1

    assert deliver(client, event).status_code == 503
    clock.advance(20)
    assert deliver(client, event, retry_count=1).status_code == 200

    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["trendreel-event-id"] == second.headers["trendreel-event-id"] == event.id
    stamps = [int(r.headers["trendreel-timestamp"]) for r in (first, second)]
    assert stamps[1] - stamps[0] == 20
    assert first.headers[SIGNATURE_HEADER.lower()] != second.headers[SIGNATURE_HEADER.lower()]


def test_a_delivered_event_is_not_sent_again_on_a_duplicate_task(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver
) -> None:
    event = stored_event(store)
    endpoint_for(store, receiver)

    assert deliver(client, event).status_code == 200
    again = deliver(client, event)

    assert again.status_code == 200
    assert again.get_json()["result"] == "already delivered"
    assert len(receiver.received) == 1


def test_a_deleted_or_unknown_endpoint_or_event_is_dropped_with_a_200(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver
) -> None:
    event = stored_event(store)
    endpoint_for(store, receiver)
    store.delete_endpoint(ENDPOINT)

    gone = deliver(client, event)
    unknown = deliver(client, event, endpoint="wh_never_registered")
    no_event = client.post(
        "/",
        data=WebhookTask(event_id="evt_missing_0001", endpoint_id=ENDPOINT).model_dump_json(),
        headers=AUTH,
    )

    for response in (gone, unknown, no_event):
        assert response.status_code == 200
        assert response.get_json()["result"] == "dropped"
    assert receiver.received == []


def test_an_endpoint_no_longer_subscribed_to_the_type_is_skipped(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver
) -> None:
    event = stored_event(store)
    store.put_endpoint(
        Endpoint(
            id=ENDPOINT,
            url=receiver.url,
            events=["job.failed"],
            created_at=NOW,
            secret=new_secret(),
        )
    )

    response = deliver(client, event)

    assert response.get_json()["result"] == "dropped"
    assert receiver.received == []


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b'{"event_id": "evt_x"}', b'{"event_id": "e/../x", "endpoint_id": "wh_receiver"}',
     b'{"event_id": "evt_abcdef", "endpoint_id": "wh_abcdef", "extra": 1}'],
)  # fmt: skip
def test_a_body_that_is_not_a_webhook_task_is_a_400(client: FlaskClient, body: bytes) -> None:
    response = client.post("/", data=body, headers=AUTH)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_task"


def test_callers_are_checked_as_for_stage_functions(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver
) -> None:
    event = stored_event(store)
    endpoint_for(store, receiver)
    body = WebhookTask(event_id=event.id, endpoint_id=ENDPOINT).model_dump_json()

    assert client.post("/", data=body).status_code == 401
    assert client.post("/", data=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/", headers=AUTH).status_code == 405
    assert receiver.received == []


def test_an_unreachable_receiver_is_a_503(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver
) -> None:
    event = stored_event(store)
    url = receiver.url
    receiver.stop()
    endpoint_for(store, receiver, url)

    response = deliver(client, event)

    assert response.status_code == 503
    assert response.get_json()["receiver_status"] is None
    assert "could not be reached (ConnectError)" in response.get_json()["reason"]


def test_a_redirect_is_not_followed(
    client: FlaskClient,
    store: SqliteWebhookStore,
    receiver: WebhookReceiver,
    http_fixture: FixtureServer,
) -> None:
    event = stored_event(store)
    http_fixture.add("POST", "/moved", Scripted(302, headers={"Location": receiver.url}))
    endpoint_for(store, receiver, f"{http_fixture.url}/moved")

    response = deliver(client, event)

    assert response.status_code == 503
    assert response.get_json()["receiver_status"] == 302
    assert receiver.received == []


def test_a_url_against_the_rules_is_refused_at_delivery_and_recorded(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver
) -> None:
    event = stored_event(store)
    endpoint_for(store, receiver, "http://hooks.example.com/plain-http")  # stored behind our back

    response = deliver(client, event)

    assert response.status_code == 200
    assert response.get_json()["result"] == "refused"
    record = store.get_delivery(event.id, ENDPOINT)
    assert record is not None
    assert record.status == "undeliverable"
    assert "https" in record.reason


def test_on_gcp_a_host_that_now_resolves_to_a_private_address_is_refused(
    store: SqliteWebhookStore, receiver: WebhookReceiver, clock: Clock
) -> None:
    event = stored_event(store)
    endpoint_for(store, receiver, "https://rebinding.example.com/hook")
    settings = Settings(backend="gcp", api_token=TOKEN)
    deliverer = Deliverer(settings, store, clock, resolve=lambda host, port: ["169.254.169.254"])

    outcome = deliverer.deliver(TaskDelivery(WebhookTask(event_id=event.id, endpoint_id=ENDPOINT)))

    assert (outcome.status, outcome.body["result"]) == (200, "refused")
    record = store.get_delivery(event.id, ENDPOINT)
    assert record is not None
    assert record.status == "undeliverable"
    assert receiver.received == []


def test_a_theme_config_endpoint_is_signed_with_the_deployment_secret(
    app: Flask, store: SqliteWebhookStore, receiver: WebhookReceiver, clock: Clock, tmp_path: Path
) -> None:
    secret = "whsec_deployment-8c1f"
    settings = SettingsWithSecret(
        home=tmp_path / "home", api_token=TOKEN, webhook_secret=SecretStr(secret)
    )
    event = stored_event(store)
    endpoint = store.put_endpoint(config_endpoint(receiver.url, NOW))
    receiver.secret = secret

    with runtime(settings, clock, tmp_path) as rt:
        response = deliver(client_for(app, rt), event, endpoint=endpoint.id)

    assert response.status_code == 200
    got = receiver.received[0]
    assert verify(secret, got.headers, got.body)


def test_without_a_deployment_secret_a_theme_config_endpoint_gets_nothing_unsigned(
    client: FlaskClient, store: SqliteWebhookStore, receiver: WebhookReceiver
) -> None:
    event = stored_event(store)
    endpoint = store.put_endpoint(config_endpoint(receiver.url, NOW))

    response = deliver(client, event, endpoint=endpoint.id)

    assert response.status_code == 200
    assert response.get_json()["result"] == "refused"
    assert "TRENDREEL_WEBHOOK_SECRET" in response.get_json()["reason"]
    assert receiver.received == []


def test_no_secret_or_receiver_url_reaches_responses_or_logs(
    client: FlaskClient,
    store: SqliteWebhookStore,
    receiver: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = stored_event(store)
    endpoint = endpoint_for(store, receiver, receiver.url + "/capability-token-9f3e")
    receiver.fail_first = 1
    caplog.set_level(logging.DEBUG)

    texts = [deliver(client, event).get_data(as_text=True) for _ in range(2)]

    # trendreel's own log lines (httpx logs request URLs at INFO itself: see the report).
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("trendreel"))
    dumped = json.dumps(endpoint.model_dump(mode="json"))
    assert endpoint.secret is not None
    everything = " ".join(texts) + ours + repr(endpoint) + dumped
    assert endpoint.secret.get_secret_value() not in everything
    assert "capability-token" not in " ".join(texts) + ours
    assert TOKEN.get_secret_value() not in everything
    assert "delivered" in ours
