"""GET /health: no auth, a check per port, 503 when one fails, no secrets."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from tests.unit.api.conftest import API_MAIN, AUTH, TOKEN
from tests.unit.api.fakes import BrokenJobStore
from trendreel.bootstrap import Runtime


def test_health_is_ok_without_a_token(client: FlaskClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "job_store": "ok",
        "queue": "ok",
        "blob_store": "ok",
    }


def test_health_is_also_fine_with_a_token(client: FlaskClient) -> None:
    assert client.get("/health", headers=AUTH).status_code == 200


def test_a_failing_store_makes_health_503_without_leaking_its_message(
    client: FlaskClient, rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    rt.store = BrokenJobStore()

    with caplog.at_level(logging.WARNING):
        response = client.get("/health")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["job_store"] == {"status": "error", "error": "ConnectionError"}
    assert body["checks"]["queue"]["status"] == "ok"
    assert "hunter2" not in response.get_data(as_text=True)
    assert TOKEN not in caplog.text


def test_a_runtime_that_cannot_start_is_503(monkeypatch: pytest.MonkeyPatch) -> None:
    # Deployed as on Cloud Run: no host hands a runtime in, the function builds its own from
    # its environment, and this environment names no project.
    monkeypatch.setenv("TRENDREEL_BACKEND", "gcp")
    monkeypatch.setenv("TRENDREEL_GCS_BUCKET", "media")
    client = create_app(target="handle", source=str(API_MAIN)).test_client()  # type: ignore[no-untyped-call]

    response = client.get("/health")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
