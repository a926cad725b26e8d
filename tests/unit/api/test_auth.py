"""Every route but /health needs the bearer token; a failure says nothing; the token never leaks."""

from __future__ import annotations

import hashlib
import logging
import re

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, TOKEN
from tests.unit.api.fakes import FakeJobStore, finished_job, make_job, store_video
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.api.routes import ROUTES
from trendreel.bootstrap import Runtime
from trendreel.models import JobStatus

PROTECTED = [
    (r.method, re.sub(r"<[a-z_]+>", "vid-0001", r.path)) for r in ROUTES if r.access != "public"
]
BAD_HEADERS = [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": TOKEN},
    {"Authorization": "Bearer "},
]


@pytest.fixture(autouse=True)
def data(store: FakeJobStore, blobs: LocalBlobStore) -> None:
    store.create(finished_job("vid-0001"))
    store_video(blobs, "vid-0001", b"video")
    store.create(make_job("job-0002", status=JobStatus.FAILED, completed=1))


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize("headers", BAD_HEADERS, ids=range(len(BAD_HEADERS)))
def test_protected_routes_are_401_without_the_token(
    client: FlaskClient,
    store: FakeJobStore,
    method: str,
    path: str,
    headers: dict[str, str],
) -> None:
    before = dict(store.jobs)

    response = client.open(path, method=method, headers=headers)

    assert response.status_code == 401
    assert response.get_json() == {
        "error": {"code": "unauthorized", "message": "a valid bearer token is required"}
    }
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert store.jobs == before


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_the_token_is_never_echoed(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, method: str, path: str
) -> None:
    with caplog.at_level(logging.DEBUG):
        good = client.open(path, method=method, headers=AUTH)
        bad = client.open(path, method=method, headers={"Authorization": f"Bearer {TOKEN}!"})

    assert good.status_code < 500
    for response in (good, bad):
        assert TOKEN.encode() not in response.get_data()
        assert TOKEN not in str(response.headers)
    assert TOKEN not in caplog.text


def test_the_scheme_is_case_insensitive(client: FlaskClient) -> None:
    assert client.get("/jobs", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_gcp_backend_takes_a_hashed_api_key_not_the_plaintext_token(
    client: FlaskClient, rt: Runtime
) -> None:
    key_hash = hashlib.sha256(b"trk_key-for-this-test").hexdigest()
    rt.settings = rt.settings.model_copy(update={"backend": "gcp", "api_key_hashes": [key_hash]})

    assert client.get("/jobs", headers={"X-API-Key": "trk_key-for-this-test"}).status_code == 200
    assert client.get("/jobs", headers=AUTH).status_code == 401  # TRENDREEL_API_TOKEN is set
    assert client.get("/jobs").status_code == 401


def test_gcp_backend_without_a_token_fails_closed(client: FlaskClient, rt: Runtime) -> None:
    rt.settings = rt.settings.model_copy(update={"backend": "gcp", "api_token": None})

    assert client.get("/jobs", headers=AUTH).status_code == 401
    assert client.get("/health").status_code == 200


def test_local_backend_uses_the_generated_token_file(client: FlaskClient, rt: Runtime) -> None:
    rt.settings = rt.settings.model_copy(update={"api_token": None})

    response = client.get("/jobs", headers=AUTH)  # TRENDREEL_API_TOKEN no longer applies

    assert response.status_code == 401
    generated = (rt.settings.home / "api_token").read_text().strip()
    assert client.get("/jobs", headers={"Authorization": f"Bearer {generated}"}).status_code == 200
