"""POST/GET/DELETE /webhooks through the api function (functions/api/main.py, as deployed):
registration answers the secret once, listing never shows it, bad input names its field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from functions_framework import create_app
from werkzeug.routing import Map, Rule

from tests.support.fakes.webhook_receiver import WebhookReceiver
from tests.unit.webhooks.support import AUTH, Clock, finished_job
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.adapters.local_queue import LocalTaskQueue
from trendreel.adapters.sqlite_jobs import SqliteJobStore
from trendreel.adapters.sqlite_webhooks import SqliteWebhookStore
from trendreel.api import app as api_app
from trendreel.api import routes_webhooks
from trendreel.bootstrap import Runtime
from trendreel.delivery import TaskDelivery
from trendreel.http import RUNTIME_KEY
from trendreel.models.webhooks import WebhookTask
from trendreel.settings import Settings
from trendreel.webhooks.deliver import Deliverer
from trendreel.webhooks.events import job_event
from trendreel.webhooks.models import EVENT_TYPES, Event, config_endpoint

API_MAIN = Path(__file__).resolve().parents[3] / "functions" / "api" / "main.py"


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The api's route table with ROUTES in it, as api/routes.py will have them (a no-op once
    it does)."""
    if all(route.name in api_app._BY_NAME for route in routes_webhooks.ROUTES):
        return
    routes = [*api_app._BY_NAME.values(), *routes_webhooks.ROUTES]
    monkeypatch.setattr(api_app, "_BY_NAME", {route.name: route for route in routes})
    rules = [Rule(r.path, methods=[r.method], endpoint=r.name) for r in routes]
    monkeypatch.setattr(api_app, "_MAP", Map(rules, merge_slashes=False))


@pytest.fixture
def client(
    registered: None, settings: Settings, clock: Clock, tmp_path: Path
) -> Iterator[FlaskClient]:
    queue = LocalTaskQueue(tmp_path / "queue.sqlite3", settings=settings, auth_token=None)
    rt = Runtime(
        settings=settings,
        store=SqliteJobStore(tmp_path / "jobs.sqlite3"),
        queue=queue,
        blobs=LocalBlobStore(tmp_path / "blobs"),
        clock=clock,
    )
    flask_app: Flask = create_app(target="handle", source=str(API_MAIN))  # type: ignore[no-untyped-call]
    test_client = flask_app.test_client()
    environ: dict[str, Any] = test_client.environ_base
    environ[RUNTIME_KEY] = rt
    yield test_client
    queue.close()


def register(client: FlaskClient, **body: Any) -> Any:
    return client.post(
        "/webhooks", json={"url": "https://hooks.example.com/a", **body}, headers=AUTH
    )


def test_registration_answers_the_secret_once_and_listing_never_shows_it(
    client: FlaskClient, store: SqliteWebhookStore
) -> None:
    created = register(client, description="ops dashboard")
    listed = client.get("/webhooks", headers=AUTH)

    assert created.status_code == 201
    body = created.get_json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    assert body["events"] == list(EVENT_TYPES)
    assert body["description"] == "ops dashboard"
    stored = store.get_endpoint(body["id"])
    assert stored is not None
    assert stored.secret is not None
    assert stored.secret.get_secret_value() == secret
    assert listed.status_code == 200
    assert listed.get_json()["count"] == 1
    assert listed.get_json()["webhooks"][0]["id"] == body["id"]
    assert secret not in listed.get_data(as_text=True)
    assert "secret" not in listed.get_json()["webhooks"][0]
    assert created.headers["Cache-Control"] == "no-store"


def test_each_registration_gets_its_own_id_and_secret(client: FlaskClient) -> None:
    first, second = register(client).get_json(), register(client).get_json()

    assert first["id"] != second["id"]
    assert first["secret"] != second["secret"]


def test_a_subscription_to_some_events_is_kept(client: FlaskClient) -> None:
    body = register(client, events=["video.published", "job.failed", "job.failed"]).get_json()

    assert body["events"] == ["video.published", "job.failed"]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"url": None}, "url", "invalid_body"),
        ({"url": "https://hooks.example.com/a", "events": []}, "events", "invalid_body"),
        ({"url": "https://hooks.example.com/a", "events": ["job.nope"]}, "events.0",
         "invalid_body"),
        ({"url": "https://hooks.example.com/a", "secret": "mine"}, "secret", "invalid_body"),
        ({"url": "https://hooks.example.com/a", "description": "x" * 201}, "description",
         "invalid_body"),
        ({"url": "http://hooks.example.com/a"}, "url", "invalid_webhook_url"),
        ({"url": "https://u:p@hooks.example.com/a"}, "url", "invalid_webhook_url"),
        ({"url": "hooks.example.com"}, "url", "invalid_webhook_url"),
    ],
)  # fmt: skip
def test_bad_input_is_a_400_that_names_the_field(
    client: FlaskClient, store: SqliteWebhookStore, body: dict[str, Any], field: str, code: str
) -> None:
    response = client.post("/webhooks", json=body, headers=AUTH)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["details"][0]["field"] == field
    assert store.list_endpoints() == []


def test_delete_removes_the_endpoint_and_a_second_delete_is_a_404(
    client: FlaskClient, store: SqliteWebhookStore
) -> None:
    webhook_id = register(client).get_json()["id"]

    deleted = client.delete(f"/webhooks/{webhook_id}", headers=AUTH)
    again = client.delete(f"/webhooks/{webhook_id}", headers=AUTH)

    assert deleted.status_code == 200
    assert deleted.get_json() == {"id": webhook_id, "deleted": True}
    assert again.status_code == 404
    assert again.get_json()["error"]["code"] == "webhook_not_found"
    assert store.get_endpoint(webhook_id) is None
    assert client.get("/webhooks", headers=AUTH).get_json()["count"] == 0


def test_a_theme_config_endpoint_is_neither_listed_nor_deletable_through_the_api(
    client: FlaskClient, store: SqliteWebhookStore, clock: Clock
) -> None:
    derived = store.put_endpoint(config_endpoint("https://theme.example.com/h", clock()))

    assert client.get("/webhooks", headers=AUTH).get_json()["count"] == 0
    assert client.delete(f"/webhooks/{derived.id}", headers=AUTH).status_code == 404
    assert store.get_endpoint(derived.id) is not None


def test_an_id_outside_the_id_alphabet_is_a_400(client: FlaskClient) -> None:
    response = client.delete("/webhooks/bad.id", headers=AUTH)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_id"


def test_every_webhook_route_needs_the_bearer_token(client: FlaskClient) -> None:
    answers = [
        client.post("/webhooks", json={"url": "https://hooks.example.com/a"}),
        client.get("/webhooks"),
        client.delete("/webhooks/wh_000000000000"),
        client.get("/webhooks", headers={"Authorization": "Bearer wrong"}),
    ]

    assert [a.status_code for a in answers] == [401, 401, 401, 401]


def test_registration_stops_at_the_limit(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes_webhooks, "MAX_ENDPOINTS", 2)
    statuses = [register(client).status_code for _ in range(3)]

    assert statuses == [201, 201, 409]


def test_the_secret_from_registration_verifies_what_the_receiver_gets(
    client: FlaskClient,
    store: SqliteWebhookStore,
    settings: Settings,
    clock: Clock,
    receiver: WebhookReceiver,
) -> None:
    created = register(client, url=receiver.url).get_json()
    receiver.secret = created["secret"]
    identity, data = job_event(finished_job(), "job.completed")
    store.put_event(Event(id=identity, type="job.completed", created_at=clock(), data=data))

    outcome = Deliverer(settings, store, clock).deliver(
        TaskDelivery(WebhookTask(event_id=identity, endpoint_id=created["id"]))
    )

    assert outcome.status == 200
    assert list(receiver.acted) == [identity]
    assert receiver.rejected == 0
